//! The explicit plaintext store: `<data dir>/secrets`, mode 0600, one `key value` line per
//! secret (values percent-encoded). Plaintext at rest, like git's own credential-store;
//! chosen only when the user asks for it, for headless machines without a keyring.

use std::path::PathBuf;

use super::{SecretError, SecretStore};
use crate::secret::Secret;
use crate::{fields, files};

const LOCK: &str = ".secrets.lock";

pub struct FileStore {
    dir: PathBuf,
}

/// The parsed file; its `Drop` wipes the values.
struct Entries(Vec<(String, Secret)>);

impl FileStore {
    pub fn new(dir: PathBuf) -> FileStore {
        FileStore { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("secrets")
    }

    fn load(&self) -> Result<Entries, SecretError> {
        let path = self.path();
        files::ensure_private(&path)?;
        let Some(mut bytes) = files::read_optional(&path)? else {
            return Ok(Entries(Vec::new()));
        };
        let parsed = parse(&bytes).map_err(|line| SecretError::Damaged {
            path: path.clone(),
            line,
        });
        zeroize::Zeroize::zeroize(&mut bytes);
        parsed
    }

    fn save(&self, entries: &Entries) -> Result<(), SecretError> {
        let mut out =
            String::from("# git-credential-scoped file secret store (plaintext, keep private)\n");
        for (key, secret) in &entries.0 {
            out.push_str(&fields::encode(Some(key.as_bytes())));
            out.push(' ');
            out.push_str(&fields::encode(Some(secret.expose())));
            out.push('\n');
        }
        let result = files::write_atomic(&self.path(), out.as_bytes());
        zeroize::Zeroize::zeroize(&mut out);
        Ok(result?)
    }

    fn update(&self, change: impl FnOnce(&mut Vec<(String, Secret)>)) -> Result<(), SecretError> {
        let _lock = files::lock(&self.dir, LOCK)?;
        let mut entries = self.load()?;
        change(&mut entries.0);
        self.save(&entries)
    }
}

fn parse(bytes: &[u8]) -> Result<Entries, usize> {
    let text = std::str::from_utf8(bytes).map_err(|_| 1usize)?;
    let mut entries = Entries(Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once(' ').ok_or(n + 1)?;
        let key = fields::decode(k)
            .ok()
            .flatten()
            .and_then(|k| String::from_utf8(k).ok())
            .ok_or(n + 1)?;
        let value = fields::decode(v).ok().flatten().ok_or(n + 1)?;
        entries.0.push((key, Secret::new(value)));
    }
    Ok(entries)
}

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        // One line is wanted: find it by its key without decoding the others.
        let path = self.path();
        files::ensure_private(&path)?;
        let Some(bytes) = files::read_optional(&path)? else {
            return Ok(None);
        };
        let bytes = Secret::new(bytes);
        let all = bytes.expose();
        let line_of = |at: usize| all[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let damaged = |at: usize| SecretError::Damaged {
            path: path.clone(),
            line: line_of(at),
        };
        // One line is wanted: a (SIMD) substring search finds it without decoding, or even
        // validating, the others.
        let prefix = format!("{} ", fields::encode(Some(key.as_bytes())));
        let start = if all.starts_with(prefix.as_bytes()) {
            Some(0)
        } else {
            memchr::memmem::find(all, format!("\n{prefix}").as_bytes()).map(|i| i + 1)
        };
        if let Some(start) = start {
            let rest = &all[start + prefix.len()..];
            let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
            let value = std::str::from_utf8(line)
                .ok()
                .and_then(|text| fields::decode(text).ok().flatten())
                .ok_or_else(|| damaged(start))?;
            return Ok(Some(Secret::new(value)));
        }
        Ok(None)
    }

    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError> {
        self.update(|entries| {
            entries.retain(|(k, _)| k != key);
            entries.push((key.to_string(), secret.duplicate()));
        })
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        if !self.path().exists() {
            return Ok(());
        }
        self.update(|entries| entries.retain(|(k, _)| k != key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace_delete() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path().join("d"));
        assert!(store.get("a").unwrap().is_none());
        store.set("a", &Secret::from_text("one two")).unwrap();
        store.set("b", &Secret::new(b"\xff\n".to_vec())).unwrap();
        store.set("a", &Secret::from_text("three")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose(), b"three");
        assert_eq!(store.get("b").unwrap().unwrap().expose(), b"\xff\n");
        store.delete("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_line_is_reported_by_number() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path().to_path_buf());
        std::fs::write(store.path(), "# c\nk %zz\n").unwrap();
        match store.get("k") {
            Err(SecretError::Damaged { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
