//! A snapshot of `config.toml` for the helper's path.
//!
//! git runs the helper for every authenticated request, and a typed TOML parse of a few
//! hundred tokens costs milliseconds. So the registry is also kept in
//! `<data dir>/registry.cache`, one snapshot: a header naming the config's identity (device,
//! inode, size, modification and change times to the nanosecond), one checksum over the
//! rest, then the settings, the hosts and one line per token, in file order. A reader checks
//! the header against one `stat` of the config and the checksum over the whole body before
//! it believes a single line. It then answers the same [`View`] questions the parsed config
//! does, reading each line's owner, host, fingerprint and default mark (its first fields)
//! and parsing only the lines a question admits: a `get` among a thousand tokens parses
//! the few of one owner.
//!
//! Trust: the cache is derived data and is never trusted more than the config. It lives in
//! the data directory, which is held to the config's rules ([`crate::files`]: the user's
//! own, writable by no one else, no links), it is written only from a registry that passed
//! the typed parse of exactly the bytes whose identity it records, and any doubt (no cache,
//! another header, a wrong checksum, a line that does not read) means the config itself is
//! read. It is written without fsync (it can always be made again): the checksum is what
//! tells a snapshot a crash left torn.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use super::config::{self, ConfigError};
use super::{
    Access, Expiry, Filter, HostDecl, OnExpired, Registry, Repos, SecretSource, Settings,
    StoreKind, Token, View,
};
use crate::fields::{decode, encode_into};
use crate::files;

pub const FILE: &str = "registry.cache";
const MAGIC: &str = "git-credential-scoped-registry-cache";
const FORMAT: &str = concat!("8/", env!("CARGO_PKG_VERSION"));

/// The registry as the helper reads it: the snapshot when it is current, else the config's
/// parse (and the snapshot then written again).
pub enum Cached {
    Snapshot(Snapshot),
    Parsed(Registry),
}

pub fn load(config_path: &Path, data_dir: &Path) -> Result<Cached, ConfigError> {
    let Some(header) = identity(config_path)? else {
        return Ok(Cached::Parsed(Registry::default()));
    };
    let path = data_dir.join(FILE);
    if let Some(bytes) = files::read_data(&path)? {
        if let Some(snapshot) = Snapshot::read(bytes, &header, path) {
            return Ok(Cached::Snapshot(snapshot));
        }
    }
    let reg = config::load(config_path)?;
    // Written only if the file still is what was parsed; best effort: a read-only data
    // directory only costs speed.
    if identity(config_path)?.as_deref() == Some(header.as_str()) {
        let _ = store(data_dir, &header, &reg);
    }
    Ok(Cached::Parsed(reg))
}

impl View for Cached {
    type Error = ConfigError;

    fn settings(&self) -> &Settings {
        match self {
            Cached::Snapshot(s) => &s.settings,
            Cached::Parsed(r) => &r.settings,
        }
    }

    fn hosts(&self) -> &[HostDecl] {
        match self {
            Cached::Snapshot(s) => &s.hosts,
            Cached::Parsed(r) => &r.hosts,
        }
    }

    fn tokens(&self, filter: Filter) -> Result<Vec<Token>, ConfigError> {
        match self {
            Cached::Snapshot(s) => s.admitted(filter),
            Cached::Parsed(r) => Ok(r.tokens_where(filter).cloned().collect()),
        }
    }
}

impl View for Snapshot {
    type Error = ConfigError;

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn hosts(&self) -> &[HostDecl] {
        &self.hosts
    }

    fn tokens(&self, filter: Filter) -> Result<Vec<Token>, ConfigError> {
        self.admitted(filter)
    }
}

/// A snapshot checked whole: its settings and hosts read, its token lines kept as bytes.
pub struct Snapshot {
    settings: Settings,
    hosts: Vec<HostDecl>,
    body: Vec<u8>,
    /// Where the token lines start in `body`.
    tokens_at: usize,
    path: std::path::PathBuf,
}

/// The line of `bytes` from `at`, as text, and where the next one starts.
fn line_at(bytes: &[u8], at: usize) -> Option<(&str, usize)> {
    let rest = bytes.get(at..)?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    Some((std::str::from_utf8(&rest[..end]).ok()?, at + end + 1))
}

