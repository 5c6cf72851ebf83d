//! What the online checks learned from GitHub and keep, with the date they learned it
//! (issue 23), apart from the usage state's per-token lines: an owner's lifetime limit for
//! fine-grained tokens (with the token GitHub named as exceeding it), an approval seen
//! pending, and the day each token was added (to tell, from its expiry, whether it exceeds
//! a limit learned later). `<data dir>/learned`, one fact a line, fields encoded as in the
//! other data files:
//!
//! ```text
//! limit HOST OWNER DAYS KIND BY SEEN      the owner's repositories refuse tokens living longer
//! exceeds NAME FINGERPRINT HOST OWNER SEEN   GitHub refused this secret for that limit
//! pending NAME REPO SEEN                  none of the token's repositories was visible
//! added NAME AT                           when the token (its current secret) was added
//! ```
//!
//! Derived from answers, never from the config: a damaged line is dropped, not an error.

use std::path::Path;

use crate::fields;
use crate::files::{self, FileError};

pub const FILE: &str = "learned";
const LOCK: &str = ".learned.lock";

/// An owner's lifetime limit, as GitHub stated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub host: String,
    /// The repository owner it was learned for.
    pub owner: String,
    pub days: u32,
    /// `organization` or `enterprise`.
    pub kind: String,
    /// Who set it, as GitHub named it (the organization, or the enterprise above it).
    pub by: String,
    pub seen: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Learned {
    pub limits: Vec<Limit>,
    /// (token name, fingerprint or `-`, host, owner, seen).
    pub exceeds: Vec<(String, String, String, String, i64)>,
    /// (token name, repository, seen).
    pub pending: Vec<(String, String, i64)>,
    /// (token name, when added).
    pub added: Vec<(String, i64)>,
}

impl Learned {
    pub fn limit(&self, host: &str, owner: &str) -> Option<&Limit> {
        self.limits
            .iter()
            .find(|l| l.host.eq_ignore_ascii_case(host) && l.owner.eq_ignore_ascii_case(owner))
    }

    /// GitHub refused this token's current secret for its owner's lifetime limit.
    pub fn refused(&self, name: &str, fingerprint: Option<&str>) -> bool {
        self.exceeds
            .iter()
            .any(|(n, fp, ..)| n == name && fp == fingerprint.unwrap_or("-"))
    }

    pub fn pending(&self, name: &str) -> Option<(&str, i64)> {
        self.pending
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, r, at)| (r.as_str(), *at))
    }

    pub fn added(&self, name: &str) -> Option<i64> {
        self.added
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, at)| *at)
    }

    pub fn set_limit(&mut self, limit: Limit) {
        self.limits.retain(|l| {
            !(l.host.eq_ignore_ascii_case(&limit.host)
                && l.owner.eq_ignore_ascii_case(&limit.owner))
        });
        self.limits.push(limit);
    }

    pub fn set_exceeds(&mut self, name: &str, fp: Option<&str>, host: &str, owner: &str, at: i64) {
        self.exceeds.retain(|(n, ..)| n != name);
        let fp = fp.unwrap_or("-").to_string();
        self.exceeds
            .push((name.into(), fp, host.into(), owner.into(), at));
    }

    pub fn set_pending(&mut self, name: &str, repo: Option<&str>, at: i64) {
        self.pending.retain(|(n, ..)| n != name);
        if let Some(repo) = repo {
            self.pending.push((name.into(), repo.into(), at));
        }
    }

    /// A token added or given a new secret at `at`: what was learned about the old one goes.
    pub fn set_added(&mut self, name: &str, at: i64) {
        self.forget(name);
        self.added.push((name.into(), at));
    }

    pub fn forget(&mut self, name: &str) {
        self.exceeds.retain(|(n, ..)| n != name);
        self.pending.retain(|(n, ..)| n != name);
        self.added.retain(|(n, _)| n != name);
    }
}

