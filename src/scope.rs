//! Which registered tokens cover a repository, narrowest first (SPEC §4):
//! valid before invalid; an explicit list before `all`; a shorter list before a longer one;
//! the later expiry; then the name. Pure.

use std::cmp::Reverse;

use crate::policy::defect;
use crate::registry::state::State;
use crate::registry::{Expiry, Registry, Repos, Token, View};
use crate::remote::Remote;

/// Tokens on the remote's host, for its owner, whose repositories include it, narrowest
/// first; when git gave a username, only tokens with that username or none.
pub fn candidates(
    reg: &Registry,
    remote: &Remote,
    username: Option<&str>,
    state: &State,
    now: i64,
) -> Vec<Token> {
    let Ok(covering) = reg.covering(remote);
    narrowest_first(covering, username, state, now)
}

/// The covering tokens in the order they are tried (see the module's doc); when git gave a
/// username, only tokens with that username or none.
pub fn narrowest_first(
    mut found: Vec<Token>,
    username: Option<&str>,
    state: &State,
    now: i64,
) -> Vec<Token> {
    found.retain(|t| match (username, &t.username) {
        (Some(u), Some(tu)) => u == tu,
        _ => true,
    });
    found.sort_by_cached_key(|t| {
        let expiry = match t.expires {
            Expiry::Never => i64::MAX,
            Expiry::Unknown => i64::MAX - 1,
            Expiry::At(at) => at,
        };
        (
            defect(t, state, now).is_some(),
            breadth(t),
            Reverse(expiry),
            t.name.clone(),
        )
    });
    found
}

/// How much a token covers, smaller first: an explicit list (by its length) before `all`.
pub fn breadth(t: &Token) -> (u8, usize) {
    match &t.repos {
        Repos::List(list) => (0, list.len()),
        Repos::All => (1, 0),
    }
}

/// The repositories an owner's tokens cover, for the "no token covers" hint; `None` when
/// the owner has none.
pub fn covered_by_owner(owners: &[Token]) -> Option<Vec<String>> {
    let mut repos: Vec<String> = Vec::new();
    let mut any = false;
    for t in owners {
        any = true;
        match &t.repos {
            Repos::All => repos.push("all".into()),
            Repos::List(list) => repos.extend(list.iter().cloned()),
        }
    }
    repos.dedup();
    any.then_some(repos)
}

/// The names of an owner's tokens that list their repositories: those a user can widen on
/// GitHub and follow with `edit NAME --add-repo`.
pub fn listed_by_owner(owners: &[Token]) -> Vec<String> {
    owners
        .iter()
        .filter(|t| matches!(t.repos, Repos::List(_)))
        .map(|t| t.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::state::{Rejection, TokenState};

    const NOW: i64 = 1_800_000_000;

    fn tok(name: &str, owner: &str, repos: Repos, expires: Expiry) -> Token {
        Token::sample(name, owner, repos, expires)
    }

    fn list(names: &[&str]) -> Repos {
        Repos::list(names)
    }

    fn remote(host: &str, owner: &str, repo: &str) -> Remote {
        Remote {
            host: host.into(),
            owner: owner.into(),
            repo: repo.into(),
        }
    }

    fn names(reg: &Registry, r: &Remote, user: Option<&str>, state: &State) -> Vec<String> {
        candidates(reg, r, user, state, NOW)
            .iter()
            .map(|t| t.name.clone())
            .collect()
    }

    #[test]
    fn narrowest_scope_wins() {
        let reg = Registry {
            tokens: vec![
                tok("all", "alta3", Repos::All, Expiry::Never),
                tok(
                    "six",
                    "alta3",
                    list(&["labs", "demo", "a", "b", "c", "d"]),
                    Expiry::Never,
                ),
                tok("two", "alta3", list(&["labs", "demo"]), Expiry::Never),
                tok("other", "acme", Repos::All, Expiry::Never),
            ],
            ..Registry::default()
        };
        let r = remote("github.com", "ALTA3", "Labs");
        assert_eq!(
            names(&reg, &r, None, &State::default()),
            ["two", "six", "all"]
        );
        assert_eq!(
            names(
                &reg,
                &remote("github.com", "alta3", "zzz"),
                None,
                &State::default()
            ),
            ["all"]
        );
    }

    #[test]
    fn invalid_tokens_sort_last_and_ties_go_to_later_expiry_then_name() {
        let reg = Registry {
            tokens: vec![
                tok("expired", "o", list(&["r"]), Expiry::At(NOW - 1)),
                tok("b", "o", list(&["r", "s"]), Expiry::At(NOW + 100)),
                tok("a", "o", list(&["r", "s"]), Expiry::At(NOW + 100)),
                tok("later", "o", list(&["r", "s"]), Expiry::At(NOW + 200)),
                tok("never", "o", list(&["r", "s"]), Expiry::Never),
                tok("rejected", "o", list(&["r"]), Expiry::Never),
            ],
            ..Registry::default()
        };
        let mut state = State::default();
        state.tokens.push((
            "rejected".into(),
            TokenState {
                last_used: None,
                rejected: Some(Rejection { at: 1, repo: None }),
            },
        ));
        assert_eq!(
            names(&reg, &remote("github.com", "o", "r"), None, &state),
            ["never", "later", "a", "b", "rejected", "expired"]
        );
    }

    #[test]
    fn username_filters_only_tokens_that_name_another_user() {
        let mut bob = tok("bob", "o", Repos::All, Expiry::Never);
        bob.username = Some("bob".into());
        let anyone = tok("anyone", "o", list(&["r", "s"]), Expiry::Never);
        let reg = Registry {
            tokens: vec![bob, anyone],
            ..Registry::default()
        };
        let r = remote("github.com", "o", "r");
        assert_eq!(
            names(&reg, &r, Some("bob"), &State::default()),
            ["anyone", "bob"]
        );
        assert_eq!(
            names(&reg, &r, Some("alice"), &State::default()),
            ["anyone"]
        );
    }

    #[test]
    fn hosts_match_exactly_with_port() {
        let mut ghe = tok("ghe", "o", Repos::All, Expiry::Never);
        ghe.host = "ghe.test:8443".into();
        let reg = Registry {
            tokens: vec![ghe],
            ..Registry::default()
        };
        assert_eq!(
            names(
                &reg,
                &remote("ghe.test:8443", "o", "r"),
                None,
                &State::default()
            ),
            ["ghe"]
        );
        for h in [
            "ghe.test",
            "ghe.test:443",
            "ghe.test:8443.evil",
            "x.ghe.test:8443",
        ] {
            assert!(
                names(&reg, &remote(h, "o", "r"), None, &State::default()).is_empty(),
                "{h}"
            );
        }
    }

    #[test]
    fn covered_by_owner_lists_the_hint() {
        let reg = Registry {
            tokens: vec![tok(
                "x",
                "alta3",
                list(&["labs", "enchilada"]),
                Expiry::Never,
            )],
            ..Registry::default()
        };
        let owners = |o| {
            reg.tokens_where(crate::registry::Filter::owner("github.com", o))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            covered_by_owner(&owners("Alta3")),
            Some(vec!["labs".into(), "enchilada".into()])
        );
        assert_eq!(covered_by_owner(&owners("other")), None);
    }
}