impl Snapshot {
    /// The snapshot in `bytes`, when its header is `header` and its body is whole.
    fn read(bytes: Vec<u8>, header: &str, path: std::path::PathBuf) -> Option<Snapshot> {
        let (first, sum_at) = line_at(&bytes, 0)?;
        let (sum, body_at) = line_at(&bytes, sum_at)?;
        if first != header || u64::from_str_radix(sum, 16).ok()? != checksum(bytes.get(body_at..)?)
        {
            return None;
        }
        let (line, mut at) = line_at(&bytes, body_at)?;
        let settings = settings(line)?;
        let mut hosts = Vec::new();
        while bytes.get(at..at + 2) == Some(b"H ") {
            let (line, next) = line_at(&bytes, at + 2)?;
            hosts.push(host_decl(line)?);
            at = next;
        }
        Some(Snapshot {
            settings,
            hosts,
            body: bytes,
            tokens_at: at,
            path,
        })
    }

    /// Reads each token line's first fields (its length says where the next one starts)
    /// and parses only the lines `filter` admits.
    fn admitted(&self, filter: Filter) -> Result<Vec<Token>, ConfigError> {
        let damaged = || {
            ConfigError::Change(format!(
                "{} does not read (remove it: it is made again from config.toml)",
                self.path.display()
            ))
        };
        let mut found = Vec::new();
        let mut at = self.tokens_at;
        while at < self.body.len() {
            let (line, next) = self.token_line(at).ok_or_else(damaged)?;
            at = next;
            let mut f = line.splitn(5, |&b| b == b' ');
            let owner = f.next().ok_or_else(damaged)?;
            // Most lines are another owner's: passed over on their first field. A field
            // with `%` is compared decoded.
            let escaped = |f: &[u8]| f.contains(&b'%');
            if !filter.admits_owner(owner) && !escaped(owner) {
                continue;
            }
            let (Some(host), Some(fp), Some(default), Some(rest)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                return Err(damaged());
            };
            let default = default == b"1";
            let raw_fp = (fp != b"-").then_some(fp);
            if !filter.admits_fields(host, owner, raw_fp, default)
                && ![owner, host, fp].into_iter().any(escaped)
            {
                continue;
            }
            let (Some(owner), Some(host), Some(fp)) = (plain(owner), plain(host), plain(fp)) else {
                return Err(damaged());
            };
            let fp = (fp != "-").then_some(fp);
            let fields = (
                host.as_bytes(),
                owner.as_bytes(),
                fp.as_deref().map(str::as_bytes),
            );
            if filter.admits_fields(fields.0, fields.1, fields.2, default) {
                let rest = std::str::from_utf8(rest).map_err(|_| damaged())?;
                if !filter.admits_repos(repo_names(rest)) {
                    continue;
                }
                let (host, owner) = (host.into_owned(), owner.into_owned());
                let fp = fp.map(Cow::into_owned);
                let token = token(host, owner, fp, default, rest);
                found.push(token.ok_or_else(damaged)?);
            }
        }
        Ok(found)
    }

    /// The token line at `at` (`T LEN ` and LEN bytes, then a newline), and where the next
    /// one starts.
    fn token_line(&self, at: usize) -> Option<(&[u8], usize)> {
        let rest = self.body.get(at..)?.strip_prefix(b"T ")?;
        let digits = rest.iter().position(|&b| b == b' ')?;
        let len = rest[..digits].iter().try_fold(0usize, |n, &d| {
            let d = d.checked_sub(b'0').filter(|&d| d < 10)?;
            n.checked_mul(10)?.checked_add(usize::from(d))
        })?;
        let start = at + 2 + digits + 1;
        let line = self.body.get(start..start.checked_add(len)?)?;
        (self.body.get(start + len) == Some(&b'\n')).then_some((line, start + len + 1))
    }
}

/// After the program itself wrote the config: record the registry it wrote, if the file
/// still holds exactly `written` (so `get` never pays for the program's own changes).
pub fn refresh(config_path: &Path, data_dir: &Path, written: &[u8], reg: &Registry) {
    let Ok(Some(header)) = identity(config_path) else {
        return;
    };
    let still = files::read_config(config_path).ok().flatten();
    if still.as_deref() == Some(written)
        && identity(config_path).ok().flatten() == Some(header.clone())
    {
        let _ = store(data_dir, &header, reg);
    }
}

fn store(data_dir: &Path, header: &str, reg: &Registry) -> Result<(), files::FileError> {
    files::ensure_dir(data_dir)?;
    let _lock = files::lock(data_dir, ".cache.lock")?;
    files::write_derived(&data_dir.join(FILE), write(reg, header).as_bytes())
}

