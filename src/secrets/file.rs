//! The explicit plaintext store: one 0600 file per secret in `<data dir>/secrets.d/`, named
//! by its key (escaped), holding the secret's bytes. Plaintext at rest, like git's own
//! credential-store; chosen only when the user asks for it, for headless machines without a
//! keyring. One file per secret means a `get` reads one small file, whatever the number of
//! secrets, and each change replaces one file atomically.
//!
//! Earlier versions kept every secret in one `<data dir>/secrets` file of `key value` lines;
//! it is still read, and the first change moves its secrets here.

use std::path::{Path, PathBuf};

use super::{SecretError, SecretStore};
use crate::secret::Secret;
use crate::{fields, files};

const LOCK: &str = ".secrets.lock";
const DIR: &str = "secrets.d";
const LEGACY: &str = "secrets";

pub struct FileStore {
    dir: PathBuf,
    /// Repairs made while reading (a file readable by others), for the caller to say.
    warnings: std::cell::RefCell<Vec<String>>,
    /// The directories were checked (once per invocation is enough).
    checked: std::cell::Cell<bool>,
}

impl FileStore {
    pub fn new(data_dir: PathBuf) -> FileStore {
        FileStore {
            dir: data_dir,
            warnings: Default::default(),
            checked: Default::default(),
        }
    }

    /// The directory that holds the secrets.
    pub fn path(&self) -> PathBuf {
        self.dir.join(DIR)
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut self.warnings.borrow_mut())
    }

    fn file_of(&self, key: &str) -> PathBuf {
        self.path().join(file_name(key))
    }

    fn private(&self, path: &Path) -> Result<(), SecretError> {
        let repaired = files::ensure_private(path)?;
        self.warnings.borrow_mut().extend(repaired);
        Ok(())
    }

    /// The secrets' directory and the data directory above it, held to 0700.
    fn check_dirs(&self) -> Result<(), SecretError> {
        if !self.checked.get() {
            self.private(&self.path())?;
            self.checked.set(true);
        }
        Ok(())
    }

    fn read(&self, path: &Path) -> Result<Option<Secret>, SecretError> {
        self.check_dirs()?;
        let Some((bytes, warning)) = files::read_secret_file(path)? else {
            return Ok(None);
        };
        self.warnings.borrow_mut().extend(warning);
        Ok(Some(Secret::new(bytes)))
    }

    /// Moves the legacy single file's secrets here once, under the store's lock.
    fn migrate_if_needed(&self) -> Result<(), SecretError> {
        if !self.dir.join(LEGACY).exists() {
            return Ok(());
        }
        files::ensure_dir(&self.path())?;
        let _lock = files::lock(&self.dir, LOCK)?;
        self.migrate()
    }

    /// Moves the secrets of the legacy single file into the directory, then removes it.
    /// Called with the store's lock held.
    fn migrate(&self) -> Result<(), SecretError> {
        let legacy = self.dir.join(LEGACY);
        let Some(bytes) = self.read(&legacy)? else {
            return Ok(());
        };
        for (key, secret) in parse_legacy(bytes.expose()).map_err(|line| SecretError::Damaged {
            path: legacy.clone(),
            line,
        })? {
            if !self.file_of(&key).exists() {
                files::write_atomic(&self.file_of(&key), secret.expose())?;
            }
        }
        files::remove(&legacy)?;
        Ok(())
    }
}

/// A key as a file name: letters, digits, `.`, `_`, `-` kept, every other byte `%XX`.
fn file_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The legacy file's `key value` lines; `Err(line)` for a damaged one.
fn parse_legacy(bytes: &[u8]) -> Result<Vec<(String, Secret)>, usize> {
    let text = std::str::from_utf8(bytes).map_err(|_| 1usize)?;
    let mut entries = Vec::new();
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
        entries.push((key, Secret::new(value)));
    }
    Ok(entries)
}

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        if let Some(s) = self.read(&self.file_of(key))? {
            return Ok(Some(s));
        }
        let legacy = self.dir.join(LEGACY);
        let Some(bytes) = self.read(&legacy)? else {
            return Ok(None);
        };
        let entries = parse_legacy(bytes.expose()).map_err(|line| SecretError::Damaged {
            path: legacy.clone(),
            line,
        })?;
        Ok(entries.into_iter().find(|(k, _)| k == key).map(|(_, s)| s))
    }

    /// One file written whole: no lock but while the legacy file is moved.
    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError> {
        files::ensure_dir(&self.path())?;
        self.check_dirs()?;
        self.migrate_if_needed()?;
        files::remove_dead_writers(&self.path());
        Ok(files::write_atomic(&self.file_of(key), secret.expose())?)
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.migrate_if_needed()?;
        files::remove_dead_writers(&self.path());
        Ok(files::remove(&self.file_of(key))?)
    }

    fn place(&self, key: &str) -> String {
        let file = self.file_of(key);
        let file = match file.exists() {
            true => file,
            false => self.dir.join(LEGACY),
        };
        format!("the file store's file {}", file.display())
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
        store
            .set("b/c:d", &Secret::new(b"\xff\n".to_vec()))
            .unwrap();
        store.set("a", &Secret::from_text("three")).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().expose(), b"three");
        assert_eq!(store.get("b/c:d").unwrap().unwrap().expose(), b"\xff\n");
        store.delete("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
        store.delete("never-there").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&store.file_of("b/c:d")), 0o600);
            assert_eq!(mode(&store.path()), 0o700);
        }
        assert_eq!(
            file_name("token/x@y/sha256:0a"),
            "token%2Fx%40y%2Fsha256%3A0a"
        );
    }

    #[test]
    fn the_legacy_file_is_read_and_moved_on_the_first_change() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path().to_path_buf());
        std::fs::write(
            tmp.path().join(LEGACY),
            "# c\ntoken%2Fa one\ncredential%2F1 two%20x\n",
        )
        .unwrap();
        assert_eq!(
            store.get("credential/1").unwrap().unwrap().expose(),
            b"two x"
        );
        store.set("b", &Secret::from_text("three")).unwrap();
        assert!(!tmp.path().join(LEGACY).exists());
        assert_eq!(store.get("token/a").unwrap().unwrap().expose(), b"one");
        assert_eq!(store.get("b").unwrap().unwrap().expose(), b"three");
    }

    #[test]
    fn a_damaged_legacy_line_is_reported_by_number() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path().to_path_buf());
        std::fs::write(tmp.path().join(LEGACY), "# c\nk %zz\n").unwrap();
        match store.get("k") {
            Err(SecretError::Damaged { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
