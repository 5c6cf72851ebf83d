//! A snapshot of `config.toml` for the helper's path.
//!
//! git runs the helper for every authenticated request, and a typed TOML parse of a few
//! hundred tokens costs milliseconds. So the registry is also kept in
//! `<data dir>/registry.cache`, one snapshot: a header naming the config's identity (device,
//! inode, size, modification and change times to the nanosecond); the head — the settings,
//! the hosts, and one entry per owner saying where that owner's token lines are and their
//! checksum — with its own length and checksum; then the token lines, owner by owner, each
//! with its place in the config. A reader checks the header against one `stat` of the
//! config and the head against its checksum before it believes a byte of it, and reads an
//! owner's lines whole and checks them before it believes one. A `get` reads the head and
//! the lines of its repository's owner: at 50 tokens covering 10,000 repositories, 16 KiB
//! of 146 KiB (reading and checking the whole file made a `get` a tenth slower). A question
//! about no single owner (a host's tokens, its default, a fingerprint) reads every owner's
//! lines, and answers in config order. The snapshot answers the same [`View`] questions the
//! parsed config does, reading each line's first fields and parsing only the lines a
//! question admits.
//!
//! Trust: the cache is derived data and is never trusted more than the config. It lives in
//! the data directory, which is held to the config's rules ([`crate::files`]: the user's
//! own, writable by no one else, no links), it is written only from a registry that passed
//! the typed parse of exactly the bytes whose identity it records, and any doubt (no cache,
//! another header, a wrong checksum, a line that does not read) means the config itself is
//! read — for an owner's lines that do not check, when they are asked. It is written
//! without fsync (it can always be made again): the checksums are what tell a snapshot a
//! crash left torn.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::config::{self, ConfigError};
use super::{
    Access, Expiry, Filter, HostDecl, OnExpired, Registry, Repos, SecretSource, Settings,
    StoreKind, Token, View,
};
use crate::fields::{decode, encode_into};
use crate::files;

pub const FILE: &str = "registry.cache";
const MAGIC: &str = "git-credential-scoped-registry-cache";
const FORMAT: &str = concat!("9/", env!("CARGO_PKG_VERSION"));

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
    let at = Places {
        config: config_path.into(),
        data_dir: data_dir.into(),
        header,
    };
    let Some((file, size)) = files::open_data(&data_dir.join(FILE))? else {
        return Ok(Cached::Parsed(parse(&at)?));
    };
    match Snapshot::open(file, size, at) {
        Ok(snapshot) => Ok(Cached::Snapshot(snapshot)),
        Err(at) => Ok(Cached::Parsed(parse(&at)?)),
    }
}

/// Where a snapshot's config and data directory are, and the config's identity when it was
/// asked.
struct Places {
    config: PathBuf,
    data_dir: PathBuf,
    header: String,
}

/// The config parsed, and the snapshot written again if the file still is what was parsed
/// (best effort: a read-only data directory only costs speed).
fn parse(at: &Places) -> Result<Registry, ConfigError> {
    let reg = config::load(&at.config)?;
    if identity(&at.config)?.as_deref() == Some(at.header.as_str()) {
        let _ = store(&at.data_dir, &at.header, &reg);
    }
    Ok(reg)
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
            Cached::Snapshot(s) => s.tokens(filter),
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
        let reg = match self.parsed.get() {
            Some(reg) => reg,
            None => {
                if let Some(found) = self.admitted(filter) {
                    return Ok(found);
                }
                // Lines that do not check: the config answers from now on, and the snapshot
                // is made again, its file closed first (Windows may rename nothing over an
                // open file).
                self.file.take();
                let reg = parse(&self.at)?;
                self.parsed.get_or_init(|| reg)
            }
        };
        Ok(reg.tokens_where(filter).cloned().collect())
    }
}

/// A snapshot whose head checked: its settings and hosts read, and where each owner's token
/// lines are.
pub struct Snapshot {
    settings: Settings,
    hosts: Vec<HostDecl>,
    owners: Vec<Owner>,
    /// The snapshot's file, until lines of it do not check.
    file: RefCell<Option<File>>,
    /// Where the token lines start in the file.
    lines_at: u64,
    at: Places,
    /// The config's parse, once lines did not check.
    parsed: OnceCell<Registry>,
}

/// An owner's token lines: the owner (ASCII lowercase, as owners compare), where its lines
/// are after the head, how long they are and their checksum.
struct Owner {
    key: String,
    at: u64,
    len: usize,
    sum: u64,
}