/// The header line for the config as it is now; `None` when there is no config.
fn identity(config_path: &Path) -> Result<Option<String>, ConfigError> {
    let meta = match std::fs::metadata(config_path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(files::io_err("read", config_path)(e).into()),
    };
    #[cfg(unix)]
    let ids = {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{} {} {} {} {} {} {}",
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
            meta.ino(),
            meta.dev()
        )
    };
    #[cfg(not(unix))]
    let ids = format!(
        "{} {:?} {:?}",
        meta.len(),
        meta.modified().ok(),
        meta.created().ok()
    );
    Ok(Some(format!("{MAGIC} {FORMAT} {ids}")))
}

/// A check of the body against damage (a torn or mixed write): a 64-bit multiply-rotate
/// hash over 8-byte words in four independent lanes (so the multiplies overlap), several
/// gigabytes a second. Not a defence against a forger: the data directory's rules are
/// ([`crate::files`]).
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| (h.rotate_left(23) ^ w).wrapping_mul(K);
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
    let mut lanes = [
        K ^ bytes.len() as u64,
        K,
        K.rotate_left(1),
        K.rotate_left(2),
    ];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = mix(*lane, word(&b[i * 8..i * 8 + 8]));
        }
    }
    let mut h = lanes.iter().fold(0, |h, &l| mix(h, l));
    for &b in blocks.remainder() {
        h = mix(h, u64::from(b));
    }
    h ^ (h >> 29)
}

/// Appends `s` encoded, then a space.
fn field(out: &mut String, s: Option<&str>) {
    encode_into(out, s.map(str::as_bytes));
    out.push(' ');
}

fn write(reg: &Registry, header: &str) -> String {
    let mut body = String::new();
    let s = &reg.settings;
    let on_expired = match s.on_expired {
        OnExpired::Warn => "warn",
        OnExpired::Refuse => "refuse",
    };
    let _ = write!(body, "S {} {on_expired} ", s.warn_days);
    encode_into(&mut body, s.secret_store.map(|k| k.name().as_bytes()));
    body.push('\n');
    for h in &reg.hosts {
        body.push_str("H ");
        field(&mut body, Some(&h.name));
        field(&mut body, h.api.as_deref());
        body.push_str(if h.allow_http { "1\n" } else { "0\n" });
    }
    for t in &reg.tokens {
        token_line(&mut body, t);
    }
    format!("{header}\n{:016x}\n{body}", checksum(body.as_bytes()))
}

/// Appends the token's line: its length (so a reader skips the lines it does not want
/// without reading them), first what [`Filter`] looks at (owner, host, fingerprint, default
/// mark), then every other field (the tests compare what is read back with the
/// registry written).
fn token_line(body: &mut String, t: &Token) {
    let out = &mut String::new();
    field(out, Some(&t.owner));
    field(out, Some(&t.host));
    field(out, t.fingerprint.as_deref());
    out.push_str(if t.default { "1 " } else { "0 " });
    field(out, Some(&t.name));
    match &t.repos {
        Repos::All => out.push('*'),
        Repos::List(l) => {
            for (i, r) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // A name holds no comma and is never `*`; `-` alone is escaped.
                encode_into(out, Some(r.as_bytes()));
            }
        }
    }
    let _ = write!(out, " {} ", t.contents.name());
    if t.other_permissions.is_empty() {
        out.push('-');
    }
    for (i, (k, v)) in t.other_permissions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_into(out, Some(k.as_bytes()));
        let _ = write!(out, "={}", v.name());
    }
    let _ = match t.expires {
        Expiry::Never => write!(out, " never "),
        Expiry::Unknown => write!(out, " unknown "),
        Expiry::At(at) => write!(out, " {at} "),
    };
    field(out, t.username.as_deref());
    let (kind, arg) = match &t.source {
        SecretSource::Store(k) => (k.name(), None),
        SecretSource::Env(v) => ("env", Some(v.as_str())),
        SecretSource::Command(c) => ("command", Some(c.as_str())),
    };
    field(out, Some(kind));
    encode_into(out, arg.map(str::as_bytes));
    let _ = writeln!(body, "T {} {out}", out.len());
}

/// A field as text, borrowed when it needs no decoding (`-`, absent, stays `-`).
fn plain(f: &[u8]) -> Option<Cow<'_, str>> {
    let f = std::str::from_utf8(f).ok()?;
    if f == "-" || !f.bytes().any(|b| b == b'%') {
        return Some(Cow::Borrowed(f));
    }
    text(f).map(Cow::Owned)
}

