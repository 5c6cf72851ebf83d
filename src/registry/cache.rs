//! A compiled copy of `config.toml` for the `get` path.
//!
//! git runs the helper for every authenticated request, and a TOML parse of a registry with
//! a thousand tokens costs tens of milliseconds. So the first run after the config changes
//! writes `<data dir>/registry.cache`: a header naming the config's size, times and inode,
//! the settings and hosts, an index of token groups by host and owner (byte ranges), then
//! the token lines grouped that way. Later runs check the header against one `stat` of the
//! config and parse only the group of the host (and owner) in question. Any doubt (no cache, other header, damaged line) falls back
//! to the real parse, so the cache can change speed, never answers.

use std::path::Path;

use super::config::{self, ConfigError};
use super::{Access, Expiry, HostDecl, OnExpired, Registry, Repos, SecretSource, Settings, Token};
use crate::fields::{decode, encode};
use crate::files;
use crate::secrets::StoreKind;

pub const FILE: &str = "registry.cache";
const MAGIC: &str = "git-credential-scoped-registry-cache";
const FORMAT: &str = concat!("1/", env!("CARGO_PKG_VERSION"));

/// Which tokens the caller needs: those on `host`, and when `owner` is given, only that
/// owner's. `resolve` never looks at any other token, so a registry filtered this way
/// decides exactly as the whole one does.
#[derive(Clone, Copy, Debug)]
pub struct Want<'a> {
    pub host: &'a str,
    pub owner: Option<&'a str>,
}

/// The registry as far as `want` needs it, from the cache when it is current.
pub fn load_for(config_path: &Path, data_dir: &Path, want: Want) -> Result<Registry, ConfigError> {
    let meta = match std::fs::metadata(config_path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::default()),
        Err(e) => return Err(files::io_err("read", config_path)(e).into()),
    };
    files::check_not_world_writable(config_path)?;
    let header = header_of(&meta);
    let cache_path = data_dir.join(FILE);
    if let Some(reg) = read_file(&cache_path, &header, want) {
        return Ok(reg);
    }
    let full = config::load(config_path)?;
    // Best effort: a read-only data directory only costs speed.
    if files::ensure_dir(data_dir).is_ok() {
        if let Ok(_lock) = files::lock(data_dir, ".cache.lock") {
            let _ = files::write_atomic(&cache_path, write(&full, &header).as_bytes());
        }
    }
    Ok(filter(full, want))
}

fn filter(mut reg: Registry, want: Want) -> Registry {
    reg.tokens.retain(|t| {
        t.host.eq_ignore_ascii_case(want.host)
            && want.owner.is_none_or(|o| t.owner.eq_ignore_ascii_case(o))
    });
    reg
}

fn header_of(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    let ids = {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{} {} {} {} {} {}",
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime_nsec(),
            meta.ino(),
            meta.dev()
        )
    };
    #[cfg(not(unix))]
    let ids = format!("{} {:?}", meta.len(), meta.modified().ok());
    format!("{MAGIC} {FORMAT} {ids}")
}

fn write(reg: &Registry, header: &str) -> String {
    let e = |s: &str| encode(Some(s.as_bytes()));
    let o = |s: Option<&str>| encode(s.map(str::as_bytes));
    let mut out = format!("{header}\n");
    let Settings {
        warn_days,
        on_expired,
        secret_store,
    } = &reg.settings;
    let on_expired = if *on_expired == OnExpired::Warn {
        "warn"
    } else {
        "refuse"
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
    let mut groups: Vec<(String, String, String)> = Vec::new();
    for t in &reg.tokens {
        let key = (
            e(&t.host.to_ascii_lowercase()),
            e(&t.owner.to_ascii_lowercase()),
        );
        let line = token_line(t);
        match groups.iter_mut().find(|g| g.0 == key.0 && g.1 == key.1) {
            Some(g) => g.2.push_str(&line),
            None => groups.push((key.0, key.1, line)),
        }
    }
    let mut offset = 0;
    for (host, owner, lines) in &groups {
        out.push_str(&format!("G {host} {owner} {offset} {}\n", lines.len()));
        offset += lines.len();
    }
    out.push_str("---\n");
    for (_, _, lines) in groups {
        out.push_str(&lines);
    }
    out
}

fn token_line(t: &Token) -> String {
    let e = |s: &str| encode(Some(s.as_bytes()));
    let o = |s: Option<&str>| encode(s.map(str::as_bytes));
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
    format!(
        "T {} {} {} {} {repos} {} {} {expires} {} {kind} {} {} {}\n",
        e(&host.to_ascii_lowercase()),
        e(&owner.to_ascii_lowercase()),
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

/// Reads the head of the cache file (up to the `---` line) and then only the byte ranges of
/// the wanted groups, so the cost does not grow with the number of tokens.
fn read_file(path: &Path, header: &str, want: Want) -> Option<Registry> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
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
        let mut buf = vec![0; len];
        file.seek(SeekFrom::Start(
            u64::try_from(body_start.checked_add(offset)?).ok()?,
        ))
        .ok()?;
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    })
}

