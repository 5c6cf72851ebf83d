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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::repos::Collect;
use super::{
    Access, Expiry, HostDecl, OnExpired, RepoList, Repos, SecretSource, Settings, Token, GITHUB,
};
use crate::files::{self, FileError};
use crate::remote::{valid_host, valid_name, valid_token_name};
use crate::secret::looks_like_token;
use crate::secrets::StoreKind;
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

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub settings: Settings,
    pub hosts: Vec<HostDecl>,
    pub tokens: Vec<Token>,
}

impl Registry {
    /// The declaration of a GitHub host, or `None` when `host` is not a GitHub host — the
    /// one statement of that rule. Exact match (with port), ASCII case-insensitive: no
    /// suffix or look-alike matching. `github.com` is always one.
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

/// `repositories`: a list of names, or the string `"all"`. The names are checked and
/// collected as they are read ([`RepoList`]'s joined form, repeats dropped).
enum ReposDoc {
    All,
    List(RepoList),
    Empty,
    NotAName,
    Other,
}

/// A string from the file, borrowed from it where it needs no unescaping.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
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
                let mut names = Collect::default();
                let mut all_names = true;
                while let Some(Text(name)) = seq.next_element::<Text>()? {
                    if valid_name(&name) {
                        if names.is_empty() {
                            names.reserve(seq.size_hint().unwrap_or(0) + 1, &name);
                        }
                        names.push(&name);
                    } else {
                        all_names = false;
                    }
                }
                Ok(match (all_names, names.finish()) {
                    (false, _) => ReposDoc::NotAName,
                    (true, None) => ReposDoc::Empty,
                    (true, Some(list)) => ReposDoc::List(list),
                })
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

/// Parses and checks the bytes of a config file.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Registry, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ConfigError::Syntax {
        path: path.into(),
        line: line_of(bytes, e.valid_up_to()),
        what: "the file is not UTF-8".into(),
    })?;
    let pieces = split(text);
    if pieces.len() > 1 {
        if let Some(reg) = in_parallel(path, text, &pieces)? {
            return Ok(reg);
        }
    }
    let doc: FileDoc = toml::from_str(text).map_err(|e| serde_error(path, text, &e))?;
    let part = Reader {
        path,
        text,
        base: 0,
    }
    .part(doc)?;
    merge(path, text, vec![part])
}

/// Below this size the whole file is parsed at once.
const SPLIT_ABOVE: usize = 512 * 1024;
/// About how large the pieces of a larger file are: a piece's parse needs several times
/// its size in memory, freed before the next piece, so small pieces keep the memory the
/// process touches (and the kernel's time in page faults) small.
const PIECE: usize = 256 * 1024;

/// Where a large config may be cut for parsing in pieces: before lines that are exactly
/// `[[token]]`, about every [`PIECE`] bytes. A cut is sound only where everything before
/// it is complete TOML — not inside a multi-line string or array; a piece that does not
/// parse on its own therefore sends the whole file to the one-pass parse, which also gives
/// the exact error.
fn split(text: &str) -> Vec<usize> {
    let mut cuts = vec![0];
    if text.len() < SPLIT_ABOVE {
        return cuts;
    }
    let mut from = PIECE;
    while from < text.len() {
        let Some(at) = memchr::memmem::find(&text.as_bytes()[from..], b"\n[[token]]\n") else {
            break;
        };
        let cut = from + at + 1;
        cuts.push(cut);
        from = cut + PIECE;
    }
    cuts
}

/// Parses the pieces, on up to four threads (each takes a run of consecutive pieces);
/// `None` when a piece does not parse alone or two pieces set what the file may set once
/// (the one-pass parse then says why).
fn in_parallel(path: &Path, text: &str, cuts: &[usize]) -> Result<Option<Registry>, ConfigError> {
    let ends = cuts.iter().skip(1).copied().chain([text.len()]);
    let pieces: Vec<(usize, &str)> = cuts
        .iter()
        .zip(ends)
        .map(|(&a, b)| (a, &text[a..b]))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let per_thread = pieces.len().div_ceil(threads);
    let parse_run = |run: &[(usize, &str)]| -> Option<Vec<Result<Part, ConfigError>>> {
        run.iter()
            .map(|&(base, piece)| {
                let doc: FileDoc = toml::from_str(piece).ok()?;
                Some(Reader { path, text, base }.part(doc))
            })
            .collect()
    };
    let runs: Vec<Option<Vec<Result<Part, ConfigError>>>> = std::thread::scope(|s| {
        let mut runs = pieces.chunks(per_thread);
        let first = runs.next().unwrap_or_default();
        let handles: Vec<_> = runs
            .map(|run| {
                (
                    run,
                    std::thread::Builder::new()
                        .spawn_scoped(s, move || parse_run(run))
                        .ok(),
                )
            })
            .collect();
        let mut done = vec![parse_run(first)];
        // A run whose thread could not start or finish is parsed here.
        done.extend(handles.into_iter().map(|(run, h)| {
            h.and_then(|h| h.join().ok())
                .unwrap_or_else(|| parse_run(run))
        }));
        done
    });
    let mut done = Vec::with_capacity(pieces.len());
    for run in runs {
        let Some(run) = run else {
            return Ok(None);
        };
        for p in run {
            done.push(p?);
        }
    }
    let once = |f: fn(&Part) -> bool| done.iter().filter(|p| f(p)).count() > 1;
    if once(|p| p.version) || once(|p| p.settings.is_some()) {
        return Ok(None);
    }
    merge(path, text, done).map(Some)
}