/// A field that must hold a value.
fn text(f: &str) -> Option<String> {
    String::from_utf8(decode(f).ok()??).ok()
}

/// A field that may be absent (`-`).
fn optional(f: &str) -> Option<Option<String>> {
    match f {
        "-" => Some(None),
        f => text(f).map(Some),
    }
}

fn fields<const N: usize>(line: &str) -> Option<[&str; N]> {
    let mut it = line.split(' ');
    let f = std::array::from_fn(|_| it.next().unwrap_or("\n"));
    (it.next().is_none() && !f.contains(&"\n")).then_some(f)
}

fn settings(line: &str) -> Option<Settings> {
    let [_, warn, on_expired, store] = fields(line)?;
    let store = match optional(store)? {
        None => None,
        Some(s) => Some(StoreKind::parse(&s)?),
    };
    Some(Settings {
        warn_days: warn.parse().ok()?,
        on_expired: match on_expired {
            "warn" => OnExpired::Warn,
            "refuse" => OnExpired::Refuse,
            _ => return None,
        },
        secret_store: store,
    })
}

fn host_decl(line: &str) -> Option<HostDecl> {
    let [name, api, http] = fields(line)?;
    Some(HostDecl {
        name: text(name)?,
        api: optional(api)?,
        allow_http: http == "1",
    })
}

/// The repository names of a token line's `rest` as stored (`*`, all: `None`), each decoded
/// where it holds a `%` (one that does not decode is no name: the checksum over the whole
/// body has already vouched for the line).
fn repo_names(rest: &str) -> Option<impl Iterator<Item = Cow<'_, str>>> {
    let field = rest.split(' ').nth(1).unwrap_or_default();
    (field != "*").then(|| {
        field.split(',').map(|n| match n.contains('%') {
            true => Cow::Owned(text(n).unwrap_or_default()),
            false => Cow::Borrowed(n),
        })
    })
}

