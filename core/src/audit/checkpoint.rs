//! Ed25519-signed checkpoints and seals (pure).
//!
//! A checkpoint line commits to everything before it:
//!
//! ```text
//! {"count":N,"head":H,"kind":"checkpoint","prev":H,"public_key":K,"seq":N+1,"signature":S,"time":T}
//! ```
//!
//! where `count` is the number of lines before it (so `seq - 1`), `head` the hash of the line just
//! before it (so equal to `prev`), `public_key` the signer's Ed25519 key (64 hex) and `signature`
//! the Ed25519 signature (128 hex) over the bytes of [`signing_message`]:
//! `cfcp-audit-checkpoint-v1\n{count}\n{head}`.
//!
//! A seal is a checkpoint with `"kind":"seal"` and a `reason`:
//! - `"close"`: the writer closed the log properly. A log that ends with one is *sealed*.
//! - `"torn line at byte N"` with `"torn":{"offset","length","sha256"}`: on open, the writer found
//!   bytes that are not a complete line at the end of the file (a crash mid-write), left them in
//!   place as evidence, and sealed them off; `prev`, `count` and `head` refer to the last good line,
//!   and `torn` names the skipped bytes (the SHA-256 of exactly those bytes).
//!
//! The signature covers `count` and `head` only; the checkpoint's own `time` and `reason` are
//! covered by the next line's `prev` (and so by the next checkpoint), except on the last line.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::Value;

use super::entry::{write_object, write_string, LineHash};

/// The domain separator at the start of every signed message.
pub const SIGNING_CONTEXT: &str = "cfcp-audit-checkpoint-v1";

/// The `reason` of a seal written by a proper close.
pub const CLOSE_REASON: &str = "close";

/// The bytes a checkpoint signs: `cfcp-audit-checkpoint-v1\n{count}\n{head}` (head in lowercase
/// hex).
pub fn signing_message(count: u64, head: &LineHash) -> Vec<u8> {
    format!("{SIGNING_CONTEXT}\n{count}\n{}", head.to_hex()).into_bytes()
}

/// Bytes at the end of a log that were not a complete line, sealed off by a seal's `torn` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornBytes {
    /// Byte offset of the first torn byte in the file.
    pub offset: u64,
    /// How many bytes (not counting the `\n` the writer added after them).
    pub length: u64,
    /// SHA-256 of exactly those bytes.
    pub sha256: LineHash,
}

/// What kind of signed line to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// A periodic (or explicit) checkpoint.
    Checkpoint,
    /// The seal written by a proper close.
    Close,
    /// The seal written on open after torn bytes.
    Torn(TornBytes),
}

/// Builds a signed checkpoint or seal line (without `\n`) with sequence number `seq` after a line
/// hashing to `prev`.
pub fn signed_line(seq: u64, time: &str, prev: &LineHash, key: &SigningKey, mark: &Mark) -> String {
    let count = seq.saturating_sub(1);
    let signature: Signature = key.sign(&signing_message(count, prev));
    let quoted = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        write_string(s, &mut out);
        out
    };
    let count_text = count.to_string();
    let head_text = quoted(&prev.to_hex());
    let key_text = quoted(&hex::encode(key.verifying_key().as_bytes()));
    let seq_text = seq.to_string();
    let sig_text = quoted(&hex::encode(signature.to_bytes()));
    let time_text = quoted(time);
    let (kind, reason, torn) = match mark {
        Mark::Checkpoint => ("\"checkpoint\"", None, None),
        Mark::Close => ("\"seal\"", Some(quoted(CLOSE_REASON)), None),
        Mark::Torn(t) => (
            "\"seal\"",
            Some(quoted(&format!("torn line at byte {}", t.offset))),
            Some(super::entry::canonical_json(&serde_json::json!({
                "offset": t.offset,
                "length": t.length,
                "sha256": t.sha256.to_hex(),
            }))),
        ),
    };
    // Keys in canonical (sorted) order.
    let mut members: Vec<(&str, &str)> = vec![
        ("count", &count_text),
        ("head", &head_text),
        ("kind", kind),
        ("prev", &head_text),
        ("public_key", &key_text),
    ];
    if let Some(reason) = &reason {
        members.push(("reason", reason));
    }
    members.push(("seq", &seq_text));
    members.push(("signature", &sig_text));
    members.push(("time", &time_text));
    if let Some(torn) = &torn {
        members.push(("torn", torn));
    }
    let mut line = String::with_capacity(512);
    write_object(&members, &mut line);
    line
}

/// Why a checkpoint's key or signature does not check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// `public_key` is not 64 hex digits of a valid Ed25519 point.
    BadKey(String),
    /// `signature` is not 128 hex digits.
    BadEncoding(String),
    /// The signature does not verify.
    Invalid,
}

/// Parses a public key written as 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let mut bytes = [0u8; 32];
    if text.len() != 64 || hex::decode_to_slice(text, &mut bytes).is_err() {
        return Err(format!(
            "public key is not 64 hex digits ({} characters)",
            text.len()
        ));
    }
    VerifyingKey::from_bytes(&bytes).map_err(|_| "public key is not a valid Ed25519 key".into())
}

/// Checks a checkpoint's signature (strict Ed25519 verification).
pub fn check_signature(
    key: &VerifyingKey,
    count: u64,
    head: &LineHash,
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let mut bytes = [0u8; 64];
    if signature_hex.len() != 128 || hex::decode_to_slice(signature_hex, &mut bytes).is_err() {
        return Err(SignatureError::BadEncoding(format!(
            "signature is not 128 hex digits ({} characters)",
            signature_hex.len()
        )));
    }
    let signature = Signature::from_bytes(&bytes);
    key.verify_strict(&signing_message(count, head), &signature)
        .map_err(|_| SignatureError::Invalid)
}

/// The `torn` member of a seal, parsed.
pub(crate) fn parse_torn(value: &Value) -> Option<TornBytes> {
    let offset = value.get("offset")?.as_u64()?;
    let length = value.get("length")?.as_u64()?;
    let sha256 = LineHash::from_hex(value.get("sha256")?.as_str()?)?;
    Some(TornBytes {
        offset,
        length,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_lines_sign_count_and_head() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let prev = LineHash::of(b"x");
        let line = signed_line(11, "2026-11-01T00:00:00Z", &prev, &key, &Mark::Checkpoint);
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["count"], 10);
        assert_eq!(v["head"], prev.to_hex());
        assert_eq!(v["prev"], prev.to_hex());
        assert_eq!(v["kind"], "checkpoint");
        let sig = v["signature"].as_str().unwrap_or_default();
        assert_eq!(
            check_signature(&key.verifying_key(), 10, &prev, sig),
            Ok(())
        );
        assert_eq!(
            check_signature(&key.verifying_key(), 11, &prev, sig),
            Err(SignatureError::Invalid)
        );
        // Canonical: re-serialising sorted gives the same bytes.
        assert_eq!(super::super::entry::canonical_json(&v), line);
    }

    #[test]
    fn seals_carry_reason_and_torn_bytes() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let torn = TornBytes {
            offset: 120,
            length: 9,
            sha256: LineHash::of(b"{\"seq\":3,"),
        };
        let line = signed_line(3, "t", &LineHash::GENESIS, &key, &Mark::Torn(torn));
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["reason"], "torn line at byte 120");
        assert_eq!(parse_torn(&v["torn"]), Some(torn));
        assert_eq!(super::super::entry::canonical_json(&v), line);
        let close = signed_line(3, "t", &LineHash::GENESIS, &key, &Mark::Close);
        assert!(close.contains("\"reason\":\"close\""));
    }
}
