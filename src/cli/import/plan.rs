//! From credentials found elsewhere to registry tokens, decided purely (the registry and the
//! lines are arguments; nothing is read or written here).
//!
//! A credential-store line is imported when it is a fine-grained token (`github_pat_`) for
//! `OWNER/REPO` on a GitHub host over a protocol that host takes. Lines with the same secret
//! on the same host become one token: its owner and repositories are those of the lines,
//! its user name theirs when they agree. A secret seen for several owners is reported, not
//! merged (a fine-grained token has one owner, so at most one of them ever worked); a secret
//! already registered is left alone. Every line not imported says why.
//!
//! Which lines a registered token now makes redundant is decided here too ([`covering`]):
//! those whose repository `get` now answers from a token with the same secret.

use super::store_file::Entry;
use crate::registry::{Access, Expiry, Registry, Repos, SecretSource, Token};
use crate::remote::{owner_repo, valid_token_name};
use crate::secret::Secret;
use crate::secrets::StoreKind;

/// A line of one of the files read: the file's index in the list given, and its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineRef {
    pub file: usize,
    pub line: usize,
}

/// Where a proposed token was found.
pub enum From {
    Lines(Vec<LineRef>),
    /// What gh printed when asked with this command (`gh auth token ...`).
    Gh {
        command: String,
    },
}

/// A token the plan registers.
pub struct Proposed {
    pub token: Token,
    pub secret: Secret,
    pub from: From,
    /// What the user should know about it (user names that disagree, ...).
    pub notes: Vec<String>,
}

/// Lines that are not imported, and why.
pub struct Skipped {
    pub lines: Vec<LineRef>,
    pub reason: String,
}

#[derive(Default)]
pub struct Plan {
    pub tokens: Vec<Proposed>,
    pub skipped: Vec<Skipped>,
}

/// An importable line, reduced to what the token needs.
struct Found<'e> {
    at: LineRef,
    entry: &'e Entry,
    owner: String,
    repo: String,
    fingerprint: String,
}

