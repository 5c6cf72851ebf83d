//! URL and path → remote → token, on arbitrary bytes (SPEC §3 "GitHub hosts", §4, §9).
//!
//! `parse_url` and `owner_repo` never panic and only yield what they promise; `resolve` on a
//! small fixed registry never panics, never matches a host other than the exact one (no
//! suffix or look-alike), never hands a GitHub token over plain http unless the host allows
//! it, and only chooses a token whose owner and repositories cover the request.

#![no_main]

use git_credential_scoped::protocol::url::parse_url;
use git_credential_scoped::registry::state::{Rejection, State};
use git_credential_scoped::registry::{
    Access, Expiry, HostDecl, Registry, Repos, SecretSource, Token,
};
use git_credential_scoped::remote::{owner_repo, valid_name};
use git_credential_scoped::resolve::{resolve, Choice, Query, Route};
use git_credential_scoped::secrets::StoreKind;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fn token(name: &str, host: &str, owner: &str, repos: Repos) -> Token {
    Token {
        name: name.into(),
        host: host.into(),
        owner: owner.into(),
        repos,
        contents: Access::Read,
        other_permissions: vec![],
        expires: Expiry::At(NOW + 30 * 86_400),
        username: None,
        source: SecretSource::Store(StoreKind::File),
        default: false,
        fingerprint: None,
    }
}

fn registry() -> Registry {
    let list = |r: &[&str]| Repos::List(r.iter().map(|s| s.to_string()).collect::<Vec<_>>().into());
    let mut bob = token("bob", "github.com", "alta3", list(&["labs"]));
    bob.username = Some("bob".into());
    let mut expired = token("old", "github.com", "acme", list(&["api"]));
    expired.expires = Expiry::At(NOW - 1);
    let mut ghe = token("ghe", "ghe.example.com:8443", "alta3", Repos::All);
    ghe.default = true;
    let mut blind = token("blind", "github.com", "blind", Repos::All);
    blind.contents = Access::None;
    Registry {
        tokens: vec![
            token(
                "six",
                "github.com",
                "alta3",
                list(&["labs", "demo", "gutenberg"]),
            ),
            token("all", "github.com", "alta3", Repos::All),
            bob,
            expired,
            ghe,
            blind,
            token("rej", "github.com", "rejected", Repos::All),
        ],
        hosts: vec![HostDecl {
            name: "ghe.example.com:8443".into(),
            api: None,
            allow_http: true,
        }],
        ..Registry::default()
    }
}

fn state() -> State {
    let mut s = State::default();
    s.entry("rej").rejected = Some(Rejection {
        at: NOW - 10,
        repo: Some("rejected/x".into()),
    });
    s
}

fn is_github(host: &str) -> bool {
    host.eq_ignore_ascii_case("github.com") || host.eq_ignore_ascii_case("ghe.example.com:8443")
}

fn check_choice(reg: &Registry, q: &Query, c: &Choice) {
    let t = &c.token;
    let host = q.host.unwrap_or_default();
    assert!(
        t.host.eq_ignore_ascii_case(host),
        "{} for {:?}",
        t.name,
        q.host
    );
    let allow_http = reg.github_host(host).is_some_and(|h| h.allow_http);
    assert!(q.protocol == Some("https") || (q.protocol == Some("http") && allow_http));
    if let (Some(u), Some(tu)) = (q.username, t.username.as_deref()) {
        assert_eq!(u, tu);
    }
    if let Some(remote) = &c.remote {
        assert!(t.owner.eq_ignore_ascii_case(&remote.owner));
        assert!(t.repos.covers(&remote.repo));
        assert!(valid_name(&remote.owner) && valid_name(&remote.repo));
    } else {
        assert!(t.default && q.path.is_none());
    }
    let expected = t
        .username
        .as_deref()
        .or(q.username)
        .unwrap_or("x-access-token");
    assert_eq!(c.username, expected);
}

fn check_resolve(reg: &Registry, s: &State, q: &Query) {
    let host = q.host.unwrap_or_default();
    let Ok(decision) = resolve(q, reg, s, NOW);
    match decision.route {
        Route::Incomplete => assert!(q.host.is_none() || q.protocol.is_none()),
        Route::NotGitHub => assert!(!is_github(host), "{:?}", q.host),
        Route::InsecureProtocol => assert!(is_github(host) && q.protocol != Some("https")),
        Route::NoPath { default, .. } => {
            assert!(q.path.is_none());
            if let Some(c) = default {
                check_choice(reg, q, &c);
            }
        }
        Route::NotARepository => assert!(q.path.and_then(owner_repo).is_none()),
        Route::Chosen(c) => check_choice(reg, q, &c),
        Route::Uncovered { remote, .. } => {
            assert!(valid_name(&remote.owner) && valid_name(&remote.repo))
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let reg = registry();
    let s = state();

    if let Some((owner, repo)) = owner_repo(data) {
        assert!(valid_name(&owner) && valid_name(&repo));
    }

    if let Ok(u) = parse_url(data) {
        assert!(!u.host.is_empty());
        assert!(!u.host.bytes().any(|b| b <= 0x20 || b == 0x7f || b == b'/'));
        assert!(!u.protocol.bytes().any(|b| b.is_ascii_uppercase()));
        let q = Query {
            protocol: Some(&u.protocol),
            host: Some(&u.host),
            path: u.path.as_deref(),
            username: u.username.as_deref(),
            need_write: false,
        };
        check_resolve(&reg, &s, &q);
    }

    // The same pipeline on separate fields: protocol, host, path, username split at LF.
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let text = |p: Option<&[u8]>| p.map(|b| String::from_utf8_lossy(b).into_owned());
    let protocol = text(parts.next()).unwrap_or_default();
    let host = text(parts.next()).unwrap_or_default();
    let path = parts.next();
    let username = text(parts.next());
    for need_write in [false, true] {
        let q = Query {
            protocol: Some(&protocol),
            host: Some(&host),
            path,
            username: username.as_deref(),
            need_write,
        };
        check_resolve(&reg, &s, &q);
    }
});
