//! Verifying an audit log from its bytes (pure).
//!
//! [`verify`] reads the log line by line and stops at the first problem, which it names by line
//! number (1-based), sequence number and byte offset:
//!
//! | tampering | what verify reports |
//! |---|---|
//! | a byte changed inside a line | that line is `Malformed` (no longer an entry), or the next line's `prev` no longer matches it: `HashMismatch` naming the changed line |
//! | a line deleted | `SeqGap` on the line after the hole ("entry 7 is missing") |
//! | lines swapped or duplicated | `SeqGap` on the first line out of place |
//! | a line inserted | `SeqGap`, or `HashMismatch` if its `seq` was forged |
//! | lines rewritten and the chain recomputed | `BadSignature` on the next checkpoint (without the key nobody can sign the new head) |
//! | the file cut in the middle of a line | `TornLine` on the cut line |
//! | checkpoints re-signed with another key | `KeyMismatch` when the expected key is given (`--pubkey`) |
//!
//! What cannot be detected, by design of any hash chain:
//! - **Truncation at a line boundary after the last surviving checkpoint.** The remaining file is a
//!   valid log that simply ends earlier. Lines after the last checkpoint are reported as an
//!   *unsigned tail* (a warning). With [`VerifyOptions::require_sealed`] (`--require-sealed`) a
//!   log must end with the `close` seal a proper close writes, so any truncation of a closed log
//!   fails (`UnsignedTail` or `NotSealed`); use it for logs that are no longer being written.
//! - **Edits of the unsigned tail by someone who can write the file**: the chain there is not
//!   authenticated by any signature; a forger can recompute it.
//! - **A whole log re-signed with another key**, unless the expected public key is given: without
//!   it, verify only checks that every checkpoint uses the same key as the first.
//! - The `time` and `reason` of the very last line when it is a checkpoint (the signature covers
//!   `count` and `head`; every other checkpoint is covered by the line after it).
//!
//! Torn lines: bytes that are not a complete entry (a crash mid-write) are accepted only when the
//! very next line is a seal whose `torn` member names exactly those bytes (offset, length,
//! SHA-256) and whose `prev` is the hash of the last good line before them: the pattern the writer
//! leaves when it recovers. They are reported as a warning. Torn bytes at the end of the file with
//! no seal yet are a `TornLine` problem (open the log with the writer to seal them off).

use std::borrow::Cow;
use std::fmt;

use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use serde_json::Value;

use super::checkpoint::{
    check_signature, parse_public_key, parse_torn, SignatureError, TornBytes, CLOSE_REASON,
};
use super::entry::LineHash;

/// What verification is to require.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    /// The operator's public key: every checkpoint must be signed by it.
    pub expected_key: Option<VerifyingKey>,
    /// The log must end with a `close` seal (it was closed properly and not truncated since).
    pub require_sealed: bool,
}

/// The kind of the first problem found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A line does not hash to the `prev` its successor records (an edit), or a checkpoint's
    /// `head` is not the hash of the line before it.
    HashMismatch,
    /// A `seq` out of order: a deleted, inserted, duplicated or reordered line; or a checkpoint's
    /// `count` that is not the number of lines before it.
    SeqGap,
    /// A checkpoint's signature does not verify.
    BadSignature,
    /// Lines after the last checkpoint, with [`VerifyOptions::require_sealed`].
    UnsignedTail,
    /// The log does not end with a `close` seal, with [`VerifyOptions::require_sealed`].
    NotSealed,
    /// An incomplete line (no newline, or not JSON) at the end of the file and not sealed off, or
    /// a seal whose `torn` member does not describe the bytes before it.
    TornLine,
    /// A line that is not a log entry (not JSON, missing or mistyped members, unknown kind).
    Malformed,
    /// A checkpoint signed by another key than the expected one (or than earlier checkpoints).
    KeyMismatch,
}

impl ProblemKind {
    /// Short name, as printed: `hash mismatch`, `seq gap`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::HashMismatch => "hash mismatch",
            ProblemKind::SeqGap => "seq gap",
            ProblemKind::BadSignature => "bad signature",
            ProblemKind::UnsignedTail => "unsigned tail",
            ProblemKind::NotSealed => "not sealed",
            ProblemKind::TornLine => "torn line",
            ProblemKind::Malformed => "malformed",
            ProblemKind::KeyMismatch => "key mismatch",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number (0 when the problem is the whole file, e.g. an empty log that should
    /// be sealed).
    pub line: usize,
    /// The entry's `seq` as written (or, for a line that cannot be read, the `seq` it should
    /// have).
    pub seq: Option<u64>,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in words, naming the lines involved.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}: {}", self.kind, self.message)
    }
}

