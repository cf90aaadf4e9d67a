//! The log writer (shell: the one part of `cfcp::audit` that writes files and takes locks).
//!
//! - **Append only.** Each line goes to the end of the file in one `write` (opened with
//!   `O_APPEND`); nothing already in the file is ever rewritten, truncated or removed.
//! - **Durability.** `fsync` (`fdatasync`) every [`AuditOptions::fsync_every`] lines and at every
//!   checkpoint and seal. A line is in the OS as soon as `append` returns, so a *process* crash
//!   loses nothing; a *power* loss can lose the lines since the last fsync (with
//!   `fsync_every: 1`, none: the decision is on disk before the request is executed).
//! - **One writer.** Threads are serialised by a mutex; other processes (and other handles in this
//!   one) by an exclusive OS lock on the file (`flock`), so a second writer gets
//!   [`Error::AuditLocked`] instead of interleaving lines.
//! - **Verify on open.** The whole file is verified with the writer's key before anything is
//!   appended. Torn bytes at the end (a crash mid-write) are left in place, and sealed off by a
//!   signed seal naming them (see [`super::checkpoint`]); a line that is complete but only lacks
//!   its newline gets its newline. Any other problem (an edit, a deletion, another key) refuses
//!   the open: cfcp never appends to a damaged log, and never repairs one by destroying evidence.
//! - **Fail closed.** After a failed write or fsync the log refuses every later append (the file
//!   may end with a partial line, which the next open seals off): callers must not execute a
//!   request whose decision could not be logged.
//! - **No clock.** Every call takes `now` from the caller.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::Value;
use time::OffsetDateTime;

use super::checkpoint::{signed_line, Mark, TornBytes};
use super::entry::{format_time, Decision, LineHash, Outcome, Prepared, Record};
use super::verify::{parses_as_entry, verify, ProblemKind, VerifyReport};
use crate::error::{Error, Result};

/// How often to checkpoint and fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditOptions {
    /// Write a signed checkpoint after this many records (0: only on [`AuditLog::checkpoint`]
    /// and [`AuditLog::close`]).
    pub checkpoint_every: u64,
    /// `fsync` after this many lines (1: every line; 0: only at checkpoints, seals and
    /// [`AuditLog::sync`]).
    pub fsync_every: u64,
}

impl Default for AuditOptions {
    /// A checkpoint every 1,000 records, fsync every line.
    fn default() -> Self {
        AuditOptions {
            checkpoint_every: 1000,
            fsync_every: 1,
        }
    }
}

/// Where an appended line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// Its `seq` (give a decision's to [`AuditLog::outcome`]).
    pub seq: u64,
    /// The hash of its bytes (the next line's `prev`).
    pub hash: LineHash,
}

/// What the writer did about an incomplete end of file on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Torn bytes were sealed off by a seal line.
    Sealed {
        /// Line where the torn bytes start.
        line: usize,
        /// Their byte offset.
        offset: u64,
        /// How many bytes.
        length: u64,
        /// The seal's `seq`.
        seal_seq: u64,
    },
    /// The last line was complete and only lacked its newline, which was added.
    CompletedLine {
        /// Its line number.
        line: usize,
        /// Its `seq`.
        seq: u64,
    },
}

/// What [`AuditLog::open`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenReport {
    /// The file did not exist and was created (mode 0600 on Unix).
    pub created: bool,
    /// Verification of the file as it was found (warnings included).
    pub verified: VerifyReport,
    /// What was done about a torn end, if anything.
    pub recovery: Option<Recovery>,
}

/// An open audit log: append decisions and outcomes, checkpoint, close.
///
/// `Sync`: share it between threads (`Arc<AuditLog>`); appends are serialised.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    key: SigningKey,
    options: AuditOptions,
    report: OpenReport,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    file: File,
    next_seq: u64,
    head: LineHash,
    records_since_checkpoint: u64,
    unsynced: u64,
    failed: Option<String>,
    closed: bool,
}

