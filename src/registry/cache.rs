//! A compiled copy of `config.toml` for the helper's path.
//!
//! git runs the helper for every authenticated request, and a typed TOML parse of a registry
//! with thousands of tokens costs tens of milliseconds or more. So the registry is also kept
//! in `<data dir>/registry.cache`: a header naming the config's identity (device, inode,
//! size, modification and change times to the nanosecond), the settings and hosts, an index
//! of token groups by host and owner (byte ranges), a fingerprint index, then the token
//! lines grouped that way. `get` checks the header against one `stat` of the config and
//! reads only the group of the host and owner in question; `store` and `erase` find a token
//! that git hands back through the fingerprint index.
//!
//! Trust: the cache is derived data and is never trusted more than the config. It lives in
//! the data directory, which is held to the config's rules ([`crate::files`]: the user's
//! own, writable by no one else, no links), it is written only from a registry that passed
//! the typed parse of exactly the bytes whose identity it records, and any doubt (no cache,
//! another header, a damaged line) means the config itself is read.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::config::{self, ConfigError};
use super::{Access, Expiry, HostDecl, OnExpired, Registry, Repos, SecretSource, Settings, Token};
use crate::fields::{decode, encode};
use crate::files;
use crate::secrets::StoreKind;

pub const FILE: &str = "registry.cache";
const MAGIC: &str = "git-credential-scoped-registry-cache";
const FORMAT: &str = concat!("3/", env!("CARGO_PKG_VERSION"));

/// Which tokens the caller needs: those on `host`, and when `owner` is given, only that
/// owner's. `resolve` never looks at any other token, so a registry filtered this way
/// decides exactly as the whole one does.
#[derive(Clone, Copy, Debug)]
pub enum Want<'a> {
    Group {
        host: &'a str,
        owner: Option<&'a str>,
    },
    /// The token on `host` whose secret has this fingerprint (`store`, `erase`).
    Fingerprint { host: &'a str, fingerprint: &'a str },
    /// The tokens on `host` of `owner` that cover `repo`: what `get` needs when one does.
    /// Only their lines are parsed, not the rest of the owner's.
    Repo {
        host: &'a str,
        owner: &'a str,
        repo: &'a str,
    },
    /// No token: the settings and hosts only.
    Head,
}

impl Want<'_> {
    fn keeps(&self, t: &Token) -> bool {
        match *self {
            Want::Group { host, owner } => {
                t.host.eq_ignore_ascii_case(host)
                    && owner.is_none_or(|o| t.owner.eq_ignore_ascii_case(o))
            }
            Want::Fingerprint { host, fingerprint } => {
                t.host.eq_ignore_ascii_case(host) && t.fingerprint.as_deref() == Some(fingerprint)
            }
            Want::Repo { host, owner, repo } => {
                t.host.eq_ignore_ascii_case(host)
                    && t.owner.eq_ignore_ascii_case(owner)
                    && t.repos.covers(repo)
            }
            Want::Head => false,
        }
    }
}

/// The registry as far as `want` needs it, from the cache when it is current.
pub fn load_for(config_path: &Path, data_dir: &Path, want: Want) -> Result<Registry, ConfigError> {
    let Some(header) = identity(config_path)? else {
        return Ok(Registry::default());
    };
    let cache_path = data_dir.join(FILE);
    if let Some(file) = files::open_data(&cache_path)? {
        if let Some(reg) = read_file(file, &header, want) {
            return Ok(reg);
        }
    }
    let full = config::load(config_path)?;
    // Written only if the file still is what was parsed; best effort: a read-only data
    // directory only costs speed.
    if identity(config_path)?.as_deref() == Some(header.as_str()) {
        let _ = store(data_dir, &header, &full);
    }
    Ok(filter(full, want))
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
    files::write_atomic(&data_dir.join(FILE), write(reg, header).as_bytes())
}

