//! Usage state, kept apart from `config.toml` so that `get` never rewrites the user's file:
//! when each token was last used, and which tokens the server rejected (git's `erase` after an
//! HTTP 401). `<data dir>/state`, one line per token: `name last_used rejected_at repo`.

use std::path::{Path, PathBuf};

use crate::fields;
use crate::files::{self, FileError};

pub const FILE: &str = "state";
const LOCK: &str = ".state.lock";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenState {
    pub last_used: Option<i64>,
    pub rejected: Option<Rejection>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub at: i64,
    /// `owner/repo` the server rejected the token for, when known.
    pub repo: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub tokens: Vec<(String, TokenState)>,
    /// What the online checks learned from GitHub (its own file, [`super::learned`]).
    pub learned: super::learned::Learned,
}

impl State {
    pub fn get(&self, name: &str) -> Option<&TokenState> {
        self.tokens.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    pub fn rejection(&self, name: &str) -> Option<&Rejection> {
        self.get(name).and_then(|s| s.rejected.as_ref())
    }

    pub fn entry(&mut self, name: &str) -> &mut TokenState {
        let i = match self.tokens.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.tokens.push((name.to_string(), TokenState::default()));
                self.tokens.len() - 1
            }
        };
        &mut self.tokens[i].1
    }

    pub fn forget(&mut self, name: &str) {
        self.tokens.retain(|(n, _)| n != name);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path} is damaged at line {line}\nhint: remove that line (it only records usage)")]
    Damaged { path: PathBuf, line: usize },
}

pub fn load(data_dir: &Path) -> Result<State, StateError> {
    let path = data_dir.join(FILE);
    let learned = super::learned::load(data_dir)?;
    let Some(bytes) = files::read_data(&path)? else {
        return Ok(State {
            learned,
            ..State::default()
        });
    };
    let damaged = |line| StateError::Damaged {
        path: path.clone(),
        line,
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| damaged(1))?;
    let mut state = State {
        learned,
        ..State::default()
    };
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = parse_line(line).ok_or_else(|| damaged(n + 1))?;
        state.tokens.push(parsed);
    }
    Ok(state)
}

fn parse_line(line: &str) -> Option<(String, TokenState)> {
    let mut it = line.split(' ');
    let name = String::from_utf8(fields::decode(it.next()?).ok()??).ok()?;
    let time = |f: &str| -> Option<Option<i64>> {
        match f {
            "-" => Some(None),
            n => n.parse().ok().map(Some),
        }
    };
    let last_used = time(it.next()?)?;
    let rejected_at = time(it.next()?)?;
    let repo = match fields::decode(it.next()?).ok()? {
        Some(r) => Some(String::from_utf8(r).ok()?),
        None => None,
    };
    let rejected = rejected_at.map(|at| Rejection { at, repo });
    Some((
        name,
        TokenState {
            last_used,
            rejected,
        },
    ))
}

fn save(data_dir: &Path, state: &State) -> Result<files::Renamed, StateError> {
    let mut out = String::from(
        "# git-credential-scoped usage state v1: name last_used rejected_at rejected_repo\n",
    );
    let t = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    for (name, s) in &state.tokens {
        let repo = s.rejected.as_ref().and_then(|r| r.repo.as_deref());
        out.push_str(&format!(
            "{} {} {} {}\n",
            fields::encode(Some(name.as_bytes())),
            t(s.last_used),
            t(s.rejected.as_ref().map(|r| r.at)),
            fields::encode(repo.map(str::as_bytes)),
        ));
    }
    Ok(files::write_atomic_then(
        &data_dir.join(FILE),
        out.as_bytes(),
    )?)
}

/// "Last used" is a hint for people (`show`, `list --json`), recorded at most once per hour
/// per token: git runs `store` after every successful fetch, and most of those then cost a
/// read of this small file and no write (and so no fsync) at all.
pub const USE_GRANULARITY: i64 = 3_600;

/// Records that `name` was used at `now`, unless that is already known to the hour.
pub fn record_use(data_dir: &Path, name: &str, now: i64) -> Result<(), StateError> {
    let fresh = |s: &State| {
        s.get(name)
            .and_then(|t| t.last_used)
            .is_some_and(|at| (0..USE_GRANULARITY).contains(&(now - at)))
    };
    if fresh(&load(data_dir)?) {
        return Ok(());
    }
    update(data_dir, |s| {
        if !fresh(s) {
            s.entry(name).last_used = Some(now);
        }
    })
}

/// Applies `change` to the state under its lock.
pub fn update<T>(data_dir: &Path, change: impl FnOnce(&mut State) -> T) -> Result<T, StateError> {
    let (result, renamed) = {
        let _lock = files::lock(data_dir, LOCK)?;
        let mut state = load(data_dir)?;
        let result = change(&mut state);
        (result, save(data_dir, &state)?)
    };
    // The rename made durable once the lock is released: no other writer waits for it.
    renamed.sync();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_updates() {
        let tmp = tempfile::tempdir().unwrap();
        update(tmp.path(), |s| {
            s.entry("a").last_used = Some(5);
            s.entry("b").rejected = Some(Rejection {
                at: 7,
                repo: Some("o/r".into()),
            });
            s.entry("c").rejected = Some(Rejection { at: 8, repo: None });
        })
        .unwrap();
        let s = load(tmp.path()).unwrap();
        assert_eq!(s.get("a").unwrap().last_used, Some(5));
        assert_eq!(s.rejection("b").unwrap().repo.as_deref(), Some("o/r"));
        assert_eq!(s.rejection("c").unwrap().at, 8);
        update(tmp.path(), |s| s.forget("b")).unwrap();
        assert!(load(tmp.path()).unwrap().rejection("b").is_none());
    }
}