/// Something worth knowing that does not make the log invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number of the first line concerned.
    pub line: usize,
    /// Its `seq`, when it has one.
    pub seq: Option<u64>,
    /// What it is.
    pub message: String,
}

/// Lines after the last checkpoint: intact as far as the chain shows, but not signed, so a
/// truncation there cannot be detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsignedTail {
    /// 1-based line number of the first unsigned line.
    pub first_line: usize,
    /// Its `seq`.
    pub first_seq: u64,
    /// How many lines.
    pub lines: u64,
}

/// Torn bytes at the end of the file that no seal covers yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// 1-based line number where they start.
    pub line: usize,
    /// Byte offset where they start (just after the last good line's `\n`).
    pub offset: u64,
    /// How many bytes, to the end of the file.
    pub length: u64,
    /// Whether the file ends with `\n`.
    pub terminated: bool,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// No problem (warnings allowed).
    pub ok: bool,
    /// Record lines verified (`decision`, `outcome`, other kinds).
    pub entries: u64,
    /// Checkpoint lines verified, seals included.
    pub checkpoints: u64,
    /// Seals among them.
    pub seals: u64,
    /// Hash of the last good line ([`LineHash::GENESIS`] when there is none): the `prev` of the
    /// next line to append.
    pub head: LineHash,
    /// `seq` of the last good line (0 when there is none).
    pub last_seq: u64,
    /// 1-based line number of the last good line (0 when there is none).
    pub last_line: usize,
    /// `seq` of the last checkpoint or seal whose signature verified.
    pub signed_through: Option<u64>,
    /// The key the checkpoints are signed with.
    pub public_key: Option<VerifyingKey>,
    /// Whether that key was the caller's expected key (rather than just the one the log names).
    pub key_pinned: bool,
    /// The log ends with a `close` seal.
    pub sealed: bool,
    /// Lines after the last checkpoint.
    pub unsigned_tail: Option<UnsignedTail>,
    /// Torn bytes at the end of the file, not sealed off yet (also reported as the problem).
    pub torn_tail: Option<TornTail>,
    /// Warnings: sealed torn lines, the unsigned tail.
    pub warnings: Vec<Warning>,
    /// The first problem; `None` when `ok`.
    pub first_problem: Option<Problem>,
}

/// Verifies a log's bytes: the chain, the sequence and every checkpoint's signature (with the
/// expected key when given). Never panics; time is linear in the size of the input.
pub fn verify(bytes: &[u8], expected_key: Option<&VerifyingKey>) -> VerifyReport {
    verify_with(
        bytes,
        &VerifyOptions {
            expected_key: expected_key.copied(),
            require_sealed: false,
        },
    )
}

