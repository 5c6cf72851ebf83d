//! The decisions: what a request leads to, as a value, decided by pure functions of (request
//! fields, registry, state, now). `get`, `check` and `token` all call [`resolve`] and only
//! carry out or describe the [`Decision`] it returns, so they can never disagree; `store`
//! and `erase` call [`decide_store`] and [`decide_erase`], on the token `get` named in
//! `state[]` ([`recall`]) or the one recognised by its fingerprint ([`recognise`]).
//!
//! A `get` for a GitHub host (SPEC §3, §4): https only (http where the host allows it); the
//! path reduces to `owner/repo`; the narrowest covering token is chosen and judged; a
//! repository no token covers, a host that is not GitHub's, or a request git sent without a
//! path is answered from the generic store, as git's own helpers would.

use crate::messages;
use crate::policy::{defect, judge, Judgement};
use crate::registry::credentials::Pattern;
use crate::registry::state::State;
use crate::registry::{Filter, Token, View};
use crate::remote::{owner_repo, Remote};
use crate::scope::{breadth, covered_by_owner, listed_by_owner, narrowest_first};

mod handback;
pub use handback::{
    decide_erase, decide_store, recall, recognise, served_state, unfingerprinted, EraseDecision,
    Handed, StoreDecision,
};

/// The fields of a request that decide the token.
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    pub protocol: Option<&'a str>,
    pub host: Option<&'a str>,
    pub path: Option<&'a [u8]>,
    pub username: Option<&'a str>,
    /// `check --write`, `token --write`: the token must allow pushing.
    pub need_write: bool,
}

/// Where a request lands.
#[derive(Debug)]
pub enum Route {
    /// git left out the protocol or the host: never a wildcard on `get`.
    Incomplete,
    /// Not a GitHub host: the generic store answers.
    NotGitHub,
    /// A GitHub host over a protocol it may not use (plain http unless `allow_http`).
    InsecureProtocol,
    /// git sent no path; `default` is the host's single default token, if there is one.
    NoPath {
        default: Option<Choice>,
    },
    /// The path does not name `owner/repo`.
    NotARepository,
    Chosen(Choice),
    /// No token covers the repository; `owner_covers` lists what the owner's tokens cover,
    /// `editable` names those with a repository list (`edit NAME --add-repo` can widen them).
    Uncovered {
        remote: Remote,
        owner_covers: Option<Vec<String>>,
        editable: Vec<String>,
    },
}

#[derive(Debug)]
pub struct Choice {
    pub token: Token,
    pub remote: Option<Remote>,
    pub verdict: Judgement,
    /// The username to answer with: the token's, else the request's, else `x-access-token`.
    pub username: String,
}

/// The fields to look a generic credential up by (git's matching rule), and the lines to
/// say when nothing matches.
#[derive(Debug)]
pub struct Lookup {
    pub protocol: String,
    pub host: String,
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
    pub unanswered: Vec<String>,
}

impl Lookup {
    pub fn pattern(&self) -> Pattern<'_> {
        Pattern {
            protocol: &self.protocol,
            host: &self.host,
            path: self.path.as_deref(),
            username: self.username.as_deref(),
        }
    }
}

/// Everything a `get` leads to.
#[derive(Debug)]
pub struct Decision {
    pub route: Route,
    /// Lines for stderr (without the prefix), said whatever the answer.
    pub lines: Vec<String>,
    /// Set when the answer comes from the generic store.
    pub lookup: Option<Lookup>,
}

impl Decision {
    /// The chosen token, if any: sent when its verdict serves, else `quit=1`. Without
    /// one, [`Decision::lookup`] says whether the generic store answers.
    pub fn choice(&self) -> Option<&Choice> {
        match &self.route {
            Route::Chosen(c) | Route::NoPath { default: Some(c) } => Some(c),
            _ => None,
        }
    }
}

fn lookup(q: &Query, protocol: &str, host: &str, path: Option<Vec<u8>>) -> Lookup {
    Lookup {
        protocol: protocol.to_string(),
        host: host.to_string(),
        path,
        username: q.username.map(str::to_string),
        unanswered: Vec::new(),
    }
}