/// The plan for the credential lines of the files read, against the registry as it is.
pub fn from_store(entries: &[(LineRef, Entry)], reg: &Registry, store: StoreKind) -> Plan {
    let mut plan = Plan::default();
    let mut found: Vec<Found> = Vec::new();
    for (at, entry) in entries {
        match importable(entry, reg) {
            Ok((owner, repo)) => found.push(Found {
                at: *at,
                entry,
                owner,
                repo,
                fingerprint: entry.secret.fingerprint(),
            }),
            Err(reason) => skip(&mut plan, vec![*at], reason),
        }
    }
    // One group per host and secret, in the order of first appearance.
    let mut groups: Vec<Vec<&Found>> = Vec::new();
    for f in &found {
        match groups
            .iter_mut()
            .find(|g| g[0].fingerprint == f.fingerprint && g[0].entry.host == f.entry.host)
        {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    for group in groups {
        propose(&mut plan, &group, reg, store);
    }
    plan.skipped.sort_by_key(|s| s.lines.first().copied());
    plan
}

/// `OWNER/REPO` of a line that can be imported, or why it cannot.
fn importable(e: &Entry, reg: &Registry) -> Result<(String, String), String> {
    let host = crate::protocol::escape(e.host.as_bytes());
    let Some(decl) = reg.github_host(&e.host) else {
        return Err(format!(
            "{host} is not a GitHub host: left to git's credential-store, which keeps serving it"
        ));
    };
    if !decl.accepts(&e.protocol) {
        return Err(format!(
            "{host} is a GitHub host and takes tokens over https only, not {}",
            crate::protocol::escape(e.protocol.as_bytes())
        ));
    }
    if let Some(why) = not_fine_grained(&e.secret) {
        return Err(why.to_string());
    }
    if let Some(why) = crate::secret::token_problem(&e.secret) {
        return Err(format!(
            "its password {why}: not a token `add` would take either"
        ));
    }
    let Some(path) = &e.path else {
        return Err(format!(
            "{host} without a repository path (stored while credential.useHttpPath was off): which owner and repositories the token covers cannot be told; register it by hand with `git credential-scoped add NAME --owner OWNER --repo REPO`"
        ));
    };
    owner_repo(path)
        .ok_or_else(|| format!("its path on {host} does not name a repository as OWNER/REPO"))
}

/// Why a secret is not a fine-grained token, by its prefix; `None` when it is one.
fn not_fine_grained(s: &Secret) -> Option<&'static str> {
    let s = s.expose();
    if s.starts_with(b"github_pat_") {
        return None;
    }
    Some(if s.starts_with(b"ghp_") {
        "a classic personal access token (ghp_...): it reaches every repository of its account, so there is nothing to route; keep it where it is, or replace it with fine-grained tokens"
    } else if s.starts_with(b"gho_") {
        "an OAuth token (gho_..., as gh or Git Credential Manager sign in): it reaches what its account can; it belongs to the program that made it"
    } else if s.starts_with(b"ghu_") || s.starts_with(b"ghs_") {
        "a GitHub App token (ghu_/ghs_...): it lives for hours and is minted by its app, not registered once"
    } else {
        "not a GitHub fine-grained token (github_pat_...)"
    })
}

/// One group of lines with the same secret on the same host: a token, or why not.
fn propose(plan: &mut Plan, group: &[&Found], reg: &Registry, store: StoreKind) {
    let lines: Vec<LineRef> = group.iter().map(|f| f.at).collect();
    let first = group[0];
    if let Some(t) = reg
        .tokens
        .iter()
        .find(|t| t.fingerprint.as_deref() == Some(first.fingerprint.as_str()))
    {
        let reason = format!(
            "its secret ({}) is registered already, as token '{}'",
            first.fingerprint, t.name
        );
        return skip(plan, lines, reason);
    }
    let mut owners: Vec<&str> = Vec::new();
    for f in group {
        if !owners.iter().any(|o| o.eq_ignore_ascii_case(&f.owner)) {
            owners.push(&f.owner);
        }
    }
    if owners.len() > 1 {
        let reason = format!(
            "the same secret ({}) is used for the owners {}: a fine-grained token belongs to one owner, so only one of these ever worked; register it for its owner by hand: git credential-scoped add NAME --owner OWNER --repo REPO --verify",
            first.fingerprint,
            owners.join(" and ")
        );
        return skip(plan, lines, reason);
    }
    let mut repos: Vec<String> = Vec::new();
    for f in group {
        if !repos.iter().any(|r| r.eq_ignore_ascii_case(&f.repo)) {
            repos.push(f.repo.clone());
        }
    }
    let mut notes = Vec::new();
    let username = if group
        .iter()
        .all(|f| f.entry.username == first.entry.username)
    {
        Some(first.entry.username.clone())
    } else {
        notes.push("the lines name different user names; none is kept (GitHub ignores it, and a token without one serves them all)".to_string());
        None
    };
    let name = free_name(&first.owner, reg, plan);
    let token = Token {
        name,
        host: first.entry.host.clone(),
        owner: first.owner.clone(),
        repos: Repos::List(repos),
        contents: Access::Read,
        other_permissions: Vec::new(),
        expires: Expiry::Unknown,
        username,
        source: SecretSource::Store(store),
        default: false,
        fingerprint: Some(first.fingerprint.clone()),
    };
    plan.tokens.push(Proposed {
        token,
        secret: first.entry.secret.duplicate(),
        from: From::Lines(lines),
        notes,
    });
}

fn skip(plan: &mut Plan, lines: Vec<LineRef>, reason: String) {
    plan.skipped.push(Skipped { lines, reason });
}

/// The first of `OWNER`, `OWNER-2`, `OWNER-3`, ... that neither the registry nor the plan
/// uses, and that is a usable token name.
pub fn free_name(owner: &str, reg: &Registry, plan: &Plan) -> String {
    let base: String = owner.chars().take(56).collect();
    let base = if valid_token_name(&base) {
        base
    } else {
        "imported".to_string()
    };
    let taken = |n: &str| reg.token(n).is_some() || plan.tokens.iter().any(|p| p.token.name == n);
    (1..)
        .map(|i| match i {
            1 => base.clone(),
            i => format!("{base}-{i}"),
        })
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// The registered token that makes a credential-store line redundant: one with the same
/// secret, host and owner that covers the line's repository, for the line's user name — so
/// `get` answers that repository with the very secret the line holds.
pub fn covering<'t>(e: &Entry, tokens: &'t [Token]) -> Option<&'t Token> {
    let (owner, repo) = owner_repo(e.path.as_deref()?)?;
    let fingerprint = e.secret.fingerprint();
    tokens.iter().find(|t| {
        t.fingerprint.as_deref() == Some(fingerprint.as_str())
            && t.covers(&e.host, &owner, &repo)
            && t.username.as_deref().is_none_or(|u| u == e.username)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::import::store_file::{read, Line};

    const A: &str = "github_pat_AAAA";
    const B: &str = "github_pat_BBBB";

    fn entries(text: &str) -> Vec<(LineRef, Entry)> {
        read(text.as_bytes())
            .into_iter()
            .filter_map(|(n, l)| match l {
                Line::Credential(e) => Some((LineRef { file: 0, line: n }, e)),
                Line::Blank | Line::Unreadable(_) => None,
            })
            .collect()
    }

    #[test]
    fn one_token_per_secret_with_the_repositories_of_its_lines() {
        let text = format!(
            "https://x:{A}@github.com/alta3/labs\nhttps://x:{B}@github.com/alta3/demo\nhttps://x:{A}@github.com/alta3/enchilada.git\nhttps://x:{A}@github.com/Alta3/LABS\n"
        );
        let plan = from_store(&entries(&text), &Registry::default(), StoreKind::File);
        let got: Vec<(&str, String, &str)> = plan
            .tokens
            .iter()
            .map(|p| {
                (
                    p.token.name.as_str(),
                    p.token.repos.describe(),
                    p.token.owner.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("alta3", "labs, enchilada".to_string(), "alta3"),
                ("alta3-2", "demo".to_string(), "alta3")
            ]
        );
        assert_eq!(plan.tokens[0].token.username.as_deref(), Some("x"));
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn a_secret_of_two_owners_and_what_cannot_be_routed_are_reported() {
        let text = format!(
            "https://x:{A}@github.com/one/r\nhttps://x:{A}@github.com/two/r\nhttps://x:{B}@github.com\nhttps://x:ghp_C@github.com/o/r\nhttps://u:{B}@gitlab.com/o/r\nhttp://x:{B}@github.com/o/r\n"
        );
        let plan = from_store(&entries(&text), &Registry::default(), StoreKind::File);
        assert!(plan.tokens.is_empty());
        let reasons: Vec<(Vec<usize>, &str)> = plan
            .skipped
            .iter()
            .map(|s| {
                (
                    s.lines.iter().map(|l| l.line).collect(),
                    s.reason.split(':').next().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            reasons,
            [
                (vec![1, 2], "the same secret (sha256"),
                (vec![3], "github.com without a repository path (stored while credential.useHttpPath was off)"),
                (vec![4], "a classic personal access token (ghp_...)"),
                (vec![5], "gitlab.com is not a GitHub host"),
                (vec![6], "github.com is a GitHub host and takes tokens over https only, not http"),
            ]
        );
    }

    #[test]
    fn a_line_is_redundant_only_where_get_now_sends_its_secret() {
        let text = format!("https://x:{A}@github.com/alta3/labs\n");
        let e = &entries(&text)[0].1;
        let plan = from_store(&entries(&text), &Registry::default(), StoreKind::File);
        let mut t = plan.tokens[0].token.clone();
        assert!(covering(e, std::slice::from_ref(&t)).is_some());
        t.repos = Repos::List(vec!["demo".to_string()]);
        assert!(covering(e, std::slice::from_ref(&t)).is_none());
        t.repos = Repos::All;
        t.username = Some("other".into());
        assert!(covering(e, std::slice::from_ref(&t)).is_none());
    }
}