fn filter(mut reg: Registry, want: Want) -> Registry {
    reg.tokens.retain(|t| want.keeps(t));
    reg
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

fn e(s: &str) -> String {
    encode(Some(s.as_bytes()))
}

fn o(s: Option<&str>) -> String {
    encode(s.map(str::as_bytes))
}

fn write(reg: &Registry, header: &str) -> String {
    let mut out = format!("{header}\n");
    let Settings {
        warn_days,
        on_expired,
        secret_store,
    } = &reg.settings;
    let on_expired = match on_expired {
        OnExpired::Warn => "warn",
        OnExpired::Refuse => "refuse",
    };
    out.push_str(&format!(
        "S {warn_days} {on_expired} {}\n",
        o(secret_store.map(StoreKind::name))
    ));
    for HostDecl {
        name,
        api,
        allow_http,
    } in &reg.hosts
    {
        out.push_str(&format!(
            "H {} {} {}\n",
            e(name),
            o(api.as_deref()),
            u8::from(*allow_http)
        ));
    }
    // Groups in the order their first token appears; a map finds each token's group.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: HashMap<(String, String), (usize, String)> = HashMap::new();
    let mut prints: Vec<(String, usize)> = Vec::new();
    for t in &reg.tokens {
        let key = (
            e(&t.host.to_ascii_lowercase()),
            e(&t.owner.to_ascii_lowercase()),
        );
        let (index, lines) = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (order.len() - 1, String::new())
        });
        lines.push_str(&token_line(t));
        if let Some(fp) = &t.fingerprint {
            prints.push((fp.clone(), *index));
        }
    }
    let mut body = String::new();
    for (i, key) in order.iter().enumerate() {
        let lines = &groups[key].1;
        out.push_str(&format!(
            "G {} {} {} {} {i}\n",
            key.0,
            key.1,
            body.len(),
            lines.len()
        ));
        body.push_str(lines);
    }
    prints.sort();
    let mut index = String::from("\n");
    for (fp, group) in prints {
        index.push_str(&format!("{fp} {group}\n"));
    }
    out.push_str(&format!("F {} {}\n", body.len(), index.len()));
    body.push_str(&index);
    out.push_str("---\n");
    out.push_str(&body);
    out
}

/// `,a,b,` of an encoded repository list, lowercased; `None` for `*` (all).
fn repos_field_lower(repos: &str) -> Option<String> {
    (repos != "*").then(|| format!(",{},", repos.to_ascii_lowercase()))
}

fn token_line(t: &Token) -> String {
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
    } = t;
    let repos = match repos {
        Repos::All => "*".to_string(),
        Repos::List(l) => l.iter().map(|r| e(r)).collect::<Vec<_>>().join(","),
    };
    let perms: Vec<String> = other_permissions
        .iter()
        .map(|(k, v)| format!("{}={}", e(k), v.name()))
        .collect();
    let expires = match expires {
        Expiry::Never => "never".to_string(),
        Expiry::Unknown => "unknown".to_string(),
        Expiry::At(at) => at.to_string(),
    };
    let (kind, arg) = match source {
        SecretSource::Store(k) => (k.name(), None),
        SecretSource::Env(v) => ("env", Some(v.as_str())),
        SecretSource::Command(c) => ("command", Some(c.as_str())),
    };
    // Last, the repositories again, lowercased between commas (",labs,demo," or ",*,"), so
    // that `get` finds the lines naming its repository with one substring search.
    let lower = match repos_field_lower(&repos) {
        Some(l) => l,
        None => ",*,".to_string(),
    };
    format!(
        "T {} {} {} {repos} {} {} {expires} {} {kind} {} {} {} {lower}\n",
        e(host),
        e(owner),
        e(name),
        contents.name(),
        if perms.is_empty() {
            "-".to_string()
        } else {
            perms.join(",")
        },
        o(username.as_deref()),
        o(arg),
        u8::from(*default),
        o(fingerprint.as_deref()),
    )
}