/// [`verify`] with options.
pub fn verify_with(bytes: &[u8], options: &VerifyOptions) -> VerifyReport {
    let mut state = State::new(options);
    let mut lines = Lines {
        bytes,
        at: 0,
        number: 0,
    };
    let mut problem = None;
    let mut torn_tail = None;
    while let Some(piece) = lines.next() {
        let parsed = parse(bytes, &piece);
        let result = match parsed {
            Ok(head) => state.accept(bytes, &piece, head, None),
            Err(detail) => {
                // A run of bad lines: sealed off by the next good line, or not.
                let mut end = piece.end;
                let mut next_good = None;
                for p in lines.by_ref() {
                    match parse(bytes, &p) {
                        Ok(head) => {
                            next_good = Some((p, head));
                            break;
                        }
                        Err(_) => end = p.end,
                    }
                }
                let region = TornBytes {
                    offset: piece.start as u64,
                    length: (end - piece.start) as u64,
                    sha256: LineHash::of(&bytes[piece.start..end]),
                };
                match next_good {
                    None => {
                        let terminated = bytes.last() == Some(&b'\n');
                        torn_tail = Some(TornTail {
                            line: piece.number,
                            offset: region.offset,
                            length: (bytes.len() - piece.start) as u64,
                            terminated,
                        });
                        Err(Problem {
                            line: piece.number,
                            seq: Some(state.expected_seq),
                            offset: region.offset,
                            kind: ProblemKind::TornLine,
                            message: format!(
                                "the log ends with {} bytes at byte {} that are not a complete entry ({detail}): a crash mid-write, or a cut; opening the log with cfcp seals them off",
                                region.length, region.offset
                            ),
                        })
                    }
                    Some((p, head)) => {
                        let sealed_by = head
                            .torn
                            .as_ref()
                            .filter(|_| head.kind == "seal")
                            .map(parse_torn);
                        match sealed_by {
                            Some(Some(described)) if described == region => {
                                state.accept(bytes, &p, head, Some((piece.number, region)))
                            }
                            Some(_) => Err(Problem {
                                line: piece.number,
                                seq: Some(state.expected_seq),
                                offset: region.offset,
                                kind: ProblemKind::TornLine,
                                message: format!(
                                    "{} bytes at byte {} are not an entry ({detail}), and the seal on line {} describes different torn bytes",
                                    region.length, region.offset, p.number
                                ),
                            }),
                            None => Err(Problem {
                                line: piece.number,
                                seq: Some(state.expected_seq),
                                offset: region.offset,
                                kind: ProblemKind::Malformed,
                                message: format!(
                                    "not a log entry: {detail}; lines after it continue the log, so this line was damaged or altered"
                                ),
                            }),
                        }
                    }
                }
            }
        };
        if let Err(p) = result {
            problem = Some(p);
            break;
        }
    }
    state.finish(options, problem, torn_tail)
}

/// Whether `line` (without `\n`) reads as a log entry: JSON with the members every line has.
/// The writer uses it to tell a torn last line from one that only lacks its newline.
pub fn parses_as_entry(line: &[u8]) -> bool {
    serde_json::from_slice::<Head>(line).is_ok()
}

/// The members verify reads; all others are skipped (without building values).
#[derive(Deserialize)]
struct Head<'a> {
    seq: u64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    prev: Cow<'a, str>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    head: Option<String>,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    public_key: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    torn: Option<Value>,
}

struct Piece {
    /// 1-based.
    number: usize,
    start: usize,
    /// Exclusive, before the `\n`.
    end: usize,
    terminated: bool,
}

struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    number: usize,
}

impl Iterator for Lines<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let start = self.at;
        let rest = &self.bytes[start..];
        self.number += 1;
        let piece = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.at = start + i + 1;
                Piece {
                    number: self.number,
                    start,
                    end: start + i,
                    terminated: true,
                }
            }
            None => {
                self.at = self.bytes.len();
                Piece {
                    number: self.number,
                    start,
                    end: self.bytes.len(),
                    terminated: false,
                }
            }
        };
        Some(piece)
    }
}

fn parse<'a>(bytes: &'a [u8], piece: &Piece) -> Result<Head<'a>, String> {
    if !piece.terminated {
        return Err("no newline at the end".into());
    }
    serde_json::from_slice::<Head>(&bytes[piece.start..piece.end]).map_err(|e| e.to_string())
}

struct State {
    expected_key: Option<VerifyingKey>,
    expected_seq: u64,
    prev: LineHash,
    /// Line number, seq and byte offset of the last good line.
    last_good: Option<(usize, u64, u64)>,
    key: Option<VerifyingKey>,
    entries: u64,
    checkpoints: u64,
    seals: u64,
    signed_through: Option<u64>,
    /// First line (number, seq, byte offset) after the last checkpoint, and how many lines.
    tail: Option<(usize, u64, u64, u64)>,
    sealed: bool,
    warnings: Vec<Warning>,
}

impl State {
    fn new(options: &VerifyOptions) -> State {
        State {
            expected_key: options.expected_key,
            expected_seq: 1,
            prev: LineHash::GENESIS,
            last_good: None,
            key: None,
            entries: 0,
            checkpoints: 0,
            seals: 0,
            signed_through: None,
            tail: None,
            sealed: false,
            warnings: Vec::new(),
        }
    }

