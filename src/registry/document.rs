//! Writing `config.toml`: the program's own changes are made by editing the parsed document
//! with `toml_edit`, so a user's comments and layout survive, and every change is made under
//! the config's lock against the file as it is at that moment — never against a copy read
//! before a slow step (a network call, a prompt), which would undo what another process
//! changed meanwhile. What is written is read back through [`super::config`] first: a change
//! that would leave the file unreadable is not written.

use std::path::Path;

pub use toml_edit::DocumentMut;
use toml_edit::{value, Array, ArrayOfTables, InlineTable, Item, Table};

use super::config::{self, ConfigError, Registry, VERSION};
use super::{Expiry, Repos, SecretSource, Token};
use crate::files;
use crate::time;

/// A new, empty registry document.
pub fn new_document() -> DocumentMut {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# git-credential-scoped registry: tokens and GitHub hosts. No secrets here.\n",
    );
    doc["version"] = value(VERSION);
    doc
}

/// Writes `token` into the document: replaces the table with the same name (keeping its
/// position and comments) or appends a new one.
pub fn put_token(doc: &mut DocumentMut, token: &Token) -> Result<(), ConfigError> {
    let arr = token_tables(doc)?;
    let existing = arr
        .iter_mut()
        .find(|t| t.get("name").and_then(Item::as_str) == Some(token.name.as_str()));
    match existing {
        Some(table) => fill_token(table, token),
        None => {
            let mut table = Table::new();
            fill_token(&mut table, token);
            arr.push(table);
        }
    }
    Ok(())
}

/// The document's `[[token]]` tables, made when there are none. A config may write its
/// tokens as an array of inline tables (`token = [ { name = "t", ... } ]`), which reads the
/// same; a change turns that array into `[[token]]` tables first, so that the tables it
/// changes are the ones the registry is read from (else a write would report success and
/// change nothing).
fn token_tables(doc: &mut DocumentMut) -> Result<&mut ArrayOfTables, ConfigError> {
    let item = doc.entry("token").or_insert(Item::None);
    let taken = std::mem::take(item);
    *item = match taken {
        Item::None => Item::ArrayOfTables(ArrayOfTables::new()),
        Item::Value(toml_edit::Value::Array(a)) if a.is_empty() => {
            Item::ArrayOfTables(ArrayOfTables::new())
        }
        other => other
            .into_array_of_tables()
            .map_or_else(|other| other, Item::ArrayOfTables),
    };
    item.as_array_of_tables_mut().ok_or_else(|| {
        ConfigError::Change(
            "'token' in the config is neither [[token]] tables nor an array of inline tables; nothing was changed".into(),
        )
    })
}

fn fill_token(t: &mut Table, token: &Token) {
    let Token {
        name,
        host,
        owner,
        repos,
        contents,
        other_permissions,
        expires,
        username,
        source,
        default,
        fingerprint,
    } = token;
    set(t, "name", value(name.as_str()));
    set(t, "host", value(host.as_str()));
    set(t, "owner", value(owner.as_str()));
    let repos = match repos {
        Repos::All => value("all"),
        Repos::List(list) => value(list.iter().map(String::as_str).collect::<Array>()),
    };
    set(t, "repositories", repos);
    let mut perms = InlineTable::new();
    perms.insert("contents", contents.name().into());
    for (k, v) in other_permissions {
        perms.insert(k, v.name().into());
    }
    set(t, "permissions", value(perms));
    let expires = match expires {
        Expiry::Never => value("never"),
        Expiry::At(at) => value(time::format_datetime(*at)),
        Expiry::Unknown => Item::None,
    };
    set(t, "expires", expires);
    set(t, "username", username.as_deref().map_or(Item::None, value));
    let (store, env, command) = match source {
        SecretSource::Store(k) => (value(k.name()), Item::None, Item::None),
        SecretSource::Env(v) => (Item::None, value(v.as_str()), Item::None),
        SecretSource::Command(c) => (Item::None, Item::None, value(c.as_str())),
    };
    set(t, "secret", store);
    set(t, "secret_env", env);
    set(t, "secret_command", command);
    set(
        t,
        "default",
        if *default { value(true) } else { Item::None },
    );
    set(
        t,
        "fingerprint",
        fingerprint.as_deref().map_or(Item::None, value),
    );
}

/// Sets a key, leaving an equal value untouched and keeping the comments around a changed one.
fn set(t: &mut Table, key: &str, new: Item) {
    match (t.get_mut(key), new) {
        (None, Item::None) => {}
        (Some(_), Item::None) => {
            t.remove(key);
        }
        (Some(Item::Value(old)), Item::Value(mut new)) => {
            if old.to_string().trim() != new.to_string().trim() {
                let decor = old.decor().clone();
                *new.decor_mut() = decor;
                *old = new;
            }
        }
        (_, new) => {
            t[key] = new;
        }
    }
}

/// Removes the token table named `name`; false when there is none.
pub fn remove_token(doc: &mut DocumentMut, name: &str) -> Result<bool, ConfigError> {
    if !doc.contains_key("token") {
        return Ok(false);
    }
    let arr = token_tables(doc)?;
    let before = arr.len();
    arr.retain(|t| t.get("name").and_then(Item::as_str) != Some(name));
    Ok(before != arr.len())
}

