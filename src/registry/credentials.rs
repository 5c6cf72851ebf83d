//! The index of generic credentials (any host): who, where and until when — never the secret,
//! which lives in the secret store under `credential/<id>`.
//!
//! `<data dir>/credentials`, one line per credential, newest first:
//! `id store protocol host path username expiry`, fields encoded by [`crate::fields`].
//! Matching follows git's `credential_match`: a field the request lacks matches anything,
//! a field it gives must be equal (an empty value is not an absent one).

use std::path::{Path, PathBuf};

use super::StoreKind;
use crate::fields;
use crate::files::{self, FileError};

pub const FILE: &str = "credentials";
pub const LOCK: &str = ".credentials.lock";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: String,
    pub store: StoreKind,
    pub protocol: String,
    pub host: String,
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
    pub expiry: Option<u64>,
}

/// The fields git may give to look credentials up.
#[derive(Clone, Copy, Debug)]
pub struct Pattern<'a> {
    pub protocol: &'a str,
    pub host: &'a str,
    pub path: Option<&'a [u8]>,
    pub username: Option<&'a str>,
}

impl Stored {
    /// git's rule: each field the pattern gives must equal the stored one.
    pub fn matches(&self, p: &Pattern) -> bool {
        self.protocol == p.protocol
            && self.host.eq_ignore_ascii_case(p.host)
            && p.path.is_none_or(|path| self.path.as_deref() == Some(path))
            && p.username
                .is_none_or(|u| self.username.as_deref() == Some(u))
    }

    /// Same key: the fields `store` identifies a credential by, absent ones included.
    pub fn same_key(&self, other: &Stored) -> bool {
        self.protocol == other.protocol
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.path == other.path
            && self.username == other.username
    }

    pub fn secret_key(&self) -> String {
        format!("credential/{}", self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(
        "{path} is damaged at line {line}\nhint: fix or remove that line (it holds no secret)"
    )]
    Damaged { path: PathBuf, line: usize },
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

pub fn load(data_dir: &Path) -> Result<Vec<Stored>, IndexError> {
    let path = path(data_dir);
    let Some(bytes) = files::read_data(&path)? else {
        return Ok(Vec::new());
    };
    let damaged = |line| IndexError::Damaged {
        path: path.clone(),
        line,
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| damaged(1))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(line).ok_or_else(|| damaged(n + 1))?);
    }
    Ok(out)
}

fn parse_line(line: &str) -> Option<Stored> {
    let mut it = line.split(' ');
    let mut next = || it.next();
    let id = next()?.to_string();
    let store = StoreKind::parse(next()?)?;
    let text = |f: Option<&str>| -> Option<Option<String>> {
        let raw = fields::decode(f?).ok()?;
        match raw {
            Some(v) => String::from_utf8(v).ok().map(Some),
            None => Some(None),
        }
    };
    let protocol = text(next())??;
    let host = text(next())??;
    let path = fields::decode(next()?).ok()?;
    let username = text(next())?;
    let expiry = match next()? {
        "-" => None,
        n => Some(n.parse().ok()?),
    };
    Some(Stored {
        id,
        store,
        protocol,
        host,
        path,
        username,
        expiry,
    })
}

pub fn save(data_dir: &Path, entries: &[Stored]) -> Result<(), IndexError> {
    save_then(data_dir, entries)?.sync();
    Ok(())
}

/// [`save`] up to the rename; the caller syncs the directory after releasing the lock.
fn save_then(data_dir: &Path, entries: &[Stored]) -> Result<files::Renamed, IndexError> {
    let mut out =
        String::from("# git-credential-scoped credential index v1 (no secrets in this file)\n");
    for e in entries {
        let line = [
            e.id.clone(),
            e.store.name().to_string(),
            fields::encode(Some(e.protocol.as_bytes())),
            fields::encode(Some(e.host.as_bytes())),
            fields::encode(e.path.as_deref()),
            fields::encode(e.username.as_deref().map(str::as_bytes)),
            e.expiry.map_or("-".to_string(), |t| t.to_string()),
        ]
        .join(" ");
        out.push_str(&line);
        out.push('\n');
    }
    Ok(files::write_atomic_then(&path(data_dir), out.as_bytes())?)
}

/// Runs `change` on the index under its lock and saves the result. Only the read, the
/// change and the write up to its rename hold the lock (every store and erase of every git
/// process waits for it); the directory sync comes after.
pub fn update<T>(
    data_dir: &Path,
    change: impl FnOnce(&mut Vec<Stored>) -> T,
) -> Result<T, IndexError> {
    let lock = files::lock(data_dir, LOCK)?;
    let mut entries = load(data_dir)?;
    let result = change(&mut entries);
    let renamed = save_then(data_dir, &entries)?;
    drop(lock);
    renamed.sync();
    Ok(result)
}

/// A fresh id: time, process and a counter; unique across concurrent processes.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}{:x}{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(path: Option<&[u8]>, username: Option<&str>) -> Stored {
        Stored {
            id: new_id(),
            store: StoreKind::File,
            protocol: "https".into(),
            host: "example.com:8443".into(),
            path: path.map(<[u8]>::to_vec),
            username: username.map(str::to_string),
            expiry: Some(42),
        }
    }

    fn pat<'a>(path: Option<&'a [u8]>, username: Option<&'a str>) -> Pattern<'a> {
        Pattern {
            protocol: "https",
            host: "example.com:8443",
            path,
            username,
        }
    }

    #[test]
    fn absent_fields_in_the_pattern_match_anything() {
        let s = stored(Some(b"a/b"), Some("u"));
        assert!(s.matches(&pat(None, None)));
        assert!(s.matches(&pat(Some(b"a/b"), Some("u"))));
        assert!(!s.matches(&pat(Some(b"a/c"), None)));
        assert!(!s.matches(&pat(None, Some("v"))));
    }

    #[test]
    fn given_fields_never_match_absent_ones_and_empty_is_not_absent() {
        let s = stored(None, Some(""));
        assert!(!s.matches(&pat(Some(b"a/b"), None)));
        assert!(s.matches(&pat(None, Some(""))));
        assert!(!stored(None, None).matches(&pat(None, Some(""))));
    }

    #[test]
    fn host_includes_the_port_and_protocol_must_equal() {
        let s = stored(None, None);
        let mut p = pat(None, None);
        p.host = "example.com";
        assert!(!s.matches(&p));
        p.host = "EXAMPLE.com:8443";
        assert!(s.matches(&p));
        p.protocol = "http";
        assert!(!s.matches(&p));
    }

    #[test]
    fn index_round_trips_odd_values() {
        let tmp = tempfile::tempdir().unwrap();
        let entries = vec![stored(Some(b"p a\xff"), Some("")), stored(None, None)];
        save(tmp.path(), &entries).unwrap();
        assert_eq!(load(tmp.path()).unwrap(), entries);
    }
}
