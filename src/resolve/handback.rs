//! What git hands back after a `get`: `store` (the credential worked) and `erase` (the
//! server rejected it). The token `get` served is named in `state[]` ([`served_state`],
//! [`recall`]) or recognised by its secret's fingerprint ([`recognise`]); [`decide_store`]
//! and [`decide_erase`] decide, purely, what to do with it.

use super::Query;
use crate::messages;
use crate::registry::{Filter, SecretSource, Token, View};
use crate::remote::{owner_repo, Remote};

/// The registered token on `host` whose secret has `fingerprint`: by the fingerprint the
/// registry records, else among the tokens whose secret comes from the environment or a
/// command (none recorded) by the fingerprints `live` gives for them.
pub fn recognise<V: View>(
    reg: &V,
    host: &str,
    fingerprint: &str,
    live: &[(Token, String)],
) -> Result<Option<Token>, V::Error> {
    if let Some(t) = reg.by_fingerprint(host, fingerprint)? {
        return Ok(Some(t));
    }
    Ok(live
        .iter()
        .find(|(t, f)| f == fingerprint && !matches!(t.source, SecretSource::Store(_)))
        .map(|(t, _)| t.clone()))
}

/// The tokens whose secret must be fetched to recognise one git hands back when `get`'s
/// `state[]` did not come back (git before 2.46): those with no recorded fingerprint
/// (environment, command) that cover the repository, or all the host's without one.
pub fn unfingerprinted<V: View>(
    reg: &V,
    host: &str,
    path: Option<&[u8]>,
) -> Result<Vec<Token>, V::Error> {
    let mut found = match path.and_then(owner_repo) {
        Some((owner, repo)) => reg.covering(&Remote {
            host: host.to_string(),
            owner,
            repo,
        })?,
        None => reg.tokens(Filter::host(host))?,
    };
    found.retain(|t| t.fingerprint.is_none() && !matches!(t.source, SecretSource::Store(_)));
    Ok(found)
}

/// Where `get` names the token it served, for git to hand back with the `store` or
/// `erase` of that credential (`state[]`): the token's name and its secret's fingerprint,
/// never the secret.
const STATE: &str = "git-credential-scoped:v1:";

pub fn served_state(token: &Token, fingerprint: &str) -> String {
    format!("{STATE}{}:{fingerprint}", token.name)
}

/// The token `get` served, from the `state[]` git handed back, when the password git hands
/// back is the one served (its fingerprint): then `store` and `erase` need neither the
/// registry nor any secret.
pub fn recall(state: &[Vec<u8>], fingerprint: &str) -> Option<String> {
    state.iter().find_map(|s| {
        let rest = std::str::from_utf8(s).ok()?.strip_prefix(STATE)?;
        let (name, fp) = rest.split_once(':')?;
        (fp == fingerprint && crate::remote::valid_token_name(name)).then(|| name.to_string())
    })
}

/// Whether a `store` or `erase` concerns a GitHub host, and the registered token that
/// came back: what [`decide_store`] and [`decide_erase`] decide from.
#[derive(Clone, Copy, Debug)]
pub enum Handed<'a> {
    /// Not a GitHub host: the generic store's business.
    Other,
    /// A GitHub host, over a protocol it takes tokens over or not; the registered token
    /// whose secret came back, if one did.
    GitHub {
        secure: bool,
        known: Option<&'a str>,
    },
}

impl<'a> Handed<'a> {
    /// From the registry: `known` is the registered token whose secret was handed back.
    pub fn of<V: View>(q: &Query, reg: &V, known: Option<&'a Token>) -> Handed<'a> {
        match reg.github_host(q.host.unwrap_or_default()) {
            None => Handed::Other,
            Some(decl) => Handed::GitHub {
                secure: decl.accepts(q.protocol.unwrap_or_default()),
                known: known.map(|t| t.name.as_str()),
            },
        }
    }
}

/// What a `store` (git: "this credential worked") leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum StoreDecision {
    /// Nothing to keep.
    Ignore,
    /// A registered token came back: record that it was used.
    Used(String),
    /// Keep it as a generic credential under this path: the request's, or for a GitHub host
    /// exactly `owner/repo` (a token typed at a prompt is never widened to an owner).
    Keep { path: Option<Vec<u8>> },
}

pub fn decide_store(q: &Query, handed: Handed) -> StoreDecision {
    if q.protocol.is_none() || q.host.is_none() {
        return StoreDecision::Ignore;
    }
    match handed {
        Handed::Other => StoreDecision::Keep {
            path: q.path.map(<[u8]>::to_vec),
        },
        Handed::GitHub { secure: false, .. } => StoreDecision::Ignore,
        Handed::GitHub {
            known: Some(name), ..
        } => StoreDecision::Used(name.to_string()),
        Handed::GitHub { known: None, .. } => StoreDecision::Keep {
            path: narrowed(q.path),
        },
    }
}