/// The line of `bytes` from `at`, as text, and where the next one starts.
fn line_at(bytes: &[u8], at: usize) -> Option<(&str, usize)> {
    let rest = bytes.get(at..)?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    Some((std::str::from_utf8(&rest[..end]).ok()?, at + end + 1))
}

/// What the first read takes: the header and the head of a registry of a hundred owners.
const FIRST_READ: usize = 8 << 10;

impl Snapshot {
    /// The snapshot in `file` (of `size` bytes), when its header is the config's and its
    /// head checks; else the places back, for the config's parse.
    fn open(file: File, size: u64, at: Places) -> Result<Snapshot, Places> {
        match Snapshot::read_head(&file, size) {
            Some((header, head, lines_at)) if header == at.header => {
                match Snapshot::from_head(&head, lines_at, size) {
                    Some((settings, hosts, owners)) => Ok(Snapshot {
                        settings,
                        hosts,
                        owners,
                        file: RefCell::new(Some(file)),
                        lines_at,
                        at,
                        parsed: OnceCell::new(),
                    }),
                    None => Err(at),
                }
            }
            _ => Err(at),
        }
    }

    /// The header line, the head when its checksum holds, and where the token lines start.
    fn read_head(mut file: &File, size: u64) -> Option<(String, Vec<u8>, u64)> {
        let size = usize::try_from(size).ok()?;
        let mut bytes = vec![0; size.min(FIRST_READ)];
        file.read_exact(&mut bytes).ok()?;
        let (header, sum_at) = line_at(&bytes, 0)?;
        let (sums, head_at) = line_at(&bytes, sum_at)?;
        let (len, sum) = sums.split_once(' ')?;
        let end = head_at
            .checked_add(len.parse().ok()?)
            .filter(|&e| e <= size)?;
        let sum = u64::from_str_radix(sum, 16).ok()?;
        let header = header.to_string();
        if end > bytes.len() {
            let read = bytes.len();
            bytes.resize(end, 0);
            file.read_exact(&mut bytes[read..]).ok()?;
        }
        bytes.truncate(end);
        let head = bytes.split_off(head_at);
        (checksum(&head) == sum).then_some((header, head, end as u64))
    }

    /// The settings, hosts and owners a head holds, each owner's lines within the file.
    fn from_head(
        head: &[u8],
        lines_at: u64,
        size: u64,
    ) -> Option<(Settings, Vec<HostDecl>, Vec<Owner>)> {
        let (line, mut at) = line_at(head, 0)?;
        let settings = settings(line)?;
        let (mut hosts, mut owners) = (Vec::new(), Vec::new());
        while at < head.len() {
            let (line, next) = line_at(head, at)?;
            at = next;
            match line.split_at_checked(2)? {
                ("H ", line) => hosts.push(host_decl(line)?),
                ("O ", line) => {
                    let [key, from, len, sum] = fields(line)?;
                    let owner = Owner {
                        key: text(key)?,
                        at: from.parse().ok()?,
                        len: len.parse().ok()?,
                        sum: u64::from_str_radix(sum, 16).ok()?,
                    };
                    let end = lines_at
                        .checked_add(owner.at)?
                        .checked_add(owner.len as u64)?;
                    (end <= size).then_some(())?;
                    owners.push(owner);
                }
                _ => return None,
            }
        }
        Some((settings, hosts, owners))
    }

    /// The tokens `filter` admits, in config order; `None` when lines it had to read do not
    /// check. Reads the lines of the filter's owner (or of every owner, in one read), checks
    /// each owner's whole, reads each line's first fields, and parses only the lines the
    /// filter admits.
    fn admitted(&self, filter: Filter) -> Option<Vec<Token>> {
        let key = filter.owner.map(str::to_ascii_lowercase);
        let owners: Vec<&Owner> = (self.owners.iter())
            .filter(|o| key.as_ref().is_none_or(|k| *k == o.key))
            .collect();
        let (Some(&first), Some(&last)) = (owners.first(), owners.last()) else {
            return Some(Vec::new());
        };
        // Owners' lines follow each other in the order the head lists them.
        let lines = self.read(first.at, (last.at + last.len as u64).checked_sub(first.at)?)?;
        let mut found = Vec::new();
        for owner in owners {
            let from = usize::try_from(owner.at.checked_sub(first.at)?).ok()?;
            let of_owner = lines.get(from..from.checked_add(owner.len)?)?;
            if checksum(of_owner) != owner.sum {
                return None;
            }
            let mut at = 0;
            while at < of_owner.len() {
                let (line, next) = token_line(of_owner, at)?;
                at = next;
                if let Some(t) = admitted_line(line, &filter)? {
                    found.push(t);
                }
            }
        }
        found.sort_by_key(|&(place, _)| place);
        Some(found.into_iter().map(|(_, t)| t).collect())
    }