/// Reads the head of the cache file (up to the `---` line) and then only the byte ranges
/// `want` needs, so the cost does not grow with the number of tokens.
fn read_file(mut file: std::fs::File, header: &str, want: Want) -> Option<Registry> {
    let mut head = Vec::with_capacity(16 * 1024);
    let body_start = loop {
        let before = head.len();
        (&mut file).take(16 * 1024).read_to_end(&mut head).ok()?;
        if let Some(i) = memchr::memmem::find(&head, b"\n---\n") {
            break i + 5;
        }
        if head.len() == before {
            return None;
        }
    };
    read(&head, header, want, |offset, len| {
        let mut buf = Vec::with_capacity(len);
        let start = u64::try_from(body_start.checked_add(offset)?).ok()?;
        file.seek(SeekFrom::Start(start)).ok()?;
        (&mut file).take(len as u64).read_to_end(&mut buf).ok()?;
        (buf.len() == len).then_some(buf)
    })
}

/// One `G` line: which group it is and where its lines are.
struct Group {
    host: String,
    owner: String,
    index: usize,
    offset: usize,
    len: usize,
}

/// Parses the head in `bytes`; `fetch(offset, len)` returns a byte range of the body.
fn read(
    bytes: &[u8],
    header: &str,
    want: Want,
    mut fetch: impl FnMut(usize, usize) -> Option<Vec<u8>>,
) -> Option<Registry> {
    let mut reg = Registry::default();
    let mut groups = Vec::new();
    let mut prints = None;
    let mut lines = bytes.split(|&b| b == b'\n');
    if std::str::from_utf8(lines.next()?).ok()? != header {
        return None;
    }
    // Only the wanted groups' lines are parsed (a fingerprint may be in any group).
    let prefix = match want {
        Want::Repo { host, owner, .. }
        | Want::Group {
            host,
            owner: Some(owner),
        } => Some(format!(
            "G {} {} ",
            e(&host.to_ascii_lowercase()),
            e(&owner.to_ascii_lowercase())
        )),
        Want::Group { host, owner: None } => Some(format!("G {} ", e(&host.to_ascii_lowercase()))),
        Want::Fingerprint { .. } => None,
        Want::Head => Some(String::new()),
    };
    for line in lines {
        let line = std::str::from_utf8(line).ok()?;
        match line.as_bytes().first() {
            Some(b'S') => reg.settings = settings(line)?,
            Some(b'H') => reg.hosts.push(host_decl(line)?),
            Some(b'G') => {
                if prefix
                    .as_ref()
                    .is_none_or(|p| !p.is_empty() && line.starts_with(p.as_str()))
                {
                    groups.push(group(line)?);
                }
            }
            Some(b'F') => prints = Some(range(line)?),
            _ if line == "---" => break,
            _ => return None,
        }
    }
    let wanted: Vec<&Group> = match want {
        Want::Repo { host, owner, .. } => {
            let host = e(&host.to_ascii_lowercase());
            let owner = e(&owner.to_ascii_lowercase());
            groups
                .iter()
                .filter(|g| g.host == host && g.owner == owner)
                .collect()
        }
        Want::Group { host, owner } => {
            let host = e(&host.to_ascii_lowercase());
            let owner = owner.map(|o| e(&o.to_ascii_lowercase()));
            groups
                .iter()
                .filter(|g| g.host == host && owner.as_ref().is_none_or(|o| g.owner == *o))
                .collect()
        }
        Want::Fingerprint { fingerprint, .. } => {
            let (offset, len) = prints?;
            let index = fetch(offset, len)?;
            let needle = format!("\n{fingerprint} ");
            let mut found = Vec::new();
            for at in memchr::memmem::find_iter(&index, needle.as_bytes()) {
                let rest = &index[at + needle.len()..];
                let end = memchr::memchr(b'\n', rest)?;
                let i: usize = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
                found.push(groups.iter().find(|g| g.index == i)?);
            }
            found
        }
        Want::Head => Vec::new(),
    };
    for g in wanted {
        let bytes = fetch(g.offset, g.len)?;
        let lines: Vec<&[u8]> = match want {
            Want::Repo { repo, .. } => lines_naming(&bytes, repo),
            _ => bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect(),
        };
        for t in lines {
            reg.tokens.push(token(std::str::from_utf8(t).ok()?)?);
        }
    }
    Some(filter(reg, want))
}