/// What an `erase` (git: "the server rejected this credential") leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum EraseDecision {
    Ignore,
    /// A registered token was rejected: mark it, never delete it (GitHub shows a token once).
    Reject {
        token: String,
        repo: Option<String>,
        line: String,
    },
    /// Remove the generic credentials matching the request's fields, with this path.
    Forget {
        path: Option<Vec<u8>>,
    },
}

pub fn decide_erase(q: &Query, handed: Handed) -> EraseDecision {
    // A blank pattern erases nothing: protocol and host are required.
    if q.protocol.is_none() || q.host.is_none() {
        return EraseDecision::Ignore;
    }
    match handed {
        Handed::Other => EraseDecision::Forget {
            path: q.path.map(<[u8]>::to_vec),
        },
        Handed::GitHub {
            known: Some(name), ..
        } => {
            let repo = q.path.and_then(owner_repo).map(|(o, r)| format!("{o}/{r}"));
            let line = messages::rejected_line(name, q.host.unwrap_or_default(), repo.as_deref());
            EraseDecision::Reject {
                token: name.to_string(),
                repo,
                line,
            }
        }
        Handed::GitHub { known: None, .. } => EraseDecision::Forget {
            path: narrowed(q.path),
        },
    }
}

/// A GitHub path as `owner/repo`, or as given when it names no repository.
fn narrowed(path: Option<&[u8]>) -> Option<Vec<u8>> {
    path.map(|p| match owner_repo(p) {
        Some((o, r)) => format!("{o}/{r}").into_bytes(),
        None => p.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Expiry;
    use crate::resolve::tests::{q, reg, tok};

    #[test]
    fn store_and_erase_never_widen_and_never_delete_a_registered_token() {
        let reg = reg();
        let known = &reg.tokens[0];
        let query = q("https", "github.com", Some(b"alta3/labs.git/info/lfs"));
        let handed = |q: &Query, k| Handed::of(q, &reg, k);
        assert_eq!(
            decide_store(&query, handed(&query, Some(known))),
            StoreDecision::Used("installer".into())
        );
        assert_eq!(
            decide_store(&query, handed(&query, None)),
            StoreDecision::Keep {
                path: Some(b"alta3/labs".to_vec())
            }
        );
        let http = q("http", "github.com", None);
        assert_eq!(
            decide_store(&http, handed(&http, None)),
            StoreDecision::Ignore
        );
        match decide_erase(&query, handed(&query, Some(known))) {
            EraseDecision::Reject { token, repo, .. } => assert_eq!(
                (token.as_str(), repo.as_deref()),
                ("installer", Some("alta3/labs"))
            ),
            other => panic!("{other:?}"),
        }
        let other = q("https", "example.com", Some(b"a/b.git"));
        assert_eq!(
            decide_erase(&other, handed(&other, None)),
            EraseDecision::Forget {
                path: Some(b"a/b.git".to_vec())
            }
        );
    }

    #[test]
    fn the_served_token_is_recalled_only_with_its_own_password() {
        let reg = reg();
        let state = served_state(&reg.tokens[0], "sha256:00000000000000aa").into_bytes();
        let others = vec![b"other-helper:x".to_vec(), state];
        assert_eq!(
            recall(&others, "sha256:00000000000000aa").as_deref(),
            Some("installer")
        );
        assert_eq!(recall(&others, "sha256:00000000000000ab"), None);
        assert_eq!(recall(&[], "sha256:00000000000000aa"), None);
        let forged = b"git-credential-scoped:v1:a b:sha256:00000000000000aa".to_vec();
        assert_eq!(recall(&[forged], "sha256:00000000000000aa"), None);
    }

    #[test]
    fn tokens_are_recognised_by_recorded_or_live_fingerprints() {
        let mut reg = reg();
        reg.tokens[0].fingerprint = Some("sha256:00000000000000aa".into());
        let mut env = tok("env", "github.com", &["labs"], Expiry::Never);
        env.source = SecretSource::Env("T".into());
        reg.tokens.push(env.clone());
        let name = |fp, live: &[(Token, String)], host| {
            let Ok(found) = recognise(&reg, host, fp, live);
            found.map(|t| t.name)
        };
        assert_eq!(
            name("sha256:00000000000000aa", &[], "github.com").as_deref(),
            Some("installer")
        );
        let live = [(env, "sha256:00000000000000bb".to_string())];
        assert_eq!(
            name("sha256:00000000000000bb", &live, "github.com").as_deref(),
            Some("env")
        );
        assert_eq!(name("sha256:00000000000000aa", &[], "127.0.0.1:8443"), None);
        let Ok(labs) = unfingerprinted(&reg, "github.com", Some(b"alta3/labs"));
        assert_eq!(labs.len(), 1);
        let Ok(demo) = unfingerprinted(&reg, "github.com", Some(b"alta3/demo"));
        assert!(demo.is_empty());
    }
}
