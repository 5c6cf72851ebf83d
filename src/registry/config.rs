//! `config.toml`: the registry of tokens, the declared GitHub hosts and the settings.
//!
//! Read into plain types ([`Registry`]) for the pure core; written by editing the parsed
//! document (`toml_edit`) so a user's comments and layout survive the program's own writes.
//! Every error names the file and the token or key, never a value that could be a secret
//! (there are none in this file, but a user may paste one by mistake).

use std::path::{Path, PathBuf};

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use super::{valid_name, valid_token_name, GITHUB};
use super::{Access, Expiry, HostDecl, OnExpired, Repos, SecretSource, Settings, Token};
use crate::files::{self, FileError};
use crate::secrets::StoreKind;
use crate::time;

pub const VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path} is not valid TOML (line {line})\nhint: fix the file by hand; `git credential-scoped list` shows what it holds once it parses")]
    Syntax { path: PathBuf, line: usize },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("{path} has version {found}, written by a newer git-credential-scoped (this one reads version {VERSION})")]
    Version { path: PathBuf, found: i64 },
    /// A secret written under the config's lock (so the secret and its fingerprint change
    /// together) could not be stored.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub settings: Settings,
    pub hosts: Vec<HostDecl>,
    pub tokens: Vec<Token>,
}

impl Registry {
    /// The declaration of a GitHub host, or `None` when `host` is not a GitHub host.
    /// Exact match (with port), ASCII case-insensitive: no suffix or look-alike matching.
    pub fn github_host(&self, host: &str) -> Option<HostDecl> {
        if let Some(h) = self
            .hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(host))
        {
            return Some(h.clone());
        }
        host.eq_ignore_ascii_case(GITHUB).then(|| HostDecl {
            name: GITHUB.to_string(),
            api: None,
            allow_http: false,
        })
    }

    pub fn token(&self, name: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.name == name)
    }
}

/// Loads the registry; a missing file is an empty registry.
pub fn load(path: &Path) -> Result<Registry, ConfigError> {
    match load_document(path)? {
        Some(doc) => from_document(path, &doc),
        None => Ok(Registry::default()),
    }
}

pub fn load_document(path: &Path) -> Result<Option<DocumentMut>, ConfigError> {
    files::check_not_world_writable(path)?;
    let Some(bytes) = files::read_optional(path)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::Invalid {
        path: path.into(),
        what: "is not UTF-8".into(),
    })?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| ConfigError::Syntax {
            path: path.into(),
            line: e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            }),
        })?;
    Ok(Some(doc))
}

fn from_document(path: &Path, doc: &DocumentMut) -> Result<Registry, ConfigError> {
    let bad = |what: String| ConfigError::Invalid {
        path: path.into(),
        what,
    };
    match doc.get("version").map(|v| v.as_integer()) {
        None => {}
        Some(Some(VERSION)) => {}
        Some(Some(found)) if found > VERSION => {
            return Err(ConfigError::Version {
                path: path.into(),
                found,
            })
        }
        Some(_) => return Err(bad(format!("'version' must be {VERSION}"))),
    }
    let mut reg = Registry::default();
    if let Some(item) = doc.get("settings") {
        let t = item
            .as_table_like()
            .ok_or_else(|| bad("'settings' must be a table".into()))?;
        reg.settings = settings(t).map_err(bad)?;
    }
    for (i, t) in tables(doc, "host").map_err(bad)?.into_iter().enumerate() {
        reg.hosts
            .push(host(t).map_err(|e| bad(format!("[[host]] #{}: {e}", i + 1)))?);
    }
    for (i, t) in tables(doc, "token").map_err(bad)?.into_iter().enumerate() {
        let token = token(t).map_err(|e| bad(format!("[[token]] #{}: {e}", i + 1)))?;
        if reg.tokens.iter().any(|o| o.name == token.name) {
            return Err(bad(format!("token name '{}' is used twice", token.name)));
        }
        reg.tokens.push(token);
    }
    Ok(reg)
}

fn tables<'d>(doc: &'d DocumentMut, key: &str) -> Result<Vec<&'d Table>, String> {
    match doc.get(key) {
        None => Ok(Vec::new()),
        Some(item) => match item.as_array_of_tables() {
            Some(a) => Ok(a.iter().collect()),
            None => Err(format!("'{key}' must be written as [[{key}]] tables")),
        },
    }
}