    /// Checks one parsed line; `torn` is the sealed-off region right before it, if any.
    fn accept(
        &mut self,
        bytes: &[u8],
        piece: &Piece,
        head: Head<'_>,
        torn: Option<(usize, TornBytes)>,
    ) -> Result<(), Problem> {
        let n = piece.number;
        let seq = head.seq;
        let problem = |kind, message: String| Problem {
            line: n,
            seq: Some(seq),
            offset: piece.start as u64,
            kind,
            message,
        };
        let expected = self.expected_seq;
        if seq != expected {
            let message = if seq > expected {
                let missing = if seq - 1 == expected {
                    format!("entry {expected} is missing")
                } else {
                    format!("entries {expected} to {} are missing", seq - 1)
                };
                if expected == 1 {
                    format!(
                        "the log starts at seq {seq}: {missing} (the start of the log was removed)"
                    )
                } else {
                    format!("expected seq {expected}: {missing} (deleted, or lines reordered)")
                }
            } else {
                format!(
                    "expected seq {expected}, found {seq}: lines were reordered, duplicated or inserted"
                )
            };
            return Err(problem(ProblemKind::SeqGap, message));
        }
        let Some(prev) = LineHash::from_hex(&head.prev) else {
            return Err(problem(
                ProblemKind::Malformed,
                format!("prev {:?} is not 64 hex digits", truncate(&head.prev)),
            ));
        };
        if prev != self.prev {
            return Err(match self.last_good {
                Some((line, last_seq, offset)) => Problem {
                    line,
                    seq: Some(last_seq),
                    offset,
                    kind: ProblemKind::HashMismatch,
                    message: format!(
                        "line {line} (seq {last_seq}) does not hash to the prev that line {n} (seq {seq}) records: line {line} was modified (or line {n}'s prev was, or lines were inserted between them)"
                    ),
                },
                None => problem(
                    ProblemKind::HashMismatch,
                    "the first line's prev is not the genesis hash (64 zeros): the start of the log was removed, or this line was modified".into(),
                ),
            });
        }
        match head.kind.as_ref() {
            "checkpoint" | "seal" => {
                let is_seal = head.kind == "seal";
                if is_seal && head.torn.is_some() && torn.is_none() {
                    return Err(problem(
                        ProblemKind::Malformed,
                        "the seal describes torn bytes, but none precede it".into(),
                    ));
                }
                self.check_mark(&head, n, seq)
                    .map_err(|(kind, message)| problem(kind, message))?;
                self.checkpoints += 1;
                self.signed_through = Some(seq);
                self.tail = None;
                if is_seal {
                    self.seals += 1;
                }
                self.sealed = is_seal && head.reason.as_deref() == Some(CLOSE_REASON);
                if let Some((first, region)) = torn {
                    self.warnings.push(Warning {
                        line: first,
                        seq: None,
                        message: format!(
                            "{} bytes at byte {} (line {first}) are not a complete entry, torn by a crash mid-write; sealed off by line {n} (seq {seq})",
                            region.length, region.offset
                        ),
                    });
                }
            }
            kind => {
                if !is_record_kind(kind) {
                    return Err(problem(
                        ProblemKind::Malformed,
                        format!("unknown kind {:?}", truncate(kind)),
                    ));
                }
                self.entries += 1;
                self.sealed = false;
                match &mut self.tail {
                    Some((_, _, count, _)) => *count += 1,
                    None => self.tail = Some((n, seq, 1, piece.start as u64)),
                }
            }
        }
        self.prev = LineHash::of(&bytes[piece.start..piece.end]);
        self.last_good = Some((n, seq, piece.start as u64));
        self.expected_seq = seq.saturating_add(1);
        Ok(())
    }

