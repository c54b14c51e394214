//! A file that keeps an integration's latest refresh token between runs.
//!
//! Webex's token endpoint may answer a refresh with a refresh token other than the one sent;
//! from then on only the new one works. A program that refreshes from a fixed configuration
//! value would lock itself out on its next run, so the new token has to be stored, safely:
//!
//! - The file holds one JSON object, `{"refresh_token": "..."}`, and is created with mode 0600
//!   (owner only) in a directory created with mode 0700 where missing.
//! - It is replaced atomically: the new content goes to a temporary file in the same
//!   directory, which is flushed to disk (`fsync`) and renamed over the old one, and the
//!   directory is flushed too. A crash leaves either the old token or the new one, never half
//!   of one.
//! - [`TokenFile::lock`] takes an exclusive lock on a companion file (`<name>.lock`), so two
//!   processes refreshing at once take turns: the second reads what the first stored, and
//!   neither overwrites a newer token with an older one.
//! - The token is a [`Secret`]: it never shows in `Debug` output, and no error of this module
//!   quotes the file's content.
//!
//! ```
//! use webex_admin::{Secret, token_file::TokenFile};
//!
//! let dir = std::env::temp_dir().join(format!("webex-token-doc-{}", std::process::id()));
//! let file = TokenFile::new(dir.join("token.json"));
//! let lock = file.lock().unwrap();
//! assert!(file.read().unwrap().is_none());
//! file.write(&Secret::from("the-new-refresh-token")).unwrap();
//! assert_eq!(file.read().unwrap().unwrap().expose(), "the-new-refresh-token");
//! drop(lock);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Secret;

/// Where an integration's latest refresh token is kept (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFile {
    path: PathBuf,
}

/// The exclusive lock of a [`TokenFile`], held until dropped.
#[derive(Debug)]
pub struct TokenFileLock {
    _file: File,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    refresh_token: Secret,
}

impl TokenFile {
    /// The token file at `path` (nothing is read or created yet).
    pub fn new(path: impl Into<PathBuf>) -> TokenFile {
        TokenFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_owned();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    /// Creates the directory where missing (mode 0700), and waits for the exclusive lock of
    /// `<file>.lock`. This blocks the thread: from async code, call it on a blocking thread.
    /// Creating the lock file also proves the directory is writable before a refresh turns
    /// the old refresh token into a dead one.
    pub fn lock(&self) -> io::Result<TokenFileLock> {
        let file = self.lock_file()?;
        file.lock()?;
        Ok(TokenFileLock { _file: file })
    }

    /// Like [`lock`](TokenFile::lock) without waiting: `None` while another holder has it
    /// (async code polls this instead of blocking a thread).
    pub fn try_lock(&self) -> io::Result<Option<TokenFileLock>> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(TokenFileLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(err)) => Err(err),
        }
    }

    fn lock_file(&self) -> io::Result<File> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)?;
        }
        private(OpenOptions::new().create(true).truncate(false).write(true))
            .open(self.sibling(".lock"))
    }

    /// The stored refresh token, or `None` while the file does not exist. A file that is not
    /// a token file is an error of kind `InvalidData` (its content is not quoted).
    pub fn read(&self) -> io::Result<Option<Secret>> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let stored: Stored = serde_json::from_str(&text).map_err(|_| {
            let what = format!("{} is not a token file", self.path.display());
            io::Error::new(io::ErrorKind::InvalidData, what)
        })?;
        let token = stored.refresh_token;
        Ok((!token.expose().is_empty()).then_some(token))
    }

    /// Replaces the stored token with `refresh_token`: temporary file (mode 0600), `fsync`,
    /// rename, `fsync` of the directory. Hold the [lock](TokenFile::lock) around the refresh
    /// and this write.
    pub fn write(&self, refresh_token: &Secret) -> io::Result<()> {
        let stored = Stored {
            refresh_token: refresh_token.clone(),
        };
        let text = serde_json::to_string(&stored).map_err(io::Error::other)?;
        let temporary = self.sibling(&format!(".{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = private(OpenOptions::new().create(true).truncate(true).write(true))
                .open(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written?;
        #[cfg(unix)]
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// `options` creating files readable and writable by their owner only.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_private_replaced_whole_and_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("state/webex-token.json"));
        let _lock = file.lock().unwrap();
        file.write(&Secret::from("first-refresh-token")).unwrap();
        file.write(&Secret::from("second-refresh-token")).unwrap();
        assert_eq!(
            file.read().unwrap().unwrap().expose(),
            "second-refresh-token"
        );
        let names: Vec<String> = fs::read_dir(dir.path().join("state"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(file.path()), 0o600);
            assert_eq!(mode(&dir.path().join("state")), 0o700);
        }
        fs::write(file.path(), "secret-looking garbage").unwrap();
        let err = file.read().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(!err.to_string().contains("garbage"), "{err}");
        assert!(!format!("{file:?}").contains("refresh-token"));
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::new(dir.path().join("token.json"));
        let first = file.lock().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let other = file.clone();
        let waiter = std::thread::spawn(move || {
            let _second = other.lock().unwrap();
            sender
                .send(other.read().unwrap().map(|t| t.expose().to_owned()))
                .unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(receiver.try_recv().is_err(), "the second lock did not wait");
        assert!(file.try_lock().unwrap().is_none());
        file.write(&Secret::from("newer")).unwrap();
        drop(first);
        let seen = receiver.recv().unwrap();
        waiter.join().unwrap();
        assert_eq!(seen.as_deref(), Some("newer"));
    }
}
