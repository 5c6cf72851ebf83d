//! Reading `config.toml`: the registry of tokens, the declared GitHub hosts and the settings.
//!
//! The file is parsed with serde into the types below, which deny unknown keys and tables:
//! a typo such as `expire = "2020-01-01"` or `[setings]` is an error naming the file, the
//! line and the key (with a "did you mean" when a known key is close), never a silently
//! ignored setting. The values are then checked and turned into the plain types of the pure
//! core ([`Registry`]). Writing goes through [`super::document`], which edits the file with
//! `toml_edit` so comments survive; what it writes is read back through here first.
//!
//! Errors name the file, line, token and key, never a value: a user may paste a token into
//! the wrong place, and serde's own messages (which quote values) are cleaned first.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use super::view::Registry;
use super::{
    Access, Expiry, HostDecl, OnExpired, Repos, SecretSource, Settings, StoreKind, Token, GITHUB,
};
use crate::files::{self, FileError};
use crate::remote::{valid_host, valid_name, valid_token_name};
use crate::secret::looks_like_token;
use crate::time;

pub const VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path} is not valid TOML (line {line}): {what}\nhint: fix the file by hand; `git credential-scoped list` shows what it holds once it loads")]
    Syntax {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("{path}, line {line}: unknown key '{key}'{}\nhint: the keys config.toml takes are listed in docs/GUIDE.md (\"The registry file\")", suggestion.as_ref().map(|s| format!("; did you mean '{s}'?")).unwrap_or_default())]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
        suggestion: Option<String>,
    },
    #[error("{path}, line {line}: {what}")]
    Invalid {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("{path} has version {found}, written by a newer git-credential-scoped (this one reads version {VERSION})")]
    Version { path: PathBuf, found: i64 },
    /// A change that could not be made whole (the registry was left as it was).
    #[error("{0}")]
    Change(String),
}

// ---- The file's shape. Every table denies keys it does not name. ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    version: Option<Spanned<i64>>,
    settings: Option<Spanned<SettingsDoc>>,
    #[serde(default)]
    host: Vec<Spanned<HostDoc>>,
    #[serde(default)]
    token: Vec<Spanned<TokenDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsDoc {
    warn_days: Option<i64>,
    on_expired: Option<String>,
    secret_store: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostDoc {
    name: String,
    api: Option<String>,
    allow_http: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenDoc {
    name: String,
    host: Option<String>,
    owner: String,
    repositories: ReposDoc,
    permissions: Option<BTreeMap<String, String>>,
    expires: Option<toml::Value>,
    username: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
    secret_command: Option<String>,
    default: Option<bool>,
    fingerprint: Option<String>,
}

/// `repositories`: a list of names, or the string `"all"`.
enum ReposDoc {
    All,
    List(Vec<String>),
    Other,
}

impl<'de> Deserialize<'de> for ReposDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ReposDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of repository names, or \"all\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ReposDoc, E> {
                Ok(if s == "all" {
                    ReposDoc::All
                } else {
                    ReposDoc::Other
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ReposDoc, A::Error> {
                let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(ReposDoc::List(names))
            }
        }
        d.deserialize_any(V)
    }
}

// ---- Reading ----

/// Loads the registry; a missing file is an empty registry. The file must pass the checks
/// of [`files::read_config`] (a regular file that only its owner may change).
pub fn load(path: &Path) -> Result<Registry, ConfigError> {
    match files::read_config(path)? {
        Some(bytes) => from_bytes(path, &bytes),
        None => Ok(Registry::default()),
    }
}

/// Parses and checks the bytes of a config file: always the whole file at once, so a file
/// is refused or read the same way at every size.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Registry, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
        path: path.into(),
        line: line_of(bytes, e.valid_up_to()),
        what: "the file is not UTF-8".into(),
    })?;
    let doc: FileDoc = toml::from_str(text).map_err(|e| serde_error(path, text, &e))?;
    Reader { path, text }.registry(doc)
}

/// The 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn serde_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let line = e.span().map_or(1, |s| line_of(text.as_bytes(), s.start));
    let message = e.message();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("");
        if !looks_like_token(key) {
            return ConfigError::UnknownKey {
                path: path.into(),
                line,
                key: crate::protocol::escape(key.as_bytes()),
                suggestion: suggest(
                    key,
                    &backticked(rest.split_once("expected").map_or("", |x| x.1)),
                ),
            };
        }
    }
    let what = clean(message);
    // serde's own complaints are about values of the right syntax but the wrong kind.
    let typed = [
        "invalid type",
        "invalid value",
        "missing field",
        "invalid length",
        "duplicate field",
        "unknown variant",
    ];
    if typed.iter().any(|t| message.starts_with(t)) {
        return ConfigError::Invalid {
            path: path.into(),
            line,
            what,
        };
    }
    ConfigError::Syntax {
        path: path.into(),
        line,
        what,
    }
}