impl AuditLog {
    /// Opens (or creates) the log at `path` for appending with `key`, after verifying it with
    /// that key and sealing off a torn end (see the module docs). `now` stamps a recovery seal.
    pub fn open(
        path: impl AsRef<Path>,
        key: SigningKey,
        options: AuditOptions,
        now: OffsetDateTime,
    ) -> Result<AuditLog> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let io = |action: &'static str| {
            let shown = shown.clone();
            move |source| Error::AuditIo {
                what: "log",
                path: shown,
                action,
                source,
            }
        };
        let created = !path.exists();
        let mut file = open_file(&path).map_err(io("open"))?;
        lock(&file, &shown)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read"))?;
        let verified = verify(&bytes, Some(&key.verifying_key()));
        let mut state = State {
            file,
            next_seq: verified.last_seq + 1,
            head: verified.head,
            records_since_checkpoint: verified.unsigned_tail.map_or(0, |t| t.lines),
            unsynced: 0,
            failed: None,
            closed: false,
        };
        let mut recovery = None;
        if !verified.ok {
            let refuse = |what: String| {
                Error::AuditLog {
                path: shown.clone(),
                message: format!(
                    "{what}; cfcp does not append to a damaged log: keep it as evidence (move it aside) and start a new one"
                ),
            }
            };
            let problem = verified
                .first_problem
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let tail = match (&verified.torn_tail, &verified.first_problem) {
                (Some(tail), Some(p))
                    if p.kind == ProblemKind::TornLine && p.offset == tail.offset =>
                {
                    *tail
                }
                _ => return Err(refuse(format!("fails verification at {problem}"))),
            };
            let start = usize::try_from(tail.offset)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let region = &bytes[start..];
            let last_piece_start = region
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let last_piece = &region[last_piece_start..];
            let last_parses = !tail.terminated && parses_as_entry(last_piece);
            if last_parses && last_piece_start == 0 {
                // A complete line that only lacks its newline: complete it if it continues the
                // chain.
                let mut fixed = bytes.clone();
                fixed.push(b'\n');
                let again = verify(&fixed, Some(&key.verifying_key()));
                if !again.ok {
                    return Err(refuse(format!(
                        "the last line lacks its newline and does not continue the log ({})",
                        again
                            .first_problem
                            .map(|p| p.to_string())
                            .unwrap_or_default()
                    )));
                }
                write_raw(&mut state, b"\n", &shown)?;
                sync(&mut state, &shown)?;
                state.next_seq = again.last_seq + 1;
                state.head = again.head;
                state.records_since_checkpoint = again.unsigned_tail.map_or(0, |t| t.lines);
                recovery = Some(Recovery::CompletedLine {
                    line: tail.line,
                    seq: again.last_seq,
                });
            } else if last_parses {
                return Err(refuse(format!(
                    "{problem}, and its last part is a complete entry that does not follow it"
                )));
            } else {
                let length = region.len() - usize::from(tail.terminated);
                let torn = TornBytes {
                    offset: tail.offset,
                    length: length as u64,
                    sha256: LineHash::of(&region[..length]),
                };
                let time = format_time(now)?;
                let seal_seq = state.next_seq;
                let seal = signed_line(seal_seq, &time, &state.head, &key, &Mark::Torn(torn));
                let mut out = Vec::with_capacity(seal.len() + 2);
                if !tail.terminated {
                    out.push(b'\n');
                }
                out.extend_from_slice(seal.as_bytes());
                out.push(b'\n');
                write_raw(&mut state, &out, &shown)?;
                sync(&mut state, &shown)?;
                state.head = LineHash::of(seal.as_bytes());
                state.next_seq += 1;
                state.records_since_checkpoint = 0;
                recovery = Some(Recovery::Sealed {
                    line: tail.line,
                    offset: tail.offset,
                    length: length as u64,
                    seal_seq,
                });
            }
        }
        if created {
            super::key::sync_parent(&path);
        }
        Ok(AuditLog {
            path,
            key,
            options,
            report: OpenReport {
                created,
                verified,
                recovery,
            },
            state: Mutex::new(state),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the open found and did.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The public key checkpoints are signed with.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The `seq` the next line will get and the hash it will chain to.
    pub fn head(&self) -> Result<(u64, LineHash)> {
        let state = self.lock()?;
        Ok((state.next_seq, state.head))
    }

    /// Logs a decision; call it **before** executing the request, and do not execute the request
    /// if it fails.
    pub fn decision(&self, now: OffsetDateTime, decision: Decision) -> Result<Receipt> {
        self.append(now, Record::Decision(decision))
    }

    /// Logs the outcome of the decision with `seq` `decision_seq`, after execution.
    pub fn outcome(
        &self,
        now: OffsetDateTime,
        decision_seq: u64,
        outcome: Value,
    ) -> Result<Receipt> {
        self.append(
            now,
            Record::Outcome(Outcome {
                decision_seq,
                outcome,
            }),
        )
    }

    /// Appends a record (redacted, canonical), then a checkpoint when one is due, then fsyncs
    /// when due. Redaction and serialisation happen outside the lock.
    pub fn append(&self, now: OffsetDateTime, record: Record) -> Result<Receipt> {
        let time = format_time(now)?;
        let prepared = Prepared::new(record, &time)?;
        let shown = self.shown();
        let mut state = self.lock()?;
        let line = prepared.line(state.next_seq, &state.head);
        let receipt = write_line(&mut state, line, &shown)?;
        state.records_since_checkpoint += 1;
        if self.options.checkpoint_every > 0
            && state.records_since_checkpoint >= self.options.checkpoint_every
        {
            self.write_mark(&mut state, &time, &Mark::Checkpoint, &shown)?;
        } else if self.options.fsync_every > 0 && state.unsynced >= self.options.fsync_every {
            sync(&mut state, &shown)?;
        }
        Ok(receipt)
    }

    /// Writes a signed checkpoint now (and fsyncs).
    pub fn checkpoint(&self, now: OffsetDateTime) -> Result<Receipt> {
        let time = format_time(now)?;
        let shown = self.shown();
        let mut state = self.lock()?;
        self.write_mark(&mut state, &time, &Mark::Checkpoint, &shown)
    }

    /// How many lines were written since the last fsync (0: everything written is durable).
    pub fn unsynced(&self) -> Result<u64> {
        Ok(self.lock()?.unsynced)
    }

    /// Fsyncs the lines written so far.
    pub fn sync(&self) -> Result<()> {
        let shown = self.shown();
        let mut state = self.lock()?;
        if state.unsynced > 0 {
            sync(&mut state, &shown)?;
        }
        Ok(())
    }

    /// Writes the `close` seal, fsyncs and releases the lock. A log dropped without `close` is
    /// fsynced but not sealed (its last lines stay an unsigned tail).
    pub fn close(self, now: OffsetDateTime) -> Result<Receipt> {
        let time = format_time(now)?;
        let shown = self.shown();
        let mut state = self.lock()?;
        let receipt = self.write_mark(&mut state, &time, &Mark::Close, &shown)?;
        state.closed = true;
        Ok(receipt)
    }

    fn write_mark(
        &self,
        state: &mut State,
        time: &str,
        mark: &Mark,
        shown: &str,
    ) -> Result<Receipt> {
        let line = signed_line(state.next_seq, time, &state.head, &self.key, mark);
        let receipt = write_line(state, line, shown)?;
        state.records_since_checkpoint = 0;
        sync(state, shown)?;
        Ok(receipt)
    }

    fn shown(&self) -> String {
        self.path.display().to_string()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| Error::AuditLog {
            path: self.shown(),
            message: "a thread panicked while appending; reopen the log".into(),
        })
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let state = match self.state.get_mut() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !state.closed && state.failed.is_none() && state.unsynced > 0 {
            let _ = state.file.sync_data();
        }
    }
}