fn get_str<'a>(t: &'a dyn toml_edit::TableLike, key: &str) -> Result<Option<&'a str>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(i) => i
            .as_str()
            .map(Some)
            .ok_or_else(|| format!("'{key}' must be a string")),
    }
}

fn get_bool(t: &dyn toml_edit::TableLike, key: &str) -> Result<bool, String> {
    match t.get(key) {
        None => Ok(false),
        Some(i) => i
            .as_bool()
            .ok_or_else(|| format!("'{key}' must be true or false")),
    }
}

fn settings(t: &dyn toml_edit::TableLike) -> Result<Settings, String> {
    let mut s = Settings::default();
    if let Some(i) = t.get("warn_days") {
        s.warn_days = i
            .as_integer()
            .filter(|d| (0..=366).contains(d))
            .ok_or("'warn_days' must be a number of days from 0 to 366")?;
    }
    if let Some(v) = get_str(t, "on_expired")? {
        s.on_expired = match v {
            "refuse" => OnExpired::Refuse,
            "warn" => OnExpired::Warn,
            _ => return Err("'on_expired' must be \"refuse\" or \"warn\"".into()),
        };
    }
    if let Some(v) = get_str(t, "secret_store")? {
        s.secret_store =
            Some(StoreKind::parse(v).ok_or("'secret_store' must be \"keyring\" or \"file\"")?);
    }
    Ok(s)
}

fn host(t: &dyn toml_edit::TableLike) -> Result<HostDecl, String> {
    let name = get_str(t, "name")?.ok_or("'name' is missing")?;
    if !valid_host(name) {
        // Not repeated: a value that is no host name could be anything, a pasted token too.
        return Err(
            "'name' is not a host name (letters, digits, '-', '.', an optional :port)".into(),
        );
    }
    let api = get_str(t, "api")?.map(str::to_string);
    if let Some(a) = &api {
        if !(a.starts_with("https://") || a.starts_with("http://")) {
            return Err("'api' must be an http(s) URL".into());
        }
    }
    Ok(HostDecl {
        name: name.to_ascii_lowercase(),
        api,
        allow_http: get_bool(t, "allow_http")?,
    })
}