/// The decision for a `get` (and what `check` and `token` describe), from any [`View`] of
/// the registry; only reading a token from it can fail.
pub fn resolve<V: View>(q: &Query, reg: &V, state: &State, now: i64) -> Result<Decision, V::Error> {
    let mut d = Decision {
        route: Route::Incomplete,
        lines: Vec::new(),
        lookup: None,
    };
    let (Some(protocol), Some(host)) = (q.protocol, q.host) else {
        return Ok(d);
    };
    let Some(decl) = reg.github_host(host) else {
        d.route = Route::NotGitHub;
        d.lookup = Some(lookup(q, protocol, host, q.path.map(<[u8]>::to_vec)));
        return Ok(d);
    };
    if !decl.accepts(protocol) {
        d.route = Route::InsecureProtocol;
        d.lines
            .push(messages::insecure_protocol_line(host, protocol));
        return Ok(d);
    }
    let choose = |token: Token, remote: Option<Remote>| Choice {
        verdict: judge(&token, state, now, reg.settings(), q.need_write),
        username: token
            .username
            .clone()
            .or(q.username.map(str::to_string))
            .unwrap_or_else(|| "x-access-token".into()),
        token,
        remote,
    };
    let Some(path) = q.path else {
        if !reg.tokens(Filter::host(host))?.is_empty() {
            d.lines.push(messages::no_path_line(q.protocol, host));
        }
        let default = reg.default_of(host)?.map(|only| choose(only, None));
        if default.is_none() {
            d.lookup = Some(lookup(q, protocol, host, None));
        }
        d.route = Route::NoPath { default };
        d.lines.extend(
            d.choice()
                .map(|c| verdict_lines(c, now))
                .unwrap_or_default(),
        );
        return Ok(d);
    };
    let Some((owner, repo)) = owner_repo(path) else {
        d.route = Route::NotARepository;
        d.lookup = Some(lookup(q, protocol, host, Some(path.to_vec())));
        return Ok(d);
    };
    let remote = Remote {
        host: host.to_string(),
        owner,
        repo,
    };
    let found = narrowest_first(reg.covering(&remote)?, q.username, state, now);
    let Some(first) = found.first() else {
        let owners = reg.tokens(Filter::owner(host, &remote.owner))?;
        d.lookup = Some(lookup(
            q,
            protocol,
            host,
            Some(remote.full_name().into_bytes()),
        ));
        d.route = uncovered(remote, &owners, d.lookup.as_mut());
        return Ok(d);
    };
    // The registry meant a narrower token for this repository: say why it was passed over.
    if defect(first, state, now).is_none() {
        for skipped in found.iter().filter(|t| breadth(t) < breadth(first)) {
            if let Some(why) = defect(skipped, state, now) {
                d.lines
                    .push(messages::skipped_line(skipped, &why, first, now));
            }
        }
    }
    let pending = messages::pending_line(first, &state.learned).map(|l| format!("note: {l}"));
    let choice = choose(
        found.into_iter().next().expect("found has a first"),
        Some(remote),
    );
    d.lines.extend(verdict_lines(&choice, now));
    d.lines.extend(pending);
    d.route = Route::Chosen(choice);
    Ok(d)
}

/// The route of a repository no token covers, and the lines to say when the generic store
/// has nothing for it either: what the owner's tokens cover, and which can be widened.
fn uncovered(remote: Remote, owners: &[Token], lookup: Option<&mut Lookup>) -> Route {
    let owner_covers = covered_by_owner(owners);
    let editable = listed_by_owner(owners);
    if let (Some(covers), Some(l)) = (&owner_covers, lookup) {
        l.unanswered.push(messages::uncovered_line(
            &remote.full_name(),
            &remote.owner,
            covers,
        ));
        l.unanswered.extend(messages::edit_hint(&remote, &editable));
    }
    Route::Uncovered {
        remote,
        owner_covers,
        editable,
    }
}