fn write_line(state: &mut State, line: String, shown: &str) -> Result<Receipt> {
    let mut bytes = line.into_bytes();
    let hash = LineHash::of(&bytes);
    bytes.push(b'\n');
    write_raw(state, &bytes, shown)?;
    let receipt = Receipt {
        seq: state.next_seq,
        hash,
    };
    state.head = hash;
    state.next_seq += 1;
    Ok(receipt)
}

fn write_raw(state: &mut State, bytes: &[u8], shown: &str) -> Result<()> {
    if let Some(failed) = &state.failed {
        return Err(Error::AuditLog {
            path: shown.to_owned(),
            message: format!(
                "an earlier write failed ({failed}); nothing more is appended: reopen the log (the next open seals off any partial line)"
            ),
        });
    }
    if state.closed {
        return Err(Error::AuditLog {
            path: shown.to_owned(),
            message: "the log is closed".into(),
        });
    }
    if let Err(source) = state.file.write_all(bytes) {
        state.failed = Some(source.to_string());
        return Err(Error::AuditIo {
            what: "log",
            path: shown.to_owned(),
            action: "append",
            source,
        });
    }
    state.unsynced += 1;
    Ok(())
}

fn sync(state: &mut State, shown: &str) -> Result<()> {
    if let Err(source) = state.file.sync_data() {
        // After a failed fsync the kernel may have dropped the dirty pages: stop here.
        state.failed = Some(source.to_string());
        return Err(Error::AuditIo {
            what: "log",
            path: shown.to_owned(),
            action: "fsync",
            source,
        });
    }
    state.unsynced = 0;
    Ok(())
}

#[cfg(unix)]
fn open_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
}

fn lock(file: &File, shown: &str) -> Result<()> {
    match fs2::FileExt::try_lock_exclusive(file) {
        Ok(()) => Ok(()),
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.raw_os_error() == fs2::lock_contended_error().raw_os_error() =>
        {
            Err(Error::AuditLocked {
                path: shown.to_owned(),
            })
        }
        Err(source) => Err(Error::AuditIo {
            what: "log",
            path: shown.to_owned(),
            action: "lock",
            source,
        }),
    }
}
