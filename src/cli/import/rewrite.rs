//! `--remove-imported`: the user's credential-store file rewritten without the lines that
//! the registry now makes redundant — atomically, under git's own lock for the file, every
//! other line kept byte for byte and in order, a last line without a line end kept so.

use std::path::{Path, PathBuf};

use super::plan;
use super::store_file::{self, Line};
use super::{read_user_file, Error};
use crate::files::io_err;
use crate::registry::Token;
use crate::secret::Secret;

/// Rewrites `file` without the lines that `tokens` make redundant, under git's own lock
/// for it (`FILE.lock`, as git-credential-store takes it), from the file as it is then.
/// Returns how many lines were removed and how many kept.
pub fn remove_lines(file: &Path, tokens: &[Token]) -> Result<(usize, usize), Error> {
    // A symbolic link (a dotfiles checkout) is followed: the file itself is rewritten.
    let real = std::fs::canonicalize(file).map_err(io_err("read", file))?;
    let _lock = GitLock::take(&real)?;
    let bytes = read_user_file(&real)?;
    let raw: Vec<&[u8]> = store_file::lines(bytes.expose()).collect();
    let parsed = store_file::read(bytes.expose());
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut last_kept = false;
    for (line, (_, l)) in raw.iter().zip(&parsed) {
        last_kept = match l {
            Line::Credential(e) => plan::covering(e, tokens).is_none(),
            Line::Blank | Line::Unreadable(_) => true,
        };
        if last_kept {
            kept.push(line);
        }
    }
    let (removed, count) = (raw.len() - kept.len(), kept.len());
    let mut kept = kept.join(&b"\n"[..]);
    // Every kept line keeps its line end; only a last line that had none still has none.
    if !kept.is_empty() && (bytes.expose().ends_with(b"\n") || !last_kept) {
        kept.push(b'\n');
    }
    let kept = Secret::new(kept);
    crate::files::write_atomic(&real, kept.expose())?;
    Ok((removed, count))
}

/// git's lock for a file it rewrites (`FILE.lock`, created exclusively, removed after):
/// while it is held, git-credential-store does not write the file, and we do not either
/// while git holds it.
struct GitLock(PathBuf);

impl GitLock {
    fn take(file: &Path) -> Result<GitLock, Error> {
        let mut name = file.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(GitLock(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "{} exists: git is writing {} (or a git process died while it did); nothing was removed\nhint: try again; if no git process is running, delete {}",
                path.display(),
                file.display(),
                path.display()
            )
            .into()),
            Err(e) => Err(io_err("create the lock file", &path)(e).into()),
        }
    }
}

impl Drop for GitLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
