//! The one decision both `get` and `check` use: a pure function of (request fields, registry,
//! state, now). It says which token would be sent and whether it may be, or why none is;
//! the callers only print.

use crate::policy::{judge, Verdict};
use crate::registry::state::State;
use crate::registry::{Registry, Token};
use crate::remote::{owner_repo, Remote};
use crate::scope::{candidates, covered_by_owner};

/// The fields of a request that decide the token.
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    pub protocol: &'a str,
    pub host: &'a str,
    pub path: Option<&'a [u8]>,
    pub username: Option<&'a str>,
    /// `check --write`: the token must allow pushing.
    pub need_write: bool,
}

#[derive(Debug)]
pub enum Resolution<'r> {
    /// Not a GitHub host: the generic store answers.
    NotGitHub,
    /// A GitHub host over a protocol it may not use (plain http unless `allow_http`).
    InsecureProtocol,
    /// git sent no path; `default` is the host's single default token, if there is one.
    NoPath {
        default: Option<Choice<'r>>,
        host_has_tokens: bool,
    },
    /// The path does not name `owner/repo`.
    NotARepository,
    Chosen(Choice<'r>),
    /// No token covers the repository; `owner_covers` lists what the owner's tokens cover.
    Uncovered {
        remote: Remote,
        owner_covers: Option<Vec<String>>,
    },
}

#[derive(Debug)]
pub struct Choice<'r> {
    pub token: &'r Token,
    pub remote: Option<Remote>,
    pub verdict: Verdict,
    /// The username to answer with: the token's, else the request's, else `x-access-token`.
    pub username: String,
}