/// The words in backticks of a serde message (the keys it expected).
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// The known key closest to a mistyped one, when it is close enough to be meant.
fn suggest(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_string())
}

/// serde's message without any value it quotes: `invalid type: string "…"` names the
/// offending string, which could be a pasted token. One line, no control characters.
fn clean(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let mut out = String::new();
    let mut rest = first;
    while let Some(i) = rest.find('"') {
        out.push_str(&rest[..i]);
        out.push('…');
        let after = &rest[i + 1..];
        let mut escaped = false;
        let end = after.char_indices().find(|&(_, c)| {
            let close = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            close
        });
        rest = end.map_or("", |(j, _)| &after[j + 1..]);
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split('`').collect();
    let shown: Vec<String> = words
        .iter()
        .map(|w| {
            if looks_like_token(w) {
                "…".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    crate::protocol::escape(shown.join("`").as_bytes())
}

/// Turns the parsed file into checked values; errors name the line.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn invalid(&self, offset: usize, what: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.into(),
            line: line_of(self.text.as_bytes(), offset),
            what,
        }
    }

    fn registry(&self, doc: FileDoc) -> Result<Registry, ConfigError> {
        if let Some(v) = &doc.version {
            match *v.get_ref() {
                VERSION => {}
                found if found > VERSION => {
                    return Err(ConfigError::Version {
                        path: self.path.into(),
                        found,
                    })
                }
                _ => {
                    return Err(self.invalid(v.span().start, format!("'version' must be {VERSION}")))
                }
            }
        }
        let mut reg = Registry::default();
        if let Some(s) = doc.settings {
            let at = s.span().start;
            reg.settings = settings(s.into_inner())
                .map_err(|e| self.invalid(at, format!("[settings]: {e}")))?;
        }
        for h in doc.host {
            let at = h.span().start;
            reg.hosts.push(
                host(h.into_inner()).map_err(|e| self.invalid(at, format!("[[host]]: {e}")))?,
            );
        }
        let mut names = HashSet::with_capacity(doc.token.len());
        for t in doc.token {
            let at = t.span().start;
            let token = token(t.into_inner()).map_err(|e| self.invalid(at, e))?;
            if !names.insert(token.name.clone()) {
                let what = format!("token name '{}' is used twice", token.name);
                return Err(self.invalid(at, what));
            }
            reg.tokens.push(token);
        }
        Ok(reg)
    }
}

fn settings(s: SettingsDoc) -> Result<Settings, String> {
    let SettingsDoc {
        warn_days,
        on_expired,
        secret_store,
    } = s;
    let mut out = Settings::default();
    if let Some(d) = warn_days {
        if !(0..=366).contains(&d) {
            return Err("'warn_days' must be a number of days from 0 to 366".into());
        }
        out.warn_days = d;
    }
    if let Some(v) = on_expired {
        out.on_expired = match v.as_str() {
            "refuse" => OnExpired::Refuse,
            "warn" => OnExpired::Warn,
            _ => return Err("'on_expired' must be \"refuse\" or \"warn\"".into()),
        };
    }
    if let Some(v) = secret_store {
        out.secret_store =
            Some(StoreKind::parse(&v).ok_or("'secret_store' must be \"keyring\" or \"file\"")?);
    }
    Ok(out)
}

fn host(h: HostDoc) -> Result<HostDecl, String> {
    let HostDoc {
        name,
        api,
        allow_http,
    } = h;
    if !valid_host(&name) {
        // Not repeated: a value that is no host name could be anything, a pasted token too.
        return Err(
            "'name' is not a host name (letters, digits, '-', '.', an optional :port)".into(),
        );
    }
    if let Some(a) = &api {
        if !(a.starts_with("https://") || a.starts_with("http://")) {
            return Err("'api' must be an http(s) URL".into());
        }
    }
    Ok(HostDecl {
        name: name.to_ascii_lowercase(),
        api,
        allow_http: allow_http.unwrap_or(false),
    })
}

fn token(t: TokenDoc) -> Result<Token, String> {
    if !valid_token_name(&t.name) {
        return Err("[[token]]: 'name' may hold only letters, digits, '-', '_', '.', '@'".into());
    }
    let name = t.name.clone();
    token_fields(t).map_err(|e| format!("token '{name}': {e}"))
}

fn token_fields(t: TokenDoc) -> Result<Token, String> {
    let TokenDoc {
        name,
        host,
        owner,
        repositories,
        permissions,
        expires,
        username,
        secret,
        secret_env,
        secret_command,
        default,
        fingerprint,
    } = t;
    let host = host.as_deref().unwrap_or(GITHUB).to_ascii_lowercase();
    if !valid_host(&host) {
        return Err("'host' is not a host name".into());
    }
    if !valid_name(&owner) {
        return Err("'owner' is not a GitHub account name".into());
    }
    let (contents, other_permissions) = permissions_of(permissions)?;
    let expires = match expires {
        None => Expiry::Unknown,
        Some(v) => expiry(&v).ok_or(
            "'expires' must be \"never\", a date (2027-01-31) or a time (2027-01-31T12:00:00Z), in the years 1970 to 9999",
        )?,
    };
    if let Some(u) = &username {
        if u.is_empty() || u.bytes().any(|b| b < 0x21 || b == 0x7f) {
            return Err("'username' must be a non-empty name without spaces".into());
        }
    }
    if let Some(f) = &fingerprint {
        if !crate::secret::is_fingerprint(f) {
            return Err(
                "'fingerprint' must look like sha256:0123456789abcdef (16 hex digits)".into(),
            );
        }
    }
    Ok(Token {
        name,
        host,
        owner,
        repos: repos(repositories)?,
        contents,
        other_permissions,
        expires,
        username,
        source: source(secret, secret_env, secret_command)?,
        default: default.unwrap_or(false),
        fingerprint,
    })
}

/// The repositories, each name kept once (the first spelling; names compare ignoring case).
fn repos(r: ReposDoc) -> Result<Repos, String> {
    let names = match r {
        ReposDoc::All => return Ok(Repos::All),
        ReposDoc::List(names) => names,
        ReposDoc::Other => return Err("'repositories' must be a list of names or \"all\"".into()),
    };
    if names.is_empty() {
        return Err("'repositories' is empty".into());
    }
    if !names.iter().all(|n| valid_name(n)) {
        return Err("'repositories' holds something that is not a repository name".into());
    }
    let mut seen = HashSet::with_capacity(names.len());
    let kept = names
        .into_iter()
        .filter(|n| seen.insert(n.to_ascii_lowercase()))
        .collect();
    Ok(Repos::List(kept))
}

fn permissions_of(
    given: Option<BTreeMap<String, String>>,
) -> Result<(Access, Vec<(String, Access)>), String> {
    let Some(table) = given else {
        return Ok((Access::Read, Vec::new()));
    };
    let mut contents = Access::None;
    let mut other = Vec::new();
    for (k, v) in table {
        if !super::valid_permission_name(&k) {
            return Err(
                "'permissions' holds a name that is not a permission (like contents or metadata)"
                    .into(),
            );
        }
        let access = Access::parse(&v)
            .ok_or_else(|| format!("permission '{k}' must be \"none\", \"read\" or \"write\""))?;
        if k == "contents" {
            contents = access;
        } else {
            other.push((k, access));
        }
    }
    Ok((contents, other))
}

fn expiry(v: &toml::Value) -> Option<Expiry> {
    match v {
        toml::Value::String(s) if s == "never" => Some(Expiry::Never),
        toml::Value::String(s) => time::parse_timestamp(s).map(Expiry::At),
        toml::Value::Datetime(dt) => time::parse_timestamp(&dt.to_string()).map(Expiry::At),
        _ => None,
    }
}

fn source(
    store: Option<String>,
    env: Option<String>,
    command: Option<String>,
) -> Result<SecretSource, String> {
    match (store, env, command) {
        (Some(s), None, None) => StoreKind::parse(&s)
            .map(SecretSource::Store)
            .ok_or_else(|| "'secret' must be \"keyring\" or \"file\"".to_string()),
        // A token written where its variable's name belongs would be printed by `list`.
        (None, Some(v), None) if looks_like_token(&v) => Err(
            "'secret_env' holds a token itself: it must name the environment variable that holds the token (remove the token from this file and consider it exposed)".into(),
        ),
        (None, Some(v), None) if super::valid_env_name(&v) => Ok(SecretSource::Env(v)),
        (None, Some(_), None) => Err("'secret_env' must name an environment variable (letters, digits and '_', not starting with a digit)".into()),
        (None, None, Some(c)) if !c.trim().is_empty() => Ok(SecretSource::Command(c)),
        (None, None, None) => Ok(SecretSource::Store(StoreKind::Keyring)),
        _ => Err("give exactly one of 'secret', 'secret_env', 'secret_command'".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Registry, ConfigError> {
        from_bytes(Path::new("config.toml"), text.as_bytes())
    }

    pub const SAMPLE: &str = r#"
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
    fn repeated_repositories_are_kept_once_in_short_and_long_lists() {
        for n in [3, 31, 32, 33, 80] {
            let mut names: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
            names.extend(["R0".to_string(), format!("R{}", n - 1), "r1".into()]);
            let list = names
                .iter()
                .map(|r| format!("\"{r}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let text = format!("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = [{list}]\n");
            let r = parse(&text).unwrap();
            let Repos::List(l) = &r.tokens[0].repos else {
                panic!("a list")
            };
            assert_eq!(l.as_slice(), &names[..n], "{n} names");
        }
    }

    #[test]
    fn reads_settings_hosts_and_tokens() {
        let r = parse(SAMPLE).unwrap();
        assert_eq!(r.settings.warn_days, 10);
        assert_eq!(r.settings.on_expired, OnExpired::Warn);
        assert_eq!(r.hosts[0].name, "ghe.example.com:8443");
        let t = &r.tokens[0];
        assert_eq!(t.host, "github.com");
        assert_eq!(
            t.repos,
            Repos::List(vec!["labs".to_string(), "demo".to_string()])
        );
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
    fn errors_name_the_line_token_and_key() {
        let e = parse("\n[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = [\"a\"]\nexpires = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: token 't': 'expires'"), "{e}");
        let e = parse("version = 2\n").unwrap_err();
        assert!(matches!(e, ConfigError::Version { found: 2, .. }));
        let e = parse("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = [\"a/b\"]\n")
            .unwrap_err();
        assert!(e.to_string().contains("repository name"), "{e}");
        let e = parse("[[token]]\nname=\"t\"\nowner=\"o\"\nrepositories=\"all\"\n[[token]]\nname=\"t\"\nowner=\"p\"\nrepositories=\"all\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("line 5: token name 't' is used twice"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_tables_are_errors_with_a_suggestion() {
        // Issue 12 #4: both were silently ignored.
        let e = parse("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = \"all\"\nexpire = \"2020-01-01\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.toml, line 5: unknown key 'expire'; did you mean 'expires'?"),
            "{e}"
        );
        let e = parse("version = 1\n[setings]\nwarn_days = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2: unknown key 'setings'; did you mean 'settings'?"),
            "{e}"
        );
        let e = parse("[settings]\nzzz = 1\n").unwrap_err().to_string();
        assert!(e.contains("line 2: unknown key 'zzz'\n"), "{e}");
        let e = parse("[[host]]\nname = \"h.example\"\nallowhttp = true\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean 'allow_http'?"), "{e}");
    }

    #[test]
    fn errors_never_repeat_a_value() {
        let canary = "github_pat_11CANARYCANARYCANARY0123456789";
        for text in [
            format!("[settings]\nwarn_days = \"{canary}\"\n"),
            format!("[settings]\non_expired = \"{canary}\"\n"),
            format!("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = \"all\"\n{canary} = 1\n"),
            format!("[[token]]\nname = \"{canary}\"\nowner = \"o\"\nrepositories = \"all\"\n"),
            format!("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = \"{canary}\"\n"),
            format!("[[token]]\nname = \"t\"\nowner = \"o\"\nrepositories = \"all\"\nsecret_env = \"{canary}\"\n"),
            format!("version = \"{canary}\"\n"),
            format!("x = \"{canary}\n"),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(!e.contains("CANARY"), "{e}");
        }
    }

    #[test]
    fn an_invalid_file_is_refused_the_same_way_at_every_size() {
        // Issue 21: above 512 KiB the file was parsed in pieces cut before `[[token]]`
        // lines, and a piece holding `token = []` parsed alone: the whole file, which
        // defines `token` twice, was answered from.
        let file = |padding: usize| {
            let mut text = String::from("version = 1\ntoken = []\n");
            text.push_str(&"# a comment line to make the file large enough\n".repeat(padding));
            for i in 0..2000 {
                text.push_str(&format!(
                    "[[token]]\nname = \"t{i}\"\nowner = \"o\"\nrepositories = [\"r{i}\"]\n"
                ));
            }
            text
        };
        let (small, large) = (file(1), file(11_000));
        assert!(small.len() < 200 * 1024 && large.len() > 600 * 1024);
        let what = |text: &str| match parse(text) {
            Err(ConfigError::Syntax { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(what(&large), what(&small));
        // A valid large file reads whole.
        let valid = large.replace("token = []\n", "");
        assert_eq!(parse(&valid).unwrap().tokens.len(), 2000);
    }

    #[test]
    fn many_tokens_load_in_linear_time() {
        // Issue 12 #9: the duplicate-name check was quadratic.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!(
                "[[token]]\nname = \"t{i}\"\nowner = \"o\"\nrepositories = [\"r{i}\"]\n"
            ));
        }
        let start = std::time::Instant::now();
        assert_eq!(parse(&text).unwrap().tokens.len(), 20_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