/// Parses the head in `bytes`; `fetch(offset, len)` returns a byte range of the body.
fn read(
    bytes: &[u8],
    header: &str,
    want: Want,
    mut fetch: impl FnMut(usize, usize) -> Option<Vec<u8>>,
) -> Option<Registry> {
    let host = encode(Some(want.host.to_ascii_lowercase().as_bytes()));
    let group = match want.owner {
        Some(o) => format!(
            "G {host} {} ",
            encode(Some(o.to_ascii_lowercase().as_bytes()))
        ),
        None => format!("G {host} "),
    };
    // The head (header, settings, hosts, index) ends at the `---` line; the body follows.
    let mut reg = Registry::default();
    let mut ranges = Vec::new();
    let mut rest = bytes;
    let mut first = true;
    loop {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let (line, after) = (std::str::from_utf8(&rest[..end]).ok()?, &rest[end + 1..]);
        rest = after;
        if first {
            if line != header {
                return None;
            }
            first = false;
            continue;
        }
        match line.as_bytes().first() {
            Some(b'S') => reg.settings = settings(line)?,
            Some(b'H') => reg.hosts.push(host_decl(line)?),
            Some(b'G') if !line.starts_with(&group) => {}
            Some(b'G') => {
                let mut f = line.rsplit(' ');
                let len: usize = f.next()?.parse().ok()?;
                let offset: usize = f.next()?.parse().ok()?;
                ranges.push((offset, len));
            }
            _ if line == "---" => break,
            _ => return None,
        }
    }
    for (offset, len) in ranges {
        let bytes = fetch(offset, len)?;
        let group = std::str::from_utf8(&bytes).ok()?;
        for t in group.split_terminator('\n') {
            reg.tokens.push(token(t)?);
        }
    }
    Some(reg)
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

fn settings(line: &str) -> Option<Settings> {
    let f: Vec<&str> = line.split(' ').collect();
    let [_, warn, on_expired, store] = f.as_slice() else {
        return None;
    };
    Some(Settings {
        warn_days: warn.parse().ok()?,
        on_expired: if *on_expired == "warn" {
            OnExpired::Warn
        } else {
            OnExpired::Refuse
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
    let [_, host, _, owner, name, repos, contents, perms, expires, username, kind, arg, default, fp] =
        f.as_slice()
    else {
        return None;
    };
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
secret_env = "A B"
default = true
fingerprint = "sha256:00"
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
"#;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, CONFIG).unwrap();
        (tmp, path)
    }

    #[test]
    fn the_cache_answers_exactly_like_the_parse() {
        let (tmp, path) = setup();
        let full = config::load(&path).unwrap();
        let data = tmp.path().join("data");
        for want in [
            Want {
                host: "github.com",
                owner: Some("ALTA3"),
            },
            Want {
                host: "github.com",
                owner: None,
            },
            Want {
                host: "ghe.test:8443",
                owner: Some("acme"),
            },
            Want {
                host: "elsewhere",
                owner: None,
            },
        ] {
            let first = load_for(&path, &data, want).unwrap();
            assert!(data.join(FILE).exists());
            let cached = load_for(&path, &data, want).unwrap();
            assert_eq!(first, cached, "{want:?}");
            assert_eq!(cached, filter(full.clone(), want), "{want:?}");
        }
    }

    #[test]
    fn a_changed_config_is_read_again() {
        let (tmp, path) = setup();
        let data = tmp.path().join("data");
        let want = Want {
            host: "github.com",
            owner: Some("acme"),
        };
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
        let want = Want {
            host: "github.com",
            owner: Some("alta3"),
        };
        let good = load_for(&path, &data, want).unwrap();
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let header = cache.lines().next().unwrap();
        std::fs::write(
            data.join(FILE),
            format!("{header}\nG github.com alta3 0 20\n---\nT github.com alta3 garbage\n"),
        )
        .unwrap();
        assert_eq!(load_for(&path, &data, want).unwrap(), good);
    }
}