fn verdict_lines(c: &Choice, now: i64) -> Vec<String> {
    messages::verdict_lines(&c.token, c.remote.as_ref(), &c.verdict, now)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::Refusal;
    use crate::registry::state::{Rejection, TokenState};
    use crate::registry::{Expiry, HostDecl, Registry, Repos};

    const NOW: i64 = 1_800_000_000;

    pub(crate) fn tok(name: &str, host: &str, repos: &[&str], expires: Expiry) -> Token {
        Token {
            host: host.into(),
            ..Token::sample(name, "alta3", Repos::list(repos), expires)
        }
    }

    pub(crate) fn q<'a>(protocol: &'a str, host: &'a str, path: Option<&'a [u8]>) -> Query<'a> {
        Query {
            protocol: Some(protocol),
            host: Some(host),
            path,
            username: None,
            need_write: false,
        }
    }

    pub(crate) fn reg() -> Registry {
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

    fn decide(query: &Query, reg: &Registry) -> Decision {
        let Ok(d) = resolve(query, reg, &State::default(), NOW);
        d
    }

    /// What git is answered: a token, `quit=1`, a generic look-up, or nothing.
    #[derive(Debug)]
    enum Sent<'d> {
        Token(&'d Choice),
        Quit(&'d Choice),
        Stored(&'d Lookup),
        Nothing,
    }

    fn sent(d: &Decision) -> Sent<'_> {
        match (d.choice(), &d.lookup) {
            (Some(c), _) if c.verdict.serves() => Sent::Token(c),
            (Some(c), _) => Sent::Quit(c),
            (None, Some(l)) => Sent::Stored(l),
            (None, None) => Sent::Nothing,
        }
    }

    #[test]
    fn chooses_and_answers_with_x_access_token() {
        let reg = reg();
        let d = decide(&q("https", "github.com", Some(b"alta3/demo.git")), &reg);
        match sent(&d) {
            Sent::Token(c) => {
                assert_eq!(c.token.name, "installer");
                assert_eq!(c.username, "x-access-token");
                assert_eq!(c.verdict, Judgement::Serve);
            }
            other => panic!("{other:?}"),
        }
        assert!(d.lines.is_empty());
    }

    #[test]
    fn uncovered_repositories_are_looked_up_with_the_owner_hint_for_when_nothing_is_stored() {
        let reg = reg();
        let d = decide(&q("https", "github.com", Some(b"alta3/other")), &reg);
        match (&d.route, sent(&d)) {
            (
                Route::Uncovered {
                    remote,
                    owner_covers,
                    editable,
                },
                Sent::Stored(l),
            ) => {
                assert_eq!(remote.full_name(), "alta3/other");
                assert_eq!(
                    owner_covers.as_deref(),
                    Some(&["labs".to_string(), "demo".to_string()][..])
                );
                assert_eq!(l.path.as_deref(), Some(&b"alta3/other"[..]));
                assert_eq!(editable, &["installer".to_string()]);
                assert_eq!(l.unanswered.len(), 2);
                assert!(
                    l.unanswered[1]
                        .contains("git credential-scoped edit installer --add-repo other"),
                    "{:?}",
                    l.unanswered
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_http_only_where_allowed_and_lookalikes_are_not_github() {
        let reg = reg();
        let d = decide(&q("http", "github.com", Some(b"alta3/labs")), &reg);
        assert!(matches!(d.route, Route::InsecureProtocol));
        assert!(matches!(sent(&d), Sent::Nothing));
        assert_eq!(d.lines.len(), 1);
        assert!(matches!(
            sent(&decide(
                &q("http", "127.0.0.1:8443", Some(b"alta3/labs")),
                &reg
            )),
            Sent::Token(_)
        ));
        for host in [
            "github.com.evil.test",
            "evil.test",
            "github.co",
            "api.github.com",
            "github.com:444",
        ] {
            let d = decide(&q("https", host, Some(b"alta3/labs")), &reg);
            assert!(
                matches!((&d.route, sent(&d)), (Route::NotGitHub, Sent::Stored(_))),
                "{host}"
            );
        }
    }

    #[test]
    fn without_a_path_only_a_single_default_token_answers() {
        let reg = reg();
        let d = decide(&q("https", "github.com", None), &reg);
        assert!(matches!(d.route, Route::NoPath { default: None }));
        assert!(matches!(sent(&d), Sent::Stored(_)));
        assert_eq!(d.lines.len(), 1, "the useHttpPath hint");
        let d = decide(&q("http", "127.0.0.1:8443", None), &reg);
        match sent(&d) {
            Sent::Token(c) => assert_eq!(c.token.name, "loop"),
            other => panic!("{other:?}"),
        }
        let mut two = reg.clone();
        two.tokens[1].default = true;
        two.tokens[1].host = "github.com".into();
        two.tokens[0].default = true;
        assert!(matches!(
            decide(&q("https", "github.com", None), &two).route,
            Route::NoPath { default: None }
        ));
    }

    #[test]
    fn an_expired_first_candidate_is_refused_with_quit() {
        let mut reg = reg();
        reg.tokens[0].expires = Expiry::At(NOW - 1);
        let d = decide(&q("https", "github.com", Some(b"alta3/labs")), &reg);
        match sent(&d) {
            Sent::Quit(c) => {
                assert_eq!(
                    c.verdict,
                    Judgement::Refuse(Refusal::Expired { at: NOW - 1 })
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_valid_wider_token_serves_and_the_skipped_narrow_one_is_named() {
        // Issue 12 #16: nothing was said about the narrower token passed over.
        let mut reg = reg();
        reg.tokens[0].expires = Expiry::At(NOW - 1);
        let mut wide = tok("wide", "github.com", &[], Expiry::Never);
        wide.repos = Repos::All;
        reg.tokens.push(wide);
        let d = decide(&q("https", "github.com", Some(b"alta3/labs")), &reg);
        match sent(&d) {
            Sent::Token(c) => assert_eq!(c.token.name, "wide"),
            other => panic!("{other:?}"),
        }
        assert_eq!(d.lines.len(), 1, "{:?}", d.lines);
        assert!(
            d.lines[0].contains("'installer'") && d.lines[0].contains("expired"),
            "{:?}",
            d.lines
        );
        let mut state = State::default();
        reg.tokens[0].expires = Expiry::Never;
        state.tokens.push((
            "installer".into(),
            TokenState {
                last_used: None,
                rejected: Some(Rejection {
                    at: NOW - 5,
                    repo: None,
                }),
            },
        ));
        let Ok(d) = resolve(
            &q("https", "github.com", Some(b"alta3/labs")),
            &reg,
            &state,
            NOW,
        );
        assert!(d.lines[0].contains("rejected"), "{:?}", d.lines);
    }

    #[test]
    fn non_repository_paths_and_incomplete_requests() {
        let reg = reg();
        assert!(matches!(
            decide(&q("https", "github.com", Some(b"alta3")), &reg).route,
            Route::NotARepository
        ));
        let mut none = q("https", "github.com", Some(b"alta3/labs"));
        none.host = None;
        assert!(matches!(sent(&decide(&none, &reg)), Sent::Nothing));
    }
}