/// Reads the facts; a missing file is none, a damaged line is skipped.
pub fn load(data_dir: &Path) -> Result<Learned, FileError> {
    let mut l = Learned::default();
    let Some(bytes) = files::read_data(&data_dir.join(FILE))? else {
        return Ok(l);
    };
    for line in String::from_utf8_lossy(&bytes).lines() {
        let _ = parse_line(&mut l, line);
    }
    Ok(l)
}

fn parse_line(l: &mut Learned, line: &str) -> Option<()> {
    let f: Vec<String> = line
        .split(' ')
        .map(|w| {
            fields::decode(w)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
        })
        .collect::<Option<_>>()?;
    let n = |s: &String| s.parse::<i64>().ok();
    match f.as_slice() {
        [k, host, owner, days, kind, by, seen] if k == "limit" => l.limits.push(Limit {
            host: host.clone(),
            owner: owner.clone(),
            days: days.parse().ok()?,
            kind: kind.clone(),
            by: by.clone(),
            seen: n(seen)?,
        }),
        [k, name, fp, host, owner, seen] if k == "exceeds" => l.exceeds.push((
            name.clone(),
            fp.clone(),
            host.clone(),
            owner.clone(),
            n(seen)?,
        )),
        [k, name, repo, seen] if k == "pending" => {
            l.pending.push((name.clone(), repo.clone(), n(seen)?))
        }
        [k, name, at] if k == "added" => l.added.push((name.clone(), n(at)?)),
        _ => return None,
    }
    Some(())
}

fn save(data_dir: &Path, l: &Learned) -> Result<(), FileError> {
    let mut out = String::from("# git-credential-scoped learned v1 (see the GUIDE)\n");
    let mut line = |words: &[&str]| {
        let enc: Vec<String> = words
            .iter()
            .map(|w| fields::encode(Some(w.as_bytes())))
            .collect();
        out.push_str(&enc.join(" "));
        out.push('\n');
    };
    for x in &l.limits {
        let (days, seen) = (x.days.to_string(), x.seen.to_string());
        line(&["limit", &x.host, &x.owner, &days, &x.kind, &x.by, &seen]);
    }
    for (name, fp, host, owner, seen) in &l.exceeds {
        line(&["exceeds", name, fp, host, owner, &seen.to_string()]);
    }
    for (name, repo, seen) in &l.pending {
        line(&["pending", name, repo, &seen.to_string()]);
    }
    for (name, at) in &l.added {
        line(&["added", name, &at.to_string()]);
    }
    files::write_atomic(&data_dir.join(FILE), out.as_bytes())
}

/// Applies `change` to the facts under their lock.
pub fn update<T>(data_dir: &Path, change: impl FnOnce(&mut Learned) -> T) -> Result<T, FileError> {
    let _lock = files::lock(data_dir, LOCK)?;
    let mut l = load(data_dir)?;
    let result = change(&mut l);
    save(data_dir, &l)?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip_and_a_damaged_line_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        update(tmp.path(), |l| {
            l.set_limit(Limit {
                host: "github.com".into(),
                owner: "NixOS".into(),
                days: 90,
                kind: "enterprise".into(),
                by: "HHS ONC".into(),
                seen: 5,
            });
            l.set_exceeds("t", Some("sha256:ab"), "github.com", "NixOS", 6);
            l.set_pending("p", Some("o/r"), 7);
            l.added.push(("a".into(), 8));
        })
        .unwrap();
        let mut text = std::fs::read_to_string(tmp.path().join(FILE)).unwrap();
        text.push_str("limit broken\n");
        std::fs::write(tmp.path().join(FILE), text).unwrap();
        let l = load(tmp.path()).unwrap();
        assert_eq!(l.limit("GitHub.com", "nixos").unwrap().by, "HHS ONC");
        assert!(l.refused("t", Some("sha256:ab")));
        assert!(!l.refused("t", Some("sha256:cd")));
        assert_eq!(l.pending("p"), Some(("o/r", 7)));
        assert_eq!(l.added("a"), Some(8));
        update(tmp.path(), |l| l.set_added("t", 9)).unwrap();
        assert!(!load(tmp.path()).unwrap().refused("t", Some("sha256:ab")));
    }
}
