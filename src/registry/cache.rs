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
//! another header, a damaged line) means the config itself is read. It is written without
//! fsync (it can always be made again), so the head, each group and the fingerprint index
//! carry checksums: a cache a crash left torn is read as no cache.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::config::{self, ConfigError};
use super::{Access, Expiry, HostDecl, OnExpired, Registry, Repos, SecretSource, Settings, Token};
use crate::fields::{decode, encode, encode_into};
use crate::files;
use crate::secrets::StoreKind;

pub const FILE: &str = "registry.cache";
const MAGIC: &str = "git-credential-scoped-registry-cache";
const FORMAT: &str = concat!("7/", env!("CARGO_PKG_VERSION"));

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
    let kept = Registry {
        settings: full.settings.clone(),
        hosts: full.hosts.clone(),
        tokens: full
            .tokens
            .iter()
            .filter(|t| want.keeps(t))
            .cloned()
            .collect(),
    };
    // Freeing thousands of tokens is no part of the answer: it happens beside it (and a
    // thread that cannot start frees them here).
    if full.tokens.len() >= PARALLEL_WRITE_FROM {
        let _ = std::thread::Builder::new().spawn(move || drop(full));
    }
    Ok(kept)
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

/// Appends `s` encoded and then a space.
fn field(out: &mut String, s: Option<&str>) {
    encode_str_into(out, s);
    out.push(' ');
}

/// [`encode_into`] for text: most fields need no escape and are copied whole.
fn encode_str_into(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) if s.len() > 1 && s.bytes().all(|b| b > 0x20 && b < 0x7f && b != b'%') => {
            out.push_str(s)
        }
        _ => encode_into(out, s.map(str::as_bytes)),
    }
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
    let _ = writeln!(
        out,
        "S {warn_days} {on_expired} {}",
        o(secret_store.map(StoreKind::name))
    );
    for HostDecl {
        name,
        api,
        allow_http,
    } in &reg.hosts
    {
        let _ = writeln!(
            out,
            "H {} {} {}",
            e(name),
            o(api.as_deref()),
            u8::from(*allow_http)
        );
    }
    // Token lines by group, built on up to two threads for large registries (the cache is
    // rewritten on the first call after every change); groups in the order their first
    // token appears, each group's lines in file order.
    let (first, second) = if reg.tokens.len() >= PARALLEL_WRITE_FROM {
        reg.tokens.split_at(reg.tokens.len() / 2)
    } else {
        (&reg.tokens[..], &[][..])
    };
    let built: Vec<Lines> = std::thread::scope(|s| {
        let beside = (!second.is_empty())
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(s, || lines_by_group(second, first.len()))
                    .ok()
            })
            .flatten();
        let one = lines_by_group(first, 0);
        // A thread that could not start or did not finish: its half is built here.
        let other = beside
            .and_then(|h| h.join().ok())
            .unwrap_or_else(|| lines_by_group(second, first.len()));
        vec![one, other]
    });
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: HashMap<(String, String), (usize, String)> = HashMap::new();
    let mut prints: Vec<(&str, usize)> = Vec::new();
    for Lines {
        order: part_order,
        mut lines,
        prints: part_prints,
    } in built
    {
        let mut index_of = Vec::with_capacity(part_order.len());
        for key in part_order {
            let text = lines.remove(&key).unwrap_or_default();
            let (index, all) = groups.entry(key).or_insert_with_key(|key| {
                order.push(key.clone());
                (order.len() - 1, String::new())
            });
            all.push_str(&text);
            index_of.push(*index);
        }
        prints.extend(part_prints.into_iter().map(|(fp, g)| (fp, index_of[g])));
    }
    let body_len: usize = groups.values().map(|(_, l)| l.len()).sum();
    let mut body = String::with_capacity(body_len + prints.len() * 40 + 1);
    for (i, key) in order.iter().enumerate() {
        let lines = &groups[key].1;
        let _ = writeln!(
            out,
            "G {} {} {} {} {i} {:016x}",
            key.0,
            key.1,
            body.len(),
            lines.len(),
            checksum(lines.as_bytes())
        );
        body.push_str(lines);
    }
    let index_start = body.len();
    body.push('\n');
    for (fp, group) in prints {
        let _ = writeln!(body, "{fp} {group}");
    }
    // The head (settings, hosts, groups) and the index carry checksums too: the cache is
    // written without fsync, so a crash may leave it torn.
    let head_sum = checksum(&out.as_bytes()[header.len() + 1..]);
    let index_sum = checksum(&body.as_bytes()[index_start..]);
    let _ = writeln!(
        out,
        "F {} {} {index_sum:016x} {head_sum:016x}",
        index_start,
        body.len() - index_start
    );
    out.push_str("---\n");
    out.push_str(&body);
    out
}