/// The lines of a group that name `repo`, or all of the owner's repositories, in file
/// order: found by their lowercased last field with one substring search each, without
/// parsing the other lines.
fn lines_naming<'b>(group: &'b [u8], repo: &str) -> Vec<&'b [u8]> {
    let needle = format!(",{},", e(repo).to_ascii_lowercase());
    let mut starts: Vec<usize> = [needle.as_bytes(), b",*,\n"]
        .iter()
        .flat_map(|n| memchr::memmem::find_iter(group, n))
        .map(|at| memchr::memrchr(b'\n', &group[..at]).map_or(0, |nl| nl + 1))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
        .into_iter()
        .map(|start| {
            let end = memchr::memchr(b'\n', &group[start..]).map_or(group.len(), |n| start + n);
            &group[start..end]
        })
        .collect()
}

fn text(f: &str) -> Option<Option<String>> {
    if f != "-" && f != "%" && !f.contains('%') {
        return Some(Some(f.to_string()));
    }
    match decode(f).ok()? {
        Some(v) => String::from_utf8(v).ok().map(Some),
        None => Some(None),
    }
}

fn group(line: &str) -> Option<Group> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, host, owner, offset, len, index] = f.as_slice() else {
        return None;
    };
    Some(Group {
        host: host.to_string(),
        owner: owner.to_string(),
        offset: offset.parse().ok()?,
        len: len.parse().ok()?,
        index: index.parse().ok()?,
    })
}

fn range(line: &str) -> Option<(usize, usize)> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, offset, len] = f.as_slice() else {
        return None;
    };
    Some((offset.parse().ok()?, len.parse().ok()?))
}

fn settings(line: &str) -> Option<Settings> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, warn, on_expired, store] = f.as_slice() else {
        return None;
    };
    Some(Settings {
        warn_days: warn.parse().ok()?,
        on_expired: match *on_expired {
            "warn" => OnExpired::Warn,
            "refuse" => OnExpired::Refuse,
            _ => return None,
        },
        secret_store: match text(store)? {
            Some(s) => Some(StoreKind::parse(&s)?),
            None => None,
        },
    })
}

fn host_decl(line: &str) -> Option<HostDecl> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, name, api, http] = f.as_slice() else {
        return None;
    };
    Some(HostDecl {
        name: text(name)??,
        api: text(api)?,
        allow_http: *http == "1",
    })
}