/// A host name as git sends it: letters, digits, `-`, `.`, an optional `:port`; or an IPv6
/// literal in brackets.
pub fn valid_host(s: &str) -> bool {
    let (name, port) = match s.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(']') || s.starts_with('[') => {
            if n.starts_with('[') && !n.ends_with(']') {
                (s, None)
            } else {
                (n, Some(p))
            }
        }
        _ => (s, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = if name.starts_with('[') {
        name.ends_with(']')
            && name[1..name.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    port_ok && name_ok
}

fn token(t: &dyn toml_edit::TableLike) -> Result<Token, String> {
    let name = get_str(t, "name")?.ok_or("'name' is missing")?;
    if !valid_token_name(name) {
        return Err("'name' may hold only letters, digits, '-', '_', '.', '@'".into());
    }
    let ctx = |e: String| format!("token '{name}': {e}");
    token_fields(name, t).map_err(ctx)
}

fn token_fields(name: &str, t: &dyn toml_edit::TableLike) -> Result<Token, String> {
    let host = get_str(t, "host")?.unwrap_or(GITHUB).to_ascii_lowercase();
    if !valid_host(&host) {
        return Err("'host' is not a host name".into());
    }
    let owner = get_str(t, "owner")?
        .ok_or("'owner' is missing")?
        .to_string();
    if !valid_name(&owner) {
        return Err("'owner' is not a GitHub account name".into());
    }
    let repos = repos(t)?;
    let (contents, other_permissions) = permissions(t)?;
    let expires = match t.get("expires") {
        None => Expiry::Unknown,
        Some(i) => expiry(i).ok_or(
            "'expires' must be \"never\", a date (2027-01-31) or a time (2027-01-31T12:00:00Z)",
        )?,
    };
    let username = get_str(t, "username")?.map(str::to_string);
    if let Some(u) = &username {
        if u.is_empty() || u.bytes().any(|b| b < 0x21 || b == 0x7f) {
            return Err("'username' must be a non-empty name without spaces".into());
        }
    }
    let source = source(t)?;
    let fingerprint = get_str(t, "fingerprint")?.map(str::to_string);
    Ok(Token {
        name: name.to_string(),
        host,
        owner,
        repos,
        contents,
        other_permissions,
        expires,
        username,
        source,
        default: get_bool(t, "default")?,
        fingerprint,
    })
}

fn repos(t: &dyn toml_edit::TableLike) -> Result<Repos, String> {
    let item = t
        .get("repositories")
        .ok_or("'repositories' is missing (a list of names, or \"all\")")?;
    if item.as_str() == Some("all") {
        return Ok(Repos::All);
    }
    let arr = item
        .as_array()
        .ok_or("'repositories' must be a list of names or \"all\"")?;
    let mut list = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in arr.iter() {
        let r = v
            .as_str()
            .filter(|r| valid_name(r))
            .ok_or("'repositories' holds something that is not a repository name")?;
        if seen.insert(r.to_ascii_lowercase()) {
            list.push(r.to_string());
        }
    }
    if list.is_empty() {
        return Err("'repositories' is empty".into());
    }
    Ok(Repos::List(list))
}

fn permissions(t: &dyn toml_edit::TableLike) -> Result<(Access, Vec<(String, Access)>), String> {
    let Some(item) = t.get("permissions") else {
        return Ok((Access::Read, Vec::new()));
    };
    let table = item
        .as_table_like()
        .ok_or("'permissions' must be a table like { contents = \"read\" }")?;
    let mut contents = Access::None;
    let mut other = Vec::new();
    for (k, v) in table.iter() {
        let access = v
            .as_str()
            .and_then(Access::parse)
            .ok_or_else(|| format!("permission '{k}' must be \"none\", \"read\" or \"write\""))?;
        if k == "contents" {
            contents = access;
        } else {
            other.push((k.to_string(), access));
        }
    }
    Ok((contents, other))
}

fn expiry(item: &Item) -> Option<Expiry> {
    if let Some(s) = item.as_str() {
        if s == "never" {
            return Some(Expiry::Never);
        }
        return time::parse_timestamp(s).map(Expiry::At);
    }
    let dt = item.as_datetime()?;
    time::parse_timestamp(&dt.to_string()).map(Expiry::At)
}

fn source(t: &dyn toml_edit::TableLike) -> Result<SecretSource, String> {
    let store = get_str(t, "secret")?;
    let env = get_str(t, "secret_env")?;
    let command = get_str(t, "secret_command")?;
    match (store, env, command) {
        (Some(s), None, None) => StoreKind::parse(s)
            .map(SecretSource::Store)
            .ok_or_else(|| "'secret' must be \"keyring\" or \"file\"".to_string()),
        // A token written where its variable's name belongs would be printed by `list`.
        (None, Some(v), None) if crate::secret::looks_like_token(v) => Err(
            "'secret_env' holds a token itself: it must name the environment variable that holds the token (remove the token from this file and consider it exposed)".into(),
        ),
        (None, Some(v), None) if !v.is_empty() => Ok(SecretSource::Env(v.to_string())),
        (None, None, Some(c)) if !c.trim().is_empty() => Ok(SecretSource::Command(c.to_string())),
        (None, None, None) => Ok(SecretSource::Store(StoreKind::Keyring)),
        _ => Err("give exactly one of 'secret', 'secret_env', 'secret_command'".into()),
    }
}

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
pub fn put_token(doc: &mut DocumentMut, token: &Token) {
    if !doc.contains_key("token") {
        doc["token"] = Item::ArrayOfTables(ArrayOfTables::new());
    }
    let Some(arr) = doc["token"].as_array_of_tables_mut() else {
        return;
    };
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
pub fn remove_token(doc: &mut DocumentMut, name: &str) -> bool {
    let Some(arr) = doc.get_mut("token").and_then(Item::as_array_of_tables_mut) else {
        return false;
    };
    let before = arr.len();
    arr.retain(|t| t.get("name").and_then(Item::as_str) != Some(name));
    before != arr.len()
}

/// Loads the document, lets `change` edit it, validates the result and writes it back, all
/// under the config directory's lock.
pub fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut DocumentMut, &Registry) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or("config".into(), |n| n.to_string_lossy().into_owned());
    let _lock = files::lock(dir, &format!(".{name}.lock"))?;
    let mut doc = load_document(path)?.unwrap_or_else(new_document);
    let before = from_document(path, &doc)?;
    let result = change(&mut doc, &before)?;
    from_document(path, &doc)?;
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    files::write_atomic(path, text.as_bytes())?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Registry, ConfigError> {
        let doc: DocumentMut = text.parse().unwrap();
        from_document(Path::new("config.toml"), &doc)
    }

    const SAMPLE: &str = r#"
version = 1
# my settings
[settings]
warn_days = 10
on_expired = "warn"

[[host]]
name = "GHE.example.com:8443"
api = "https://ghe.example.com:8443/api/v3"

[[token]]
name = "alta3-installer"   # the installer token
owner = "alta3"
repositories = ["labs", "demo", "Labs"]
permissions = { contents = "read", metadata = "read" }
expires = 2027-02-19T13:58:00Z
secret = "file"

[[token]]
name = "personal"
host = "github.com"
owner = "me"
repositories = "all"
expires = "never"
secret_env = "MY_TOKEN"
default = true
"#;

    #[test]
    fn reads_settings_hosts_and_tokens() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(r.settings.warn_days, 10);
        assert_eq!(r.settings.on_expired, OnExpired::Warn);
        assert_eq!(r.hosts[0].name, "ghe.example.com:8443");
        let t = &r.tokens[0];
        assert_eq!(t.host, "github.com");
        assert_eq!(t.repos, Repos::List(vec!["labs".into(), "demo".into()]));
        assert_eq!(t.contents, Access::Read);
        assert_eq!(
            t.expires,
            Expiry::At(time::parse_timestamp("2027-02-19T13:58:00Z").unwrap())
        );
        assert_eq!(t.source, SecretSource::Store(StoreKind::File));
        let p = &r.tokens[1];
        assert_eq!(
            (p.repos.clone(), p.expires, p.default),
            (Repos::All, Expiry::Never, true)
        );
        assert_eq!(p.source, SecretSource::Env("MY_TOKEN".into()));
        assert!(r.github_host("github.com").is_some());
        assert!(r.github_host("ghe.example.com:8443").is_some());
        assert!(r.github_host("ghe.example.com").is_none());
        assert!(r.github_host("github.com.evil.test").is_none());
    }

    #[test]
    fn errors_name_the_token_and_key() {
        let e = parse(
            "[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = [\"a\"]\nexpires = \"soon\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("token 't': 'expires'"), "{e}");
        let e = parse("version = 2\n").unwrap_err();
        assert!(matches!(e, ConfigError::Version { found: 2, .. }));
        let e = parse("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = [\"a/b\"]\n")
            .unwrap_err();
        assert!(e.to_string().contains("repository name"), "{e}");
        let e = parse("[[token]]\nname=\"t\"\nowner=\"o\"\nrepositories=\"all\"\n[[token]]\nname=\"t\"\nowner=\"p\"\nrepositories=\"all\"\n").unwrap_err();
        assert!(e.to_string().contains("used twice"), "{e}");
    }

    #[test]
    fn writes_keep_comments_and_round_trip() {
        let mut doc: DocumentMut = SAMPLE.parse().unwrap();
        let reg = from_document(Path::new("c"), &doc).unwrap();
        let mut t = reg.tokens[0].clone();
        t.expires = Expiry::At(1_900_000_000);
        t.fingerprint = Some("sha256:0011223344556677".into());
        put_token(&mut doc, &t);
        let mut n = t.clone();
        n.name = "new".into();
        n.source = SecretSource::Command("pass show x".into());
        put_token(&mut doc, &n);
        let text = doc.to_string();
        assert!(
            text.contains("# my settings") && text.contains("# the installer token"),
            "{text}"
        );
        let again = parse(&text).unwrap();
        assert_eq!(again.tokens[0], t);
        assert_eq!(again.tokens[2], n);
        assert!(remove_token(&mut doc, "personal"));
        assert!(!remove_token(&mut doc, "personal"));
        assert_eq!(parse(&doc.to_string()).unwrap().tokens.len(), 2);
    }

    #[test]
    fn host_names() {
        for ok in [
            "github.com",
            "127.0.0.1:8443",
            "ghe.example.com",
            "[::1]:443",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in ["", "a b", "evil.test/github.com", "h:", "h:123456", "a@b"] {
            assert!(!valid_host(bad), "{bad}");
        }
    }
}