/// Why the config would refuse `token` as [`put_token`] writes it, or `None`: the config's
/// own rules, asked by writing the token alone into a new document and reading it back. For
/// `import`, which must name what it cannot register before anything is written.
pub fn refusal(token: &Token) -> Option<String> {
    let mut doc = new_document();
    if let Err(e) = put_token(&mut doc, token) {
        return Some(e.to_string());
    }
    match config::from_bytes(Path::new("config.toml"), doc.to_string().as_bytes()) {
        Ok(_) => None,
        Err(ConfigError::Invalid { what, .. } | ConfigError::Syntax { what, .. }) => Some(what),
        Err(e) => Some(e.to_string()),
    }
}

/// The lock every writer of `path` takes, beside the file.
pub fn lock(path: &Path) -> Result<files::Lock, ConfigError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or("config".into(), |n| n.to_string_lossy().into_owned());
    Ok(files::lock(dir, &format!(".{name}.lock"))?)
}

/// A change made: what `change` returned, the registry now in the file, and its bytes.
pub struct Edited<T> {
    pub result: T,
    pub registry: Registry,
    pub bytes: Vec<u8>,
}

/// Under the lock (held by the caller, see [`lock`]): reads the file as it is now, lets
/// `change` edit the document given the registry it holds, checks the result and replaces
/// the file atomically.
pub fn edit_locked<T>(
    path: &Path,
    _lock: &files::Lock,
    change: impl FnOnce(&mut DocumentMut, &Registry) -> Result<T, ConfigError>,
) -> Result<Edited<T>, ConfigError> {
    let (mut doc, before) = match files::read_config(path)? {
        Some(bytes) => {
            let before = config::from_bytes(path, &bytes)?;
            // The bytes were just checked as TOML and UTF-8 by the typed parse above.
            let text = String::from_utf8_lossy(&bytes);
            let doc = text
                .parse::<DocumentMut>()
                .map_err(|_| ConfigError::Syntax {
                    path: path.into(),
                    line: 1,
                    what: "the file could not be parsed for editing".into(),
                })?;
            (doc, before)
        }
        None => (new_document(), Registry::default()),
    };
    let result = change(&mut doc, &before)?;
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let registry = config::from_bytes(path, text.as_bytes())?;
    files::write_atomic(path, text.as_bytes())?;
    Ok(Edited {
        result,
        registry,
        bytes: text.into_bytes(),
    })
}

/// [`edit_locked`] with the lock taken and released around it.
pub fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut DocumentMut, &Registry) -> Result<T, ConfigError>,
) -> Result<Edited<T>, ConfigError> {
    let lock = lock(path)?;
    edit_locked(path, &lock, change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::StoreKind;

    const SAMPLE: &str = r#"
version = 1
# my settings
[settings]
warn_days = 10

[[token]]
name = "alta3-installer"   # the installer token
owner = "alta3"
repositories = ["labs", "demo"]
permissions = { contents = "read", metadata = "read" }
expires = 2027-02-19T13:58:00Z
secret = "file"

[[token]]
name = "personal"
owner = "me"
repositories = "all"
secret_env = "MY_TOKEN"
"#;

    fn parse(text: &str) -> Registry {
        config::from_bytes(Path::new("c"), text.as_bytes()).unwrap()
    }

    #[test]
    fn writes_keep_comments_and_round_trip() {
        let mut doc: DocumentMut = SAMPLE.parse().unwrap();
        let reg = parse(SAMPLE);
        let mut t = reg.tokens[0].clone();
        t.expires = Expiry::At(1_900_000_000);
        t.fingerprint = Some("sha256:0011223344556677".into());
        put_token(&mut doc, &t).unwrap();
        let mut n = t.clone();
        n.name = "new".into();
        n.source = SecretSource::Command("pass show x".into());
        put_token(&mut doc, &n).unwrap();
        let text = doc.to_string();
        assert!(
            text.contains("# my settings") && text.contains("# the installer token"),
            "{text}"
        );
        let again = parse(&text);
        assert_eq!(again.tokens[0], t);
        assert_eq!(again.tokens[2], n);
        assert!(remove_token(&mut doc, "personal").unwrap());
        assert!(!remove_token(&mut doc, "personal").unwrap());
        assert_eq!(parse(&doc.to_string()).tokens.len(), 2);
        assert_eq!(again.tokens[0].source, SecretSource::Store(StoreKind::File));
    }

    #[test]
    fn an_edit_that_would_break_the_file_is_not_written() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, SAMPLE).unwrap();
        let e = edit(&path, |doc, _| {
            doc["settings"]["warn_days"] = value(9999);
            Ok(())
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), SAMPLE);
    }

    #[test]
    fn tokens_written_as_an_inline_array_become_tables_that_the_change_reaches() {
        let text = "version = 1\ntoken = [ { name = \"a\", owner = \"o\", repositories = \"all\", secret_env = \"A\" } ]\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        let mut t = parse(text).tokens[0].clone();
        t.owner = "p".into();
        put_token(&mut doc, &t).unwrap();
        assert_eq!(parse(&doc.to_string()).tokens, vec![t]);
        assert!(remove_token(&mut doc, "a").unwrap());
        assert!(parse(&doc.to_string()).tokens.is_empty());
    }
}