    /// `len` bytes of the token lines from `at`.
    fn read(&self, at: u64, len: u64) -> Option<Vec<u8>> {
        let mut lines = Vec::with_capacity(usize::try_from(len).ok()?);
        let file = self.file.borrow();
        let mut file = file.as_ref()?;
        file.seek(SeekFrom::Start(self.lines_at + at)).ok()?;
        file.take(len).read_to_end(&mut lines).ok()?;
        (lines.len() as u64 == len).then_some(lines)
    }
}

/// The token line at `at` of `lines` (`T LEN ` and LEN bytes, then a newline), and where the
/// next one starts.
fn token_line(lines: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = lines.get(at..)?.strip_prefix(b"T ")?;
    let digits = rest.iter().position(|&b| b == b' ')?;
    let len = rest[..digits].iter().try_fold(0usize, |n, &d| {
        let d = d.checked_sub(b'0').filter(|&d| d < 10)?;
        n.checked_mul(10)?.checked_add(usize::from(d))
    })?;
    let start = at + 2 + digits + 1;
    let line = lines.get(start..start.checked_add(len)?)?;
    (lines.get(start + len) == Some(&b'\n')).then_some((line, start + len + 1))
}

/// The token of a line (with its place in the config) when `filter` admits it; `None`
/// when the line does not read. Reads the first fields (place, owner, host, fingerprint,
/// default mark), then the repositories, and parses the line whole only when those admit it.
fn admitted_line(line: &[u8], filter: &Filter) -> Option<Option<(usize, Token)>> {
    let mut f = line.splitn(6, |&b| b == b' ');
    let (Some(place), Some(owner), Some(host), Some(fp), Some(default), Some(rest)) =
        (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
    else {
        return None;
    };
    let place = std::str::from_utf8(place).ok()?.parse().ok()?;
    let default = default == b"1";
    // A field with `%` is compared decoded.
    let escaped = |f: &[u8]| f.contains(&b'%');
    let raw_fp = (fp != b"-").then_some(fp);
    if !filter.admits_fields(host, owner, raw_fp, default)
        && ![owner, host, fp].into_iter().any(escaped)
    {
        return Some(None);
    }
    let (owner, host, fp) = (plain(owner)?, plain(host)?, plain(fp)?);
    let fp = (fp != "-").then_some(fp);
    let fields = (
        host.as_bytes(),
        owner.as_bytes(),
        fp.as_deref().map(str::as_bytes),
    );
    if !filter.admits_fields(fields.0, fields.1, fields.2, default)
        || !filter.admits_repos(repo_names(rest))
    {
        return Some(None);
    }
    let rest = std::str::from_utf8(rest).ok()?;
    let (host, owner) = (host.into_owned(), owner.into_owned());
    let token = token(host, owner, fp.map(Cow::into_owned), default, rest)?;
    Some(Some((place, token)))
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
    let mut head = String::new();
    let s = &reg.settings;
    let on_expired = match s.on_expired {
        OnExpired::Warn => "warn",
        OnExpired::Refuse => "refuse",
    };
    let _ = write!(head, "S {} {on_expired} ", s.warn_days);
    encode_into(&mut head, s.secret_store.map(|k| k.name().as_bytes()));
    head.push('\n');
    for h in &reg.hosts {
        head.push_str("H ");
        field(&mut head, Some(&h.name));
        field(&mut head, h.api.as_deref());
        head.push_str(if h.allow_http { "1\n" } else { "0\n" });
    }
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for (place, t) in reg.tokens.iter().enumerate() {
        let lines = owners.entry(t.owner.to_ascii_lowercase()).or_default();
        push_token(lines, place, t);
    }
    let mut lines = String::new();
    for (key, of_owner) in &owners {
        head.push_str("O ");
        field(&mut head, Some(key));
        let sum = checksum(of_owner.as_bytes());
        let _ = writeln!(head, "{} {} {sum:016x}", lines.len(), of_owner.len());
        lines.push_str(of_owner);
    }
    let sum = checksum(head.as_bytes());
    format!("{header}\n{} {sum:016x}\n{head}{lines}", head.len())
}

/// Appends the token's line: its length (so a reader skips the lines it does not want
/// without reading them), its place in the config, then what [`Filter`] looks at (owner,
/// host, fingerprint, default mark), then every other field (the tests compare what is
/// read back with the registry written).
fn push_token(lines: &mut String, place: usize, t: &Token) {
    let out = &mut String::new();
    let _ = write!(out, "{place} ");
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
    let _ = writeln!(lines, "T {} {out}", out.len());
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

/// A repository name: [`text`], without its decoding for the names that need none (most,
/// and a `get` reads every name of the token it serves).
fn repo_name(f: &str) -> Option<String> {
    match f == "-" || f.as_bytes().contains(&b'%') {
        true => text(f),
        false => Some(f.to_owned()),
    }
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

/// The repository names of a token line's `rest` (its name, then the names, then a space)
/// as stored (`*`, all: `None`).
fn repo_names(rest: &[u8]) -> Option<Names<'_>> {
    let at = rest
        .iter()
        .position(|&b| b == b' ')
        .map_or(rest.len(), |i| i + 1);
    let list = &rest[at..];
    // An empty list (none in a config that loads, but a registry may hold one) names none.
    (!list.starts_with(b"* ")).then_some(Names((!list.starts_with(b" ")).then_some(list)))
}

/// A stored repository list's names (up to the space that ends the list), each decoded
/// where it holds a `%` (one that does not decode is no name: the checksum has already
/// vouched for the line). One pass over the bytes per name: a `get` compares every name of
/// its owner's tokens, and `split` then `contains` cost several times the name's length.
struct Names<'a>(Option<&'a [u8]>);

impl<'a> Iterator for Names<'a> {
    type Item = Cow<'a, [u8]>;

    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        let list = self.0?;
        let (mut end, mut escaped, mut last) = (list.len(), false, true);
        for (i, &b) in list.iter().enumerate() {
            if b == b',' || b == b' ' {
                (end, last) = (i, b == b' ');
                break;
            }
            escaped |= b == b'%';
        }
        let n = &list[..end];
        self.0 = if last { None } else { list.get(end + 1..) };
        Some(match escaped {
            false => Cow::Borrowed(n),
            true => Cow::Owned(
                std::str::from_utf8(n)
                    .ok()
                    .and_then(text)
                    .unwrap_or_default()
                    .into_bytes(),
            ),
        })
    }
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
        "" => Repos::List(Vec::new()),
        r => Repos::List(r.split(',').map(repo_name).collect::<Option<_>>()?),
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
        let file = File::open(data.join(FILE)).ok()?;
        let size = file.metadata().unwrap().len();
        let at = Places {
            config: path.into(),
            data_dir: data.into(),
            header: identity(path).unwrap().unwrap(),
        };
        Snapshot::open(file, size, at).ok()
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
        // file cut short is not believed. Damage to the header or the head refuses the
        // snapshot at once; damage to an owner's lines is found when they are read, and the
        // config answers instead (then the snapshot is made again).
        let (_tmp, path, data) = setup();
        let full = config::load(&path).unwrap();
        load(&path, &data).unwrap();
        assert!(snapshot(&path, &data).is_some());
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let last_line = cache.trim_end().rfind('\n').unwrap();
        let at_once = [
            ("a setting", cache.replacen("S 3 warn", "S 9 warn", 1)),
            (
                "a host",
                cache.replacen("H ghe.test:8443", "H ghe.test:8444", 1),
            ),
            ("an owner's place", cache.replacen("O acme ", "O acmf ", 1)),
            ("the last line lost", cache[..last_line + 1].to_string()),
            ("cut short", cache[..cache.len() - 3].to_string()),
            ("another header", cache.replacen(MAGIC, "other", 1)),
        ];
        let when_read = [
            (
                "a token's host",
                cache.replacen(" acme github.com", " acme evilhub.co", 1),
            ),
            ("a repository", cache.replacen("labs,demo", "labs,demx", 1)),
            (
                "a token's place",
                cache.replacen("T 72 2 acme", "T 72 0 acme", 1),
            ),
        ];
        for (what, damaged) in at_once.iter().chain(&when_read) {
            assert_ne!(*damaged, cache, "{what}");
            std::fs::write(data.join(FILE), damaged).unwrap();
            // Not kept open: Windows may rename nothing over an open file.
            assert_eq!(
                snapshot(&path, &data).is_none(),
                at_once.iter().any(|(w, _)| w == what),
                "{what}"
            );
            let again = load(&path, &data).unwrap();
            assert_eq!(all(&again), all(&full), "{what}");
            for owner in ["alta3", "ACME", "-"] {
                let filter = Filter::owner("github.com", owner);
                let Ok(parsed) = View::tokens(&full, filter);
                assert_eq!(again.tokens(filter).unwrap(), parsed, "{what}: {owner}");
            }
            assert_eq!(
                std::fs::read_to_string(data.join(FILE)).unwrap(),
                cache,
                "{what}"
            );
        }
    }

    #[test]
    fn a_question_about_one_owner_reads_only_that_owners_lines() {
        // Another owner's lines damaged: the question about alta3 is answered from the
        // snapshot, without the config; one about every owner notices.
        let (_tmp, path, data) = setup();
        load(&path, &data).unwrap();
        let cache = std::fs::read_to_string(data.join(FILE)).unwrap();
        let damaged = cache.replacen(" c r read ", " c s read ", 1);
        assert_ne!(damaged, cache);
        std::fs::write(data.join(FILE), damaged).unwrap();
        let snap = snapshot(&path, &data).unwrap();
        let alta3 = snap.admitted(Filter::covering("github.com", "ALTA3", "demo"));
        assert_eq!(alta3.map(|t| t.len()), Some(1));
        assert!(snap.admitted(Filter::owner("github.com", "acme")).is_none());
        assert!(snap.admitted(Filter::host("github.com")).is_none());
        assert_eq!(snap.parsed.get(), None);
    }

    /// Any registry of valid names, written and read back: every question the helper asks
    /// (each owner in another case, each listed repository and one not listed, each
    /// fingerprint, the defaults, the host) answers exactly as the registry, in config order.
    #[test]
    fn any_registry_answers_every_question_as_itself() {
        use proptest::prelude::*;
        // Names as a config that loads holds them (remote::valid_name), `-` written escaped.
        let name = prop::sample::select(vec!["labs", "Demo", "LABS", "-", "x.y", "a_b", "_"]);
        let token = (
            prop::sample::select(vec!["alta3", "ALTA3", "acme", "-", "a-b"]),
            prop::sample::select(vec!["github.com", "ghe.test:8443"]),
            prop::option::of(prop::collection::vec(name, 0..4)),
            any::<bool>(),
            prop::option::of(prop::sample::select(vec!["sha256:aa", "sha256:bb"])),
        );
        let mut runner = proptest::test_runner::TestRunner::default();
        let tokens = prop::collection::vec(token, 0..8);
        let tmp = tempfile::tempdir().unwrap();
        runner
            .run(&tokens, |tokens| {
                let mut reg = Registry::default();
                for (i, (owner, host, repos, default, fp)) in tokens.into_iter().enumerate() {
                    let repos = match repos {
                        None => Repos::All,
                        Some(names) => Repos::List(names.into_iter().map(String::from).collect()),
                    };
                    let mut t = Token::sample(&format!("t{i}"), owner, repos, Expiry::Never);
                    (t.host, t.default) = (host.to_string(), default);
                    t.fingerprint = fp.map(String::from);
                    reg.tokens.push(t);
                }
                let file = tmp.path().join(FILE);
                std::fs::write(&file, write(&reg, "header")).unwrap();
                let at = Places {
                    config: tmp.path().join("config.toml"),
                    data_dir: tmp.path().into(),
                    header: "header".into(),
                };
                let size = std::fs::metadata(&file).unwrap().len();
                let snap = Snapshot::open(File::open(&file).unwrap(), size, at)
                    .ok()
                    .unwrap();
                let mut filters = Vec::new();
                for host in ["github.com", "GHE.test:8443"] {
                    filters.extend([Filter::host(host), Filter::defaults(host)]);
                    for fp in ["sha256:aa", "sha256:bb"] {
                        filters.push(Filter {
                            fingerprint: Some(fp),
                            ..Filter::host(host)
                        });
                    }
                    for owner in ["Alta3", "acme", "-", "A-B", "nobody"] {
                        filters.push(Filter::owner(host, owner));
                        for repo in ["labs", "DEMO", "-", "X.y", "a_b", "_", "z"] {
                            filters.push(Filter::covering(host, owner, repo));
                        }
                    }
                }
                for f in filters {
                    let expected: Vec<Token> = reg.tokens_where(f).cloned().collect();
                    prop_assert_eq!(snap.admitted(f), Some(expected), "{:?}", f);
                }
                Ok(())
            })
            .unwrap();
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