    fn check_mark(
        &mut self,
        head: &Head<'_>,
        n: usize,
        seq: u64,
    ) -> Result<(), (ProblemKind, String)> {
        let malformed = |what: &str| (ProblemKind::Malformed, format!("checkpoint {what}"));
        let count = head.count.ok_or_else(|| malformed("has no count"))?;
        let checkpoint_head = head
            .head
            .as_deref()
            .ok_or_else(|| malformed("has no head"))?;
        let key_text = head
            .public_key
            .as_deref()
            .ok_or_else(|| malformed("has no public_key"))?;
        let signature = head
            .signature
            .as_deref()
            .ok_or_else(|| malformed("has no signature"))?;
        if count != seq - 1 {
            return Err((
                ProblemKind::SeqGap,
                format!(
                    "checkpoint count is {count} but {} lines precede it",
                    seq - 1
                ),
            ));
        }
        let Some(head_hash) = LineHash::from_hex(checkpoint_head) else {
            return Err(malformed("head is not 64 hex digits"));
        };
        if head_hash != self.prev {
            return Err((
                ProblemKind::HashMismatch,
                format!(
                    "checkpoint head {} is not the hash of the line before it ({})",
                    truncate(checkpoint_head),
                    self.prev
                ),
            ));
        }
        let key = parse_public_key(key_text)
            .map_err(|m| (ProblemKind::Malformed, format!("checkpoint {m}")))?;
        if let Some(expected) = &self.expected_key {
            if &key != expected {
                return Err((
                    ProblemKind::KeyMismatch,
                    format!(
                        "checkpoint signed by key {}, not the expected key {}",
                        hex::encode(key.as_bytes()),
                        hex::encode(expected.as_bytes())
                    ),
                ));
            }
        } else if let Some(first) = &self.key {
            if &key != first {
                return Err((
                    ProblemKind::KeyMismatch,
                    format!(
                        "checkpoint signed by key {}, but earlier checkpoints by {}",
                        hex::encode(key.as_bytes()),
                        hex::encode(first.as_bytes())
                    ),
                ));
            }
        }
        self.key = Some(key);
        match check_signature(&key, count, &head_hash, signature) {
            Ok(()) => Ok(()),
            Err(SignatureError::BadEncoding(m) | SignatureError::BadKey(m)) => {
                Err((ProblemKind::Malformed, format!("checkpoint {m}")))
            }
            Err(SignatureError::Invalid) => Err((
                ProblemKind::BadSignature,
                format!(
                    "the signature of checkpoint line {n} does not verify: the {count} lines before it (or the checkpoint) were altered"
                ),
            )),
        }
    }

    fn finish(
        self,
        options: &VerifyOptions,
        mut problem: Option<Problem>,
        torn_tail: Option<TornTail>,
    ) -> VerifyReport {
        let mut warnings = self.warnings;
        let unsigned_tail = self
            .tail
            .map(|(first_line, first_seq, lines, _)| UnsignedTail {
                first_line,
                first_seq,
                lines,
            });
        if problem.is_none() {
            if let Some(t) = &unsigned_tail {
                warnings.push(Warning {
                    line: t.first_line,
                    seq: Some(t.first_seq),
                    message: format!(
                        "{} entries from line {} (seq {}) on are after the last checkpoint: not signed, and a truncation there cannot be detected",
                        t.lines, t.first_line, t.first_seq
                    ),
                });
            }
            if options.require_sealed && !self.sealed {
                problem = Some(match (self.tail, self.last_good) {
                    (Some((first_line, first_seq, lines, offset)), _) => Problem {
                        line: first_line,
                        seq: Some(first_seq),
                        offset,
                        kind: ProblemKind::UnsignedTail,
                        message: format!(
                            "the log does not end with a seal: {lines} entries from line {first_line} (seq {first_seq}) on are not signed (truncated, or not closed)"
                        ),
                    },
                    (None, Some((line, seq, offset))) => Problem {
                        line,
                        seq: Some(seq),
                        offset,
                        kind: ProblemKind::NotSealed,
                        message: format!(
                            "the log ends with a checkpoint on line {line}, not a close seal (truncated after it, or not closed)"
                        ),
                    },
                    (None, None) => Problem {
                        line: 0,
                        seq: None,
                        offset: 0,
                        kind: ProblemKind::NotSealed,
                        message: "the log is empty: a closed log ends with a seal".into(),
                    },
                });
            }
        }
        let (last_line, last_seq, _) = self.last_good.unwrap_or((0, 0, 0));
        VerifyReport {
            ok: problem.is_none(),
            entries: self.entries,
            checkpoints: self.checkpoints,
            seals: self.seals,
            head: self.prev,
            last_seq,
            last_line,
            signed_through: self.signed_through,
            public_key: self.key,
            key_pinned: self.expected_key.is_some(),
            sealed: self.sealed,
            unsigned_tail,
            torn_tail,
            warnings,
            first_problem: problem,
        }
    }
}

fn is_record_kind(kind: &str) -> bool {
    let mut chars = kind.chars();
    (1..=32).contains(&kind.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn truncate(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(80) {
        Some((i, _)) => Cow::Owned(format!("{}...", &s[..i])),
        None => Cow::Borrowed(s),
    }
}