/// What one piece of the file holds, checked.
struct Part {
    version: bool,
    settings: Option<Settings>,
    hosts: Vec<HostDecl>,
    tokens: Vec<(Token, usize)>,
}

/// The registry from the pieces, in file order; token names must be unique across them.
fn merge(path: &Path, text: &str, parts: Vec<Part>) -> Result<Registry, ConfigError> {
    let mut reg = Registry::default();
    let total = parts.iter().map(|p| p.tokens.len()).sum();
    let mut names = HashSet::with_capacity(total);
    reg.tokens.reserve(total);
    for p in parts {
        if let Some(s) = p.settings {
            reg.settings = s;
        }
        reg.hosts.extend(p.hosts);
        for (token, at) in p.tokens {
            if !names.insert(token.name.clone()) {
                return Err(ConfigError::Invalid {
                    path: path.into(),
                    line: line_of(text.as_bytes(), at),
                    what: format!("token name '{}' is used twice", token.name),
                });
            }
            reg.tokens.push(token);
        }
    }
    Ok(reg)
}

/// The 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() + 1
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

/// Turns a parsed piece of the file (starting at byte `base` of `text`) into checked
/// values; errors name the line in the whole file.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    base: usize,
}

impl Reader<'_> {
    fn invalid(&self, offset: usize, what: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.into(),
            line: line_of(self.text.as_bytes(), self.base + offset),
            what,
        }
    }

    fn part(&self, doc: FileDoc) -> Result<Part, ConfigError> {
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
        let settings = match doc.settings {
            Some(s) => {
                let at = s.span().start;
                Some(
                    settings(s.into_inner())
                        .map_err(|e| self.invalid(at, format!("[settings]: {e}")))?,
                )
            }
            None => None,
        };
        let mut hosts = Vec::with_capacity(doc.host.len());
        for h in doc.host {
            let at = h.span().start;
            hosts.push(
                host(h.into_inner()).map_err(|e| self.invalid(at, format!("[[host]]: {e}")))?,
            );
        }
        let mut tokens = Vec::with_capacity(doc.token.len());
        for t in doc.token {
            let at = t.span().start;
            tokens.push((
                token(t.into_inner()).map_err(|e| self.invalid(at, e))?,
                self.base + at,
            ));
        }
        Ok(Part {
            version: doc.version.is_some(),
            settings,
            hosts,
            tokens,
        })
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

fn repos(r: ReposDoc) -> Result<Repos, String> {
    match r {
        ReposDoc::All => Ok(Repos::All),
        ReposDoc::List(list) => Ok(Repos::List(list)),
        ReposDoc::Empty => Err("'repositories' is empty".into()),
        ReposDoc::NotAName => {
            Err("'repositories' holds something that is not a repository name".into())
        }
        ReposDoc::Other => Err("'repositories' must be a list of names or \"all\"".into()),
    }
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
        (None, Some(v), None) if crate::secrets::valid_env_name(&v) => Ok(SecretSource::Env(v)),
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
            Repos::List(vec!["labs".to_string(), "demo".to_string()].into())
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
    fn a_large_file_parsed_in_pieces_reads_exactly_like_a_whole() {
        let mut text = String::from("version = 1\n[settings]\nwarn_days = 3\n");
        for i in 0..8000 {
            text.push_str(&format!("[[token]]\nname = \"t{i}\"\nowner = \"o{}\"\nrepositories = [\"a{i}\", \"b{i}\"]\nexpires = \"2027-01-01\"\n", i % 7));
            if i == 3000 {
                text.push_str("[[host]]\nname = \"ghe.test\"\n");
            }
        }
        assert!(split(&text).len() > 1);
        let doc: FileDoc = toml::from_str(&text).unwrap();
        let whole = merge(
            Path::new("c"),
            &text,
            vec![Reader {
                path: Path::new("c"),
                text: &text,
                base: 0,
            }
            .part(doc)
            .unwrap()],
        )
        .unwrap();
        let pieces = parse(&text).unwrap();
        assert_eq!(pieces, whole);
        assert_eq!(
            (
                pieces.tokens.len(),
                pieces.hosts.len(),
                pieces.settings.warn_days
            ),
            (8000, 1, 3)
        );
        // An error in a later piece names its line in the whole file; a duplicate name
        // across pieces is found; a setting defined twice across pieces is TOML's error.
        let bad = text.replace("name = \"t7500\"\n", "name = \"t7500\"\nexpire = 1\n");
        let line = bad[..bad.find("expire = 1").unwrap()].matches('\n').count() + 1;
        assert!(parse(&bad)
            .unwrap_err()
            .to_string()
            .contains(&format!("line {line}: unknown key 'expire'")));
        let twice = text.replace("name = \"t7900\"", "name = \"t1\"");
        assert!(parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("token name 't1' is used twice"));
        let settings_twice = format!("{text}[settings]\nwarn_days = 4\n");
        assert!(parse(&settings_twice).is_err());
        // A cut where `[[token]]` starts a line inside a multi-line string is no cut: the
        // piece before it does not parse alone, and the one-thread parse reads the string.
        let quoted = "version = 1\n[[token]]\nname = \"q\"\nowner = \"o\"\nrepositories = \"all\"\nsecret_command = \"\"\"\n[[token]]\nname = \"x\"\n\"\"\"\n";
        let cut = quoted.find("[[token]]\nname = \"x\"").unwrap();
        assert!(in_parallel(Path::new("c"), quoted, &[0, cut])
            .unwrap()
            .is_none());
        let reg = parse(quoted).unwrap();
        assert_eq!(reg.tokens.len(), 1);
        assert!(
            matches!(&reg.tokens[0].source, SecretSource::Command(c) if c.contains("[[token]]"))
        );
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