pub fn resolve<'r>(q: &Query, reg: &'r Registry, state: &State, now: i64) -> Resolution<'r> {
    let Some(decl) = reg.github_host(q.host) else {
        return Resolution::NotGitHub;
    };
    let protocol_ok = q.protocol == "https" || (q.protocol == "http" && decl.allow_http);
    if !protocol_ok {
        return Resolution::InsecureProtocol;
    }
    let choose = |token: &'r Token, remote: Option<Remote>| Choice {
        token,
        remote,
        verdict: judge(token, state, now, &reg.settings, q.need_write),
        username: token
            .username
            .clone()
            .or(q.username.map(str::to_string))
            .unwrap_or_else(|| "x-access-token".into()),
    };
    let Some(path) = q.path else {
        let on_host: Vec<&Token> = reg
            .tokens
            .iter()
            .filter(|t| t.host.eq_ignore_ascii_case(q.host))
            .collect();
        let defaults: Vec<&&Token> = on_host.iter().filter(|t| t.default).collect();
        let default = match defaults.as_slice() {
            [only] => Some(choose(only, None)),
            _ => None,
        };
        return Resolution::NoPath {
            default,
            host_has_tokens: !on_host.is_empty(),
        };
    };
    let Some((owner, repo)) = owner_repo(path) else {
        return Resolution::NotARepository;
    };
    let remote = Remote {
        host: q.host.to_string(),
        owner,
        repo,
    };
    match candidates(reg, &remote, q.username, state, now).first() {
        Some(token) => Resolution::Chosen(choose(token, Some(remote))),
        None => {
            let owner_covers = covered_by_owner(reg, q.host, &remote.owner);
            Resolution::Uncovered {
                remote,
                owner_covers,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Refusal;
    use crate::registry::{Access, Expiry, HostDecl, Repos, SecretSource};
    use crate::secrets::StoreKind;

    const NOW: i64 = 1_800_000_000;

    fn tok(name: &str, host: &str, repos: &[&str], expires: Expiry) -> Token {
        Token {
            name: name.into(),
            host: host.into(),
            owner: "alta3".into(),
            repos: Repos::List(repos.iter().map(|s| s.to_string()).collect()),
            contents: Access::Read,
            other_permissions: vec![],
            expires,
            username: None,
            source: SecretSource::Store(StoreKind::File),
            default: false,
            fingerprint: None,
        }
    }

    fn q<'a>(protocol: &'a str, host: &'a str, path: Option<&'a [u8]>) -> Query<'a> {
        Query {
            protocol,
            host,
            path,
            username: None,
            need_write: false,
        }
    }

    fn reg() -> Registry {
        let mut test = tok("loop", "127.0.0.1:8443", &["labs"], Expiry::Never);
        test.default = true;
        Registry {
            tokens: vec![
                tok(
                    "installer",
                    "github.com",
                    &["labs", "demo"],
                    Expiry::At(NOW + 90 * 86_400),
                ),
                test,
            ],
            hosts: vec![HostDecl {
                name: "127.0.0.1:8443".into(),
                api: None,
                allow_http: true,
            }],
            ..Registry::default()
        }
    }

    #[test]
    fn chooses_and_answers_with_x_access_token() {
        let reg = reg();
        match resolve(
            &q("https", "github.com", Some(b"alta3/demo.git")),
            &reg,
            &State::default(),
            NOW,
        ) {
            Resolution::Chosen(c) => {
                assert_eq!(c.token.name, "installer");
                assert_eq!(c.username, "x-access-token");
                assert_eq!(c.verdict, Verdict::Serve);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn uncovered_repositories_get_the_owner_hint() {
        let reg = reg();
        match resolve(
            &q("https", "github.com", Some(b"alta3/other")),
            &reg,
            &State::default(),
            NOW,
        ) {
            Resolution::Uncovered {
                remote,
                owner_covers,
            } => {
                assert_eq!(remote.full_name(), "alta3/other");
                assert_eq!(owner_covers, Some(vec!["labs".into(), "demo".into()]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_http_only_where_allowed_and_lookalikes_are_not_github() {
        let reg = reg();
        let s = State::default();
        assert!(matches!(
            resolve(&q("http", "github.com", Some(b"alta3/labs")), &reg, &s, NOW),
            Resolution::InsecureProtocol
        ));
        assert!(matches!(
            resolve(
                &q("http", "127.0.0.1:8443", Some(b"alta3/labs")),
                &reg,
                &s,
                NOW
            ),
            Resolution::Chosen(_)
        ));
        for host in [
            "github.com.evil.test",
            "evil.test",
            "github.co",
            "api.github.com",
            "github.com:444",
        ] {
            assert!(
                matches!(
                    resolve(&q("https", host, Some(b"alta3/labs")), &reg, &s, NOW),
                    Resolution::NotGitHub
                ),
                "{host}"
            );
        }
    }

    #[test]
    fn without_a_path_only_a_single_default_token_answers() {
        let reg = reg();
        let s = State::default();
        match resolve(&q("https", "github.com", None), &reg, &s, NOW) {
            Resolution::NoPath {
                default: None,
                host_has_tokens: true,
            } => {}
            other => panic!("{other:?}"),
        }
        match resolve(&q("http", "127.0.0.1:8443", None), &reg, &s, NOW) {
            Resolution::NoPath {
                default: Some(c), ..
            } => assert_eq!(c.token.name, "loop"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expired_first_candidate_is_refused_not_skipped_for_an_invalid_one() {
        let mut reg = reg();
        reg.tokens[0].expires = Expiry::At(NOW - 1);
        match resolve(
            &q("https", "github.com", Some(b"alta3/labs")),
            &reg,
            &State::default(),
            NOW,
        ) {
            Resolution::Chosen(c) => {
                assert_eq!(c.verdict, Verdict::Refuse(Refusal::Expired { at: NOW - 1 }))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_valid_wider_token_is_preferred_over_an_expired_narrow_one() {
        let mut reg = reg();
        reg.tokens[0].expires = Expiry::At(NOW - 1);
        let mut wide = tok("wide", "github.com", &[], Expiry::Never);
        wide.repos = Repos::All;
        reg.tokens.push(wide);
        match resolve(
            &q("https", "github.com", Some(b"alta3/labs")),
            &reg,
            &State::default(),
            NOW,
        ) {
            Resolution::Chosen(c) => assert_eq!(c.token.name, "wide"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_repository_paths() {
        assert!(matches!(
            resolve(
                &q("https", "github.com", Some(b"alta3")),
                &reg(),
                &State::default(),
                NOW
            ),
            Resolution::NotARepository
        ));
    }
}