/// From this many tokens the cache's lines are built on two threads.
const PARALLEL_WRITE_FROM: usize = 2000;

/// Token lines of some tokens by (encoded, lowercased) host and owner.
#[derive(Default)]
struct Lines<'r> {
    order: Vec<(String, String)>,
    lines: HashMap<(String, String), String>,
    /// Fingerprints with the index of their group in `order`.
    prints: Vec<(&'r str, usize)>,
}

/// `first` is the position in the registry of `tokens[0]`.
fn lines_by_group(tokens: &[Token], first: usize) -> Lines<'_> {
    let mut out = Lines::default();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (seq, t) in (first..).zip(tokens) {
        let key = (
            e(&t.host.to_ascii_lowercase()),
            e(&t.owner.to_ascii_lowercase()),
        );
        let i = *index.entry(key).or_insert_with_key(|key| {
            out.order.push(key.clone());
            out.order.len() - 1
        });
        token_line(out.lines.entry(out.order[i].clone()).or_default(), seq, t);
        if let Some(fp) = &t.fingerprint {
            out.prints.push((fp, i));
        }
    }
    out
}

/// Appends the token's line: its position in the registry (to put tokens of several groups
/// back in file order), its fields encoded, then the repositories again, lowercased
/// between commas (`,labs,demo,` or `,*,`), so that `get` finds the lines naming its
/// repository with one substring search.
/// Every field is written: [`token`] builds the `Token` whole from the line, and the tests
/// compare the registry read back with the one written.
fn token_line(out: &mut String, seq: usize, t: &Token) {
    let _ = write!(out, "T {seq} ");
    for f in [&t.host, &t.owner, &t.name] {
        field(out, Some(f));
    }
    let repos_start = out.len();
    // The search form, when the list has it ready.
    let mut search = None;
    match &t.repos {
        Repos::All => out.push('*'),
        // Names hold no comma, and the comma needs no escape: a joined list of names that
        // need none is written as it is, and its search form is the last field.
        Repos::List(l) => match l.joined() {
            Some(joined) if plain_list(joined) => {
                out.push_str(joined);
                search = Some(l.search_form());
            }
            _ => {
                for (i, r) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    encode_str_into(out, Some(r));
                }
            }
        },
    }
    let repos_end = out.len();
    out.push(' ');
    out.push_str(t.contents.name());
    out.push(' ');
    if t.other_permissions.is_empty() {
        out.push('-');
    }
    for (i, (k, v)) in t.other_permissions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_into(out, Some(k.as_bytes()));
        out.push('=');
        out.push_str(v.name());
    }
    out.push(' ');
    let _ = match t.expires {
        Expiry::Never => write!(out, "never "),
        Expiry::Unknown => write!(out, "unknown "),
        Expiry::At(at) => write!(out, "{at} "),
    };
    field(out, t.username.as_deref());
    let (kind, arg) = match &t.source {
        SecretSource::Store(k) => (k.name(), None),
        SecretSource::Env(v) => ("env", Some(v.as_str())),
        SecretSource::Command(c) => ("command", Some(c.as_str())),
    };
    out.push_str(kind);
    out.push(' ');
    field(out, arg);
    out.push_str(if t.default { "1 " } else { "0 " });
    field(out, t.fingerprint.as_deref());
    match search {
        Some(search) => out.push_str(search),
        None => {
            out.push(',');
            // The encoded repositories are ASCII: lowercase them byte by byte.
            for i in repos_start..repos_end {
                let b = out.as_bytes()[i].to_ascii_lowercase();
                out.push(char::from(b));
            }
            out.push(',');
        }
    }
    out.push('\n');
}

