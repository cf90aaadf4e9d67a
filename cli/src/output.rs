//! Writing output files safely.

use std::io::Write;
use std::path::Path;

use crate::error::CliError;

/// Writes `contents` to `path` atomically: a temporary file in the same directory, fsync, rename.
///
/// A crash or error midway leaves either the old file or none, never a partial one that looks
/// complete.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), CliError> {
    write_atomic_with(path, |out| out.write_all(contents))
}

/// Like [`write_atomic`], but `write` streams the contents into the temporary file, so that a
/// large report is never held in memory as one string.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Writes to standard output; a closed pipe (`cfcp snapshot | head`) is not an error.
pub fn write_stdout(contents: &[u8]) -> Result<(), CliError> {
    write_stdout_with(|out| out.write_all(contents))
}

/// Like [`write_stdout`], but `write` streams the contents.
pub fn write_stdout_with(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Io {
            path: "<stdout>".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leaving_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn streamed_write_lands_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic_with(&path, |out| out.write_all(b"streamed")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"streamed");
        let failed = write_atomic_with(&path, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("writer gave up"))
        });
        assert!(failed.is_err());
        // The earlier complete file stays; no temporary is left behind.
        assert_eq!(std::fs::read(&path).unwrap(), b"streamed");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failure_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("out.json");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