fn token(line: &str) -> Option<Token> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, host, owner, name, repos, contents, perms, expires, username, kind, arg, default, fp, lower] =
        f.as_slice()
    else {
        return None;
    };
    // The search field must say what the repositories say, or the line is not trusted.
    if repos_field_lower(repos).as_deref().unwrap_or(",*,") != *lower {
        return None;
    }
    let repos = if *repos == "*" {
        Repos::All
    } else {
        Repos::List(
            repos
                .split(',')
                .map(|r| text(r)?)
                .collect::<Option<Vec<_>>>()?,
        )
    };
    let other_permissions = if *perms == "-" {
        Vec::new()
    } else {
        perms
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((text(k)??, Access::parse(v)?))
            })
            .collect::<Option<Vec<_>>>()?
    };
    let expires = match *expires {
        "never" => Expiry::Never,
        "unknown" => Expiry::Unknown,
        n => Expiry::At(n.parse().ok()?),
    };
    let arg = text(arg)?;
    let source = match *kind {
        "env" => SecretSource::Env(arg?),
        "command" => SecretSource::Command(arg?),
        k => SecretSource::Store(StoreKind::parse(k)?),
    };
    Some(Token {
        name: text(name)??,
        host: text(host)??,
        owner: text(owner)??,
        repos,
        contents: Access::parse(contents)?,
        other_permissions,
        expires,
        username: text(username)?,
        source,
        default: *default == "1",
        fingerprint: text(fp)?,
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
repositories = ["labs", "demo"]
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
"#;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, CONFIG).unwrap();
        (tmp, path)
    }

    fn group<'a>(host: &'a str, owner: Option<&'a str>) -> Want<'a> {
        Want::Group { host, owner }
    }

    #[test]
    fn the_cache_answers_exactly_like_the_parse() {
        let (tmp, path) = setup();
        let full = config::load(&path).unwrap();
        let data = tmp.path().join("data");
        for want in [
            group("github.com", Some("ALTA3")),
            group("github.com", None),
            group("ghe.test:8443", Some("acme")),
            group("elsewhere", None),
            Want::Repo {
                host: "github.com",
                owner: "ALTA3",
                repo: "LABS",
            },
            Want::Repo {
                host: "github.com",
                owner: "acme",
                repo: "r",
            },
            Want::Repo {
                host: "github.com",
                owner: "acme",
                repo: "s",
            },
            Want::Repo {
                host: "ghe.test:8443",
                owner: "acme",
                repo: "anything",
            },
            Want::Fingerprint {
                host: "github.com",
                fingerprint: "sha256:00000000000000cc",
            },
            Want::Fingerprint {
                host: "GitHub.com",
                fingerprint: "sha256:0000000000000000",
            },
            Want::Fingerprint {
                host: "ghe.test:8443",
                fingerprint: "sha256:00000000000000cc",
            },
            Want::Fingerprint {
                host: "github.com",
                fingerprint: "sha256:0000000000000001",
            },
        ] {
            let first = load_for(&path, &data, want).unwrap();
            assert!(data.join(FILE).exists());
            let cached = load_for(&path, &data, want).unwrap();
            assert_eq!(first, cached, "{want:?}");
            assert_eq!(cached, filter(full.clone(), want), "{want:?}");
        }
        let by_print = load_for(
            &path,
            &data,
            Want::Fingerprint {
                host: "github.com",
                fingerprint: "sha256:00000000000000cc",
            },
        )
        .unwrap();
        assert_eq!(by_print.tokens.len(), 1);
        assert_eq!(by_print.tokens[0].name, "c");
    }

    #[test]
    fn a_changed_config_is_read_again() {
        let (tmp, path) = setup();
        let data = tmp.path().join("data");
        let want = group("github.com", Some("acme"));
        assert_eq!(load_for(&path, &data, want).unwrap().tokens.len(), 1);
        std::fs::write(
            &path,
            CONFIG.replace("repositories = [\"r\"]", "repositories = [\"r\", \"s\"]"),
        )
        .unwrap();
        let again = load_for(&path, &data, want).unwrap();
        assert_eq!(
            again.tokens[0].repos,
            Repos::List(vec!["r".into(), "s".into()])
        );
    }

    #[test]
    fn a_damaged_cache_falls_back_to_the_parse() {
        let (tmp, path) = setup();
        let data = tmp.path().join("data");
        let want = group("github.com", Some("alta3"));
        let good = load_for(&path, &data, want).unwrap();
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let header = cache.lines().next().unwrap();
        std::fs::write(
            data.join(FILE),
            format!("{header}\nG github.com alta3 0 20 0\n---\nT github.com alta3 garbage\n"),
        )
        .unwrap();
        assert_eq!(load_for(&path, &data, want).unwrap(), good);
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_in_a_directory_others_may_write_is_never_read() {
        // Issue 12 #2: a forged cache with a copied header routed a token elsewhere.
        use std::os::unix::fs::PermissionsExt;
        let (tmp, path) = setup();
        let data = tmp.path().join("data");
        load_for(&path, &data, group("github.com", None)).unwrap();
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        std::fs::write(
            data.join(FILE),
            cache.replace("T github.com", "T evil.test"),
        )
        .unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(load_for(&path, &data, group("evil.test", None)).is_err());
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(data.join(FILE), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(load_for(&path, &data, group("evil.test", None)).is_err());
    }
}