/// Whether a joined list is its own encoding: every byte printable and no `%`, and no name
/// `-` (alone, the mark of an absent value).
fn plain_list(joined: &str) -> bool {
    joined.len() > 1
        && joined.bytes().all(|b| b > 0x20 && b < 0x7f && b != b'%')
        && !joined.starts_with("-,")
        && !joined.ends_with(",-")
        && !joined.contains(",-,")
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
    sum: u64,
}

/// A check of a group's bytes against damage (a torn or edited cache): `get` reads only
/// the lines it needs, so a damaged line elsewhere in the group would not be noticed by
/// parsing. Not a defence against forgery — the data directory's rules are ([`crate::files`]).
/// CRC-32 (crc32fast, with the CPU's carry-less multiply where there is one): it notices a
/// write a crash cut short or mixed with an older one, at a small fraction of the cost of a
/// read (a token of 10,000 repositories is a line of 300 KB). Not a defence against a
/// forger: the data directory's rules are ([`crate::files`]).
fn checksum(bytes: &[u8]) -> u64 {
    u64::from(crc32fast::hash(bytes))
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
    let head_start = header.len() + 1;
    let mut at = head_start;
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
        let line_start = at;
        at += line.len() + 1;
        let line = std::str::from_utf8(line).ok()?;
        // The F line closes the head: its checksum covers every line before it.
        if prints.is_some() && line != "---" {
            return None;
        }
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
            Some(b'F') => {
                let (offset, len, index_sum, head_sum) = index_line(line)?;
                if checksum(&bytes[head_start..line_start]) != head_sum {
                    return None;
                }
                prints = Some((offset, len, index_sum));
            }
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
            let (offset, len, sum) = prints?;
            let index = fetch(offset, len)?;
            if checksum(&index) != sum {
                return None;
            }
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
    let mut found: Vec<(usize, Token)> = Vec::new();
    for g in wanted {
        let bytes = fetch(g.offset, g.len)?;
        if checksum(&bytes) != g.sum {
            return None;
        }
        let lines: Vec<&[u8]> = match want {
            Want::Repo { repo, .. } => {
                let needle = format!(",{},", e(repo).to_ascii_lowercase());
                lines_with(&bytes, &[needle.as_bytes(), b",*,\n"])
            }
            Want::Fingerprint { fingerprint, .. } => {
                lines_with(&bytes, &[format!(" {fingerprint} ").as_bytes()])
            }
            Want::Group { .. } | Want::Head => memchr::memchr_iter(b'\n', &bytes)
                .scan(0, |start, end| {
                    let line = &bytes[*start..end];
                    *start = end + 1;
                    Some(line)
                })
                .collect(),
        };
        for t in lines {
            found.push(token(std::str::from_utf8(t).ok()?)?);
        }
    }
    // Each group is in file order; tokens of several groups are put back in it.
    found.sort_by_key(|&(seq, _)| seq);
    reg.tokens = found.into_iter().map(|(_, t)| t).collect();
    Some(filter(reg, want))
}

/// The lines of a group holding one of `needles`, in file order: found with one substring
/// search each, without looking at the other lines (a line found by another field than the
/// one meant is dropped later, by [`Want::keeps`]).
fn lines_with<'b>(group: &'b [u8], needles: &[&[u8]]) -> Vec<&'b [u8]> {
    let mut starts: Vec<usize> = needles
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
    let f = fields(line);
    let [_, host, owner, offset, len, index, sum] = f.as_slice() else {
        return None;
    };
    Some(Group {
        host: host.to_string(),
        owner: owner.to_string(),
        offset: offset.parse().ok()?,
        len: len.parse().ok()?,
        index: index.parse().ok()?,
        sum: u64::from_str_radix(sum, 16).ok()?,
    })
}

