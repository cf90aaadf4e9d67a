//! The signing key file (shell: reads and writes files, reads the OS random source).
//!
//! The key file holds the 32-byte Ed25519 seed as 64 hex digits and a newline. It is created on
//! first use with mode 0600 (on Unix) from the OS random source, and the public key is written
//! beside it as `<key file>.pub` (64 hex digits and a newline) for `cfcp log verify --pubkey`.
//! Loading refuses a key file that others can read or write (like ssh does): whoever reads the
//! seed can forge checkpoints. Key bytes never appear in errors or `Debug` output.

use std::ffi::OsString;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::checkpoint::parse_public_key;
use crate::error::{Error, Result};

/// A loaded (or new) signing key.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key.
    pub key: SigningKey,
    /// It was generated just now (the key file did not exist).
    pub generated: bool,
    /// Where its public key is (`<key file>.pub`).
    pub public_key_path: PathBuf,
}

/// The path of the public key written beside a key file: `<key file>.pub`.
pub fn public_key_path(key_path: &Path) -> PathBuf {
    let mut name = OsString::from(key_path.as_os_str());
    name.push(".pub");
    PathBuf::from(name)
}

/// Loads the key at `path`, or generates it (mode 0600) and its `.pub` when the file does not
/// exist. Safe against two processes generating at once: one wins, the other loads its key.
pub fn load_or_generate(path: &Path) -> Result<LoadedKey> {
    match load_signing_key(path) {
        Ok(key) => {
            let public_key_path = public_key_path(path);
            // Missing or stale (the key was replaced): write the one that matches.
            if load_public_key(&public_key_path).ok() != Some(key.verifying_key()) {
                write_public_key(&public_key_path, &key.verifying_key())?;
            }
            Ok(LoadedKey {
                key,
                generated: false,
                public_key_path,
            })
        }
        Err(Error::AuditIo { source, .. }) if source.kind() == ErrorKind::NotFound => {
            generate(path)
        }
        Err(e) => Err(e),
    }
}

/// Loads an existing key file.
pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
    let shown = path.display().to_string();
    let text = Zeroizing::new(fs::read(path).map_err(|source| Error::AuditIo {
        what: "key",
        path: shown.clone(),
        action: "read",
        source,
    })?);
    check_private(path)?;
    let token = text
        .split(|b| b.is_ascii_whitespace())
        .find(|t| !t.is_empty())
        .unwrap_or(&[]);
    let mut seed = Zeroizing::new([0u8; 32]);
    if token.len() != 64 || hex::decode_to_slice(token, seed.as_mut()).is_err() {
        return Err(Error::AuditKey {
            path: shown,
            message: "not an audit signing key: expected 64 hex digits (a 32-byte Ed25519 seed); delete it to have cfcp generate a new one, which starts a new chain of trust".into(),
        });
    }
    Ok(SigningKey::from_bytes(&seed))
}

/// Loads a public key file (64 hex digits, as written beside the key file).
pub fn load_public_key(path: &Path) -> Result<VerifyingKey> {
    let shown = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| Error::AuditIo {
        what: "public key",
        path: shown.clone(),
        action: "read",
        source,
    })?;
    let token = text.split_whitespace().next().unwrap_or("");
    parse_public_key(token).map_err(|message| Error::AuditKey {
        path: shown,
        message: format!("{message}; expected the `.pub` file written beside the key file"),
    })
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|source| Error::AuditIo {
        what: "key",
        path: path.display().to_string(),
        action: "stat",
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::AuditKey {
            path: path.display().to_string(),
            message: format!(
                "permissions {mode:03o} let other users read or change the signing key; run `chmod 600` on it"
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

fn generate(path: &Path) -> Result<LoadedKey> {
    let shown = path.display().to_string();
    let io = |action: &'static str| {
        let shown = shown.clone();
        move |source| Error::AuditIo {
            what: "key",
            path: shown,
            action,
            source,
        }
    };
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut()).map_err(|e| Error::AuditKey {
        path: shown.clone(),
        message: format!("the OS random source failed: {e}"),
    })?;
    let key = SigningKey::from_bytes(&seed);
    let text = Zeroizing::new(format!("{}\n", hex::encode(seed.as_ref())));

    // Write a private temporary file completely, then link it to the final name: the key file
    // is never seen half-written, and an existing key is never replaced.
    let mut tmp_name = OsString::from(path.as_os_str());
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let _ = fs::remove_file(&tmp);
    {
        let mut file = create_private(&tmp).map_err(io("create"))?;
        file.write_all(text.as_bytes()).map_err(io("write"))?;
        file.sync_all().map_err(io("fsync"))?;
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            // Another process generated it first: use theirs.
            let key = load_signing_key(path)?;
            return Ok(LoadedKey {
                key,
                generated: false,
                public_key_path: public_key_path(path),
            });
        }
        Err(e) => return Err(io("create")(e)),
    }
    sync_parent(path);
    let public_key_path = public_key_path(path);
    write_public_key(&public_key_path, &key.verifying_key())?;
    Ok(LoadedKey {
        key,
        generated: true,
        public_key_path,
    })
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Writes `<hex>\n` to `path` through a temporary file and a rename.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<()> {
    let io = |action: &'static str| {
        move |source| Error::AuditIo {
            what: "public key",
            path: path.display().to_string(),
            action,
            source,
        }
    };
    let mut tmp_name = OsString::from(path.as_os_str());
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    {
        let mut file = fs::File::create(&tmp).map_err(io("create"))?;
        file.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())
            .map_err(io("write"))?;
        file.sync_all().map_err(io("fsync"))?;
    }
    fs::rename(&tmp, path).map_err(io("rename"))?;
    sync_parent(path);
    Ok(())
}

/// Best effort: makes a new directory entry durable.
pub(crate) fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_loads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("audit.key");
        let first = load_or_generate(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(first.generated);
        let second = load_or_generate(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!second.generated);
        assert_eq!(first.key.to_bytes(), second.key.to_bytes());
        let public = load_public_key(&first.public_key_path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(public, first.key.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
                .unwrap_or_else(|e| panic!("{e}"));
            let err = load_or_generate(&path).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains("chmod 600")));
        }
    }

    #[test]
    fn rejects_bad_key_files_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("bad.key");
        fs::write(&path, "not-a-key-SECRETSECRET\n").unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o600));
        }
        let err = load_signing_key(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("64 hex digits") && !err.contains("SECRET"),
            "{err}"
        );
        let err = load_public_key(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("64 hex digits"), "{err}");
    }
}