/// The token of a line whose first fields were read already; `rest` holds the others.
fn token(
    host: String,
    owner: String,
    fingerprint: Option<String>,
    default: bool,
    rest: &str,
) -> Option<Token> {
    let [name, repos, contents, perms, expires, username, kind, arg] = fields(rest)?;
    let repos = match repos {
        "*" => Repos::All,
        r => Repos::List(r.split(',').map(text).collect::<Option<_>>()?),
    };
    let other_permissions = match perms {
        "-" => Vec::new(),
        p => p
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((text(k)?, Access::parse(v)?))
            })
            .collect::<Option<_>>()?,
    };
    let arg = optional(arg)?;
    let source = match text(kind)?.as_str() {
        "env" => SecretSource::Env(arg?),
        "command" => SecretSource::Command(arg?),
        k => SecretSource::Store(StoreKind::parse(k)?),
    };
    Some(Token {
        name: text(name)?,
        host,
        owner,
        repos,
        contents: Access::parse(contents)?,
        other_permissions,
        expires: match expires {
            "never" => Expiry::Never,
            "unknown" => Expiry::Unknown,
            n => Expiry::At(n.parse().ok()?),
        },
        username: optional(username)?,
        source,
        default,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"version = 1
[settings]
warn_days = 3
on_expired = "warn"
secret_store = "file"
[[host]]
name = "ghe.test:8443"
api = "https://ghe.test:8443/api/v3"
allow_http = true
[[token]]
name = "a"
owner = "Alta3"
repositories = ["labs", "demo", "-", "x.y"]
permissions = { contents = "write", metadata = "read" }
expires = "2027-01-01"
username = "octo"
secret_env = "A_B"
default = true
fingerprint = "sha256:0000000000000000"
[[token]]
name = "b"
host = "ghe.test:8443"
owner = "acme"
repositories = "all"
secret_command = "pass show x y"
[[token]]
name = "c"
owner = "acme"
repositories = ["r"]
expires = "never"
fingerprint = "sha256:00000000000000cc"
[[token]]
name = "dash"
owner = "-"
repositories = ["-"]
"#;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, CONFIG).unwrap();
        let data = tmp.path().join("data");
        (tmp, path, data)
    }

    fn snapshot(path: &Path, data: &Path) -> Option<Snapshot> {
        let bytes = std::fs::read(data.join(FILE)).ok()?;
        let header = identity(path).unwrap().unwrap();
        Snapshot::read(bytes, &header, data.join(FILE))
    }

    /// Every token, asked through the view: host by host.
    fn all<V: View>(v: &V) -> Vec<Token>
    where
        V::Error: std::fmt::Debug,
    {
        let hosts = ["github.com", "GHE.test:8443", "elsewhere"];
        hosts
            .iter()
            .flat_map(|h| v.tokens(Filter::host(h)).unwrap())
            .collect()
    }

    #[test]
    fn the_snapshot_answers_exactly_like_the_parse() {
        let (_tmp, path, data) = setup();
        let full = config::load(&path).unwrap();
        assert!(matches!(load(&path, &data).unwrap(), Cached::Parsed(_)));
        let Cached::Snapshot(snap) = load(&path, &data).unwrap() else {
            panic!("the snapshot was written and is read")
        };
        assert_eq!((&snap.settings, &snap.hosts), (&full.settings, &full.hosts));
        let Ok(expected) = View::tokens(&full, Filter::host("github.com"));
        assert_eq!(snap.tokens(Filter::host("GitHub.com")).unwrap(), expected);
        assert_eq!(all(&snap).len(), full.tokens.len());
        for filter in [
            Filter::owner("github.com", "ALTA3"),
            Filter::owner("ghe.test:8443", "acme"),
            Filter::owner("github.com", "-"),
            Filter::defaults("github.com"),
            Filter {
                fingerprint: Some("sha256:00000000000000cc"),
                ..Filter::host("github.com")
            },
            // Repositories are asked of a line before it is read whole: a listed name in
            // another case, a name stored escaped ('-'), all of an owner's.
            Filter::covering("github.com", "alta3", "DEMO"),
            Filter::covering("github.com", "-", "-"),
            Filter::covering("ghe.test:8443", "acme", "anything"),
            Filter::covering("github.com", "acme", "r"),
        ] {
            let Ok(parsed) = View::tokens(&full, filter);
            assert_eq!(snap.tokens(filter).unwrap(), parsed, "{filter:?}");
            assert_eq!(parsed.len(), 1, "{filter:?}");
        }
        let none = Filter::covering("github.com", "alta3", "lab");
        assert_eq!(snap.tokens(none).unwrap(), Vec::new());
        assert_eq!(View::tokens(&full, none), Ok(Vec::new()));
    }

    #[test]
    fn a_changed_config_is_read_again() {
        let (_tmp, path, data) = setup();
        load(&path, &data).unwrap();
        std::fs::write(
            &path,
            CONFIG.replace("repositories = [\"r\"]", "repositories = [\"r\", \"s\"]"),
        )
        .unwrap();
        let again = load(&path, &data).unwrap();
        let c = again.tokens(Filter::owner("github.com", "acme")).unwrap();
        assert_eq!(c[0].repos, Repos::list(&["r", "s"]));
    }

    #[test]
    fn any_damage_anywhere_is_noticed_and_the_config_read() {
        // The snapshot is written without fsync: a byte changed anywhere, a line lost or the
        // file cut short is not believed.
        let (_tmp, path, data) = setup();
        load(&path, &data).unwrap();
        assert!(snapshot(&path, &data).is_some());
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let last_line = cache.trim_end().rfind('\n').unwrap();
        for (what, damaged) in [
            ("a setting", cache.replacen("S 3 warn", "S 9 warn", 1)),
            (
                "a host",
                cache.replacen("H ghe.test:8443", "H ghe.test:8444", 1),
            ),
            (
                "a token's host",
                cache.replacen(" acme github.com", " acme evil.tes", 1),
            ),
            ("a repository", cache.replacen("labs,demo", "labs,demx", 1)),
            ("the last line lost", cache[..last_line + 1].to_string()),
            ("cut short", cache[..cache.len() - 3].to_string()),
            ("another header", cache.replacen(MAGIC, "other", 1)),
        ] {
            assert_ne!(damaged, cache, "{what}");
            std::fs::write(data.join(FILE), &damaged).unwrap();
            assert!(snapshot(&path, &data).is_none(), "{what}");
            let again = load(&path, &data).unwrap();
            assert!(matches!(again, Cached::Parsed(_)), "{what}");
            assert_eq!(all(&again).len(), 4, "{what}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_in_a_directory_others_may_write_is_never_read() {
        // Issue 12 #2: a forged cache with a copied header routed a token elsewhere.
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, path, data) = setup();
        load(&path, &data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(load(&path, &data).is_err());
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(data.join(FILE), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(load(&path, &data).is_err());
    }
}