/// The `F` line: where the fingerprint index is, its checksum, and the head's.
fn index_line(line: &str) -> Option<(usize, usize, u64, u64)> {
    let f = fields(line);
    let [_, offset, len, index_sum, head_sum] = f.as_slice() else {
        return None;
    };
    Some((
        offset.parse().ok()?,
        len.parse().ok()?,
        u64::from_str_radix(index_sum, 16).ok()?,
        u64::from_str_radix(head_sum, 16).ok()?,
    ))
}

fn settings(line: &str) -> Option<Settings> {
    let f = fields(line);
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
    let f = fields(line);
    let [_, name, api, http] = f.as_slice() else {
        return None;
    };
    Some(HostDecl {
        name: text(name)??,
        api: text(api)?,
        allow_http: *http == "1",
    })
}

/// A token line: the token and its position in the registry.
/// The space-separated fields of a cache line (one vectorised search for the spaces: a line
/// can hold a list of thousands of repositories).
fn fields(line: &str) -> Vec<&str> {
    let mut f = Vec::with_capacity(16);
    let mut start = 0;
    for at in memchr::memchr_iter(b' ', line.as_bytes()) {
        f.push(&line[start..at]);
        start = at + 1;
    }
    f.push(&line[start..]);
    f
}

fn token(line: &str) -> Option<(usize, Token)> {
    let f = fields(line);
    let [_, seq, host, owner, name, repos, contents, perms, expires, username, kind, arg, default, fp, lower] =
        f.as_slice()
    else {
        return None;
    };
    // The search field must say what the repositories say, or the line is not trusted.
    let agrees = match *repos {
        "*" => *lower == ",*,",
        r => {
            lower.len() == r.len() + 2
                && lower.starts_with(',')
                && lower.ends_with(',')
                && lower[1..lower.len() - 1].eq_ignore_ascii_case(r)
        }
    };
    if !agrees {
        return None;
    }
    let repos = match *repos {
        "*" => Repos::All,
        // Names needing no escape stay joined until something needs them one by one.
        r if memchr::memchr(b'%', r.as_bytes()).is_none() => Repos::List(
            crate::registry::RepoList::from_joined(r.to_string(), lower.to_string()),
        ),
        r => Repos::List(
            r.split(',')
                .map(|r| text(r)?)
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
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
    let seq = seq.parse().ok()?;
    Some((
        seq,
        Token {
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
        },
    ))
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
    fn a_cache_built_on_two_threads_answers_like_the_parse() {
        // Enough tokens for the two-thread build; every owner has tokens in both halves,
        // so each group's lines come from both and must keep file order.
        let n = PARALLEL_WRITE_FROM + 7;
        let mut text = String::from("version = 1\n");
        for i in 0..n {
            text.push_str(&format!(
                "[[token]]\nname = \"t{i}\"\nowner = \"o{}\"\nrepositories = [\"r{}\", \"shared\"]\nfingerprint = \"sha256:{i:016x}\"\nsecret_env = \"V\"\n",
                i % 3,
                i
            ));
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let full = config::load(&path).unwrap();
        let data = tmp.path().join("data");
        let last = format!("sha256:{:016x}", n - 1);
        let (last_owner, last_repo) = (format!("o{}", (n - 1) % 3), format!("r{}", n - 1));
        for want in [
            group("github.com", Some("o1")),
            group("github.com", None),
            Want::Repo {
                host: "github.com",
                owner: "o2",
                repo: "shared",
            },
            Want::Repo {
                host: "github.com",
                owner: &last_owner,
                repo: &last_repo,
            },
            Want::Fingerprint {
                host: "github.com",
                fingerprint: &last,
            },
        ] {
            let first = load_for(&path, &data, want).unwrap();
            let cached = load_for(&path, &data, want).unwrap();
            assert_eq!(first, cached, "{want:?}");
            assert_eq!(cached, filter(full.clone(), want), "{want:?}");
        }
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
            Repos::List(vec!["r".to_string(), "s".to_string()].into())
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
            format!("{header}\nG github.com alta3 0 26 0 0\n---\nT github.com alta3 garbage\n"),
        )
        .unwrap();
        assert_eq!(load_for(&path, &data, want).unwrap(), good);
    }

    #[test]
    fn damage_in_a_line_get_does_not_read_is_still_noticed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(
            &path,
            "[[token]]\nname = \"one\"\nowner = \"o\"\nrepositories = [\"a\"]\n[[token]]\nname = \"two\"\nowner = \"o\"\nrepositories = [\"b\"]\nexpires = \"never\"\n",
        )
        .unwrap();
        let data = tmp.path().join("data");
        let want = Want::Repo {
            host: "github.com",
            owner: "o",
            repo: "b",
        };
        let good = load_for(&path, &data, want).unwrap();
        assert_eq!(good.tokens.len(), 1);
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        // The line of token "one" (not read for repository b) changes, keeping its length.
        let damaged = cache.replacen(" one ", " onx ", 1);
        assert_ne!(damaged, cache);
        let header = cache.lines().next().unwrap();
        let head_and_body = &damaged[..];
        assert!(read(head_and_body.as_bytes(), header, want, |o, l| {
            let body = &head_and_body[head_and_body.find("\n---\n").unwrap() + 5..];
            Some(body.as_bytes()[o..o + l].to_vec())
        })
        .is_none());
    }

    #[test]
    fn names_that_need_an_escape_come_back_as_they_were() {
        // "-" alone is the cache's mark for "absent", so it is escaped; within a list not.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(
            &path,
            "[[token]]\nname = \"one\"\nowner = \"o\"\nrepositories = [\"-\"]\n[[token]]\nname = \"two\"\nowner = \"o\"\nrepositories = [\"a\", \"-\", \"A\"]\n",
        )
        .unwrap();
        let data = tmp.path().join("data");
        let full = config::load(&path).unwrap();
        for repo in ["-", "a"] {
            let want = Want::Repo {
                host: "github.com",
                owner: "o",
                repo,
            };
            let first = load_for(&path, &data, want).unwrap();
            let cached = load_for(&path, &data, want).unwrap();
            assert_eq!(first, cached, "{repo}");
            assert_eq!(cached, filter(full.clone(), want), "{repo}");
        }
        let both = load_for(&path, &data, group("github.com", Some("o"))).unwrap();
        let lists: Vec<Vec<String>> = both
            .tokens
            .iter()
            .map(|t| match &t.repos {
                Repos::List(l) => l.to_vec(),
                Repos::All => vec![],
            })
            .collect();
        assert_eq!(lists, [vec!["-"], vec!["a", "-"]]);
    }

    #[test]
    fn a_torn_head_or_index_is_noticed() {
        // The cache is written without fsync: any of its parts may come back damaged.
        let (tmp, path) = setup();
        let data = tmp.path().join("data");
        let by_print = Want::Fingerprint {
            host: "github.com",
            fingerprint: "sha256:00000000000000cc",
        };
        let alta3 = group("github.com", Some("alta3"));
        for want in [by_print, alta3] {
            assert_eq!(load_for(&path, &data, want).unwrap().tokens.len(), 1);
        }
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let header = cache.lines().next().unwrap();
        let read_text = |text: &str, want| {
            let body_at = text.find("\n---\n").unwrap() + 5;
            read(text.as_bytes(), header, want, |o, l| {
                text.as_bytes()
                    .get(body_at + o..body_at + o + l)
                    .map(<[u8]>::to_vec)
            })
        };
        assert!(read_text(&cache, by_print).is_some());
        let index_at = cache.rfind("\nsha256:00000000000000cc ").unwrap() + 1;
        for (what, damaged, want) in [
            (
                "a setting",
                cache.replacen("S 3 warn", "S 9 warn", 1),
                alta3,
            ),
            (
                "a host",
                cache.replacen("H ghe.test:8443", "H ghe.test:8444", 1),
                alta3,
            ),
            (
                "a group's range",
                cache.replacen(" alta3 0 ", " alta3 1 ", 1),
                alta3,
            ),
            (
                "the index",
                format!("{}0{}", &cache[..index_at + 22], &cache[index_at + 23..]),
                by_print,
            ),
        ] {
            assert_ne!(damaged, cache, "{what}");
            assert!(read_text(&damaged, want).is_none(), "{what}");
        }
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
