//! GitHub's own reasons (issue 23) and a hostile or moved server (issue 22 #6, #7), driven
//! through real `git` and the online checks against gh-test-server, which answers with
//! GitHub's message texts: an owner's lifetime limit, approval pending, classic tokens
//! banned, an IP allow list, rate limiting, a renamed repository (301), and a server echoing
//! the token into the headers a client reads. What the checks learn (a lifetime limit, an
//! approval pending) then changes `list`, `check` and `get` offline.

use crate::support::{assert_has, assert_lacks, Env, Out, NOW};
use gh_test_server::{Contents, OwnerPolicy, TokenSpec};

use super::{labels, pat, World};

/// A world at the tests' fixed clock whose helper trusts the server, with the token `t`
/// for `alta3/labs` and `alta3/demo` registered as `add_args` say.
fn world(spec: TokenSpec, add_args: &[&str]) -> World {
    world_of(vec![spec], add_args)
}

/// [`world`] with more tokens known to the server; the first is registered as `t`.
fn world_of(specs: Vec<TokenSpec>, add_args: &[&str]) -> World {
    let secret = specs[0].secret.clone();
    let mut w = World::start(
        Env::new().at(NOW),
        specs,
        &[("alta3", "labs"), ("alta3", "demo")],
    );
    let ca = w.server.ca_cert_path().to_str().unwrap().to_string();
    w.env.set("GIT_SSL_CAINFO", &ca);
    let mut args = vec!["--owner", "alta3", "--repo", "labs,demo"];
    args.extend_from_slice(add_args);
    w.add("t", &args, &secret);
    w
}

fn spec(tag: &str) -> TokenSpec {
    let mut t = TokenSpec::new("t", &pat(tag), "alta3");
    t.repos = Some(vec!["labs".into(), "demo".into()]);
    t.expiration_header = Some("2027-03-01 12:00:00 UTC".into());
    t
}

/// `check --online` for `alta3/REPO`, asserting the secret never shows.
fn check_online(w: &World, repo: &str, secret: &str) -> Out {
    let url = format!("https://{}/alta3/{repo}", w.server.host());
    let out = w.helper(&["check", "--online", &url]);
    assert_lacks(&out.stdout, secret);
    assert_lacks(&out.stderr, secret);
    out
}

fn config(w: &World) -> String {
    std::fs::read_to_string(w.env.config_path()).unwrap()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_renamed_repository_is_asked_again_with_the_token_and_reported_with_the_fix() {
    let w = world(spec("RENAMED"), &["--expires-in", "30d"]);
    assert!(w.clone(&w.url("alta3", "labs"), "labs").status == 0);
    w.server
        .rename_repo("alta3", "labs", "alta3", "labs2")
        .unwrap();
    // Public after the move: an anonymous request would get a 200 without an expiry header.
    w.server.make_public("alta3", "labs2");
    let out = check_online(&w, "labs", &pat("RENAMED"));
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "renamed");
    assert_has(
        &out.stderr,
        "alta3/labs was renamed or transferred: the server now calls it alta3/labs2 (301)",
    );
    let set_url = format!(
        "git remote set-url origin https://{}/alta3/labs2.git",
        w.server.host()
    );
    assert_has(&out.stderr, &set_url);
    assert_has(&out.stderr, "git credential-scoped edit t --add-repo labs2");
    // The redirect was followed within the API's origin, with the token; the expiry recorded
    // is the one the server told the token, never "never" from an anonymous answer.
    let log = w.server.log();
    assert!(
        log.iter().any(|e| e.path == "/api/v3/repos/alta3/labs2"
            && e.token.as_deref() == Some("t")
            && e.status == 200),
        "{log:?}"
    );
    assert_lacks(&config(&w), "never");
    assert_has(&config(&w), "expires = \"2027-03-01T12:00:00Z\"");
    // The printed fix, run: the clone fetches again.
    let set = set_url.trim_start_matches("git ");
    let set: Vec<&str> = set.split(' ').collect();
    w.git_in("labs", &set).ok();
    w.helper(&["edit", "t", "--add-repo", "labs2"]).ok();
    let fetch = w.git_in("labs", &["fetch", "-q"]);
    assert_eq!(fetch.status, 0, "{}", fetch.stderr);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_server_echoing_the_token_into_its_headers_never_gets_it_printed() {
    let secret = pat("ECHO");
    let mut s = spec("ECHO");
    s.contents = Contents::None;
    let w = world(s, &["--expires-in", "30d"]);
    w.server.echo_authorization();
    let out = check_online(&w, "labs", &secret);
    assert_has(
        &out.stderr,
        "the server's expiration header could not be read",
    );
    assert_has(&out.stderr, "a header that could not be read");
    // add --verify and rotate --verify read the same headers.
    let host = w.server.host();
    let add = w.env.add(
        &[
            "u", "--host", &host, "--owner", "alta3", "--repo", "labs", "--verify", "--force",
        ],
        &secret,
    );
    for text in [&add.stdout, &add.stderr] {
        assert_lacks(text, &secret);
        assert_lacks(text, "Bearer");
    }
    assert_has(&add.stderr, "expiration header could not be read");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_lifetime_limit_is_named_with_the_fix_and_then_refused_offline_before_git_sends_it() {
    let secret = pat("LIFETIME");
    let mut s = spec("LIFETIME");
    s.lifetime_days = None;
    s.expiration_header = None;
    let mut short = TokenSpec::new("t90", &pat("SHORT"), "alta3");
    short.expiration_header = Some("2027-04-15 00:00:00 UTC".into());
    let w = world_of(vec![s, short], &["--no-expiry"]);
    // A second token of 120 days, which the server is never asked about.
    w.add(
        "u",
        &[
            "--owner",
            "alta3",
            "--repo",
            "other",
            "--expires-in",
            "120d",
        ],
        &pat("LONGER"),
    );
    w.server.set_owner_policy(
        "alta3",
        OwnerPolicy {
            max_lifetime_days: Some(90),
            ..OwnerPolicy::default()
        },
    );
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "refused");
    assert_has(&out.stderr, "refused to send token 't' for alta3/labs");
    assert_has(&out.stderr, "the 'alta3' organization refuses fine-grained tokens living longer than 90 days for alta3's repositories, and this token does (GitHub said so on 2027-01-15)");
    assert_has(&out.stderr, "online: refused (403)");
    assert_has(
        &out.stderr,
        "https://github.com/settings/personal-access-tokens/12885303",
    );
    assert_has(&out.stderr, "expires_in=90");
    assert_has(
        &out.stderr,
        "git credential-scoped rotate t --expires-in 90d",
    );

    // Learned, with its date: list, check and get refuse it offline.
    let list = w.helper(&["list"]);
    let row = |name: &str| {
        list.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_default()
            .to_string()
    };
    assert_has(&row("t"), "over-lifetime");
    // Known from its expiry minus the day it was added: 120 days > 90.
    assert_has(&row("u"), "over-lifetime");
    let offline = w.helper(&["check", "--json", &w.url("alta3", "demo")]);
    assert_has(&offline.stdout, r#""verdict":"over-lifetime""#);
    let before = w.server.log().len();
    let clone = w.clone(&w.url("alta3", "demo"), "demo");
    assert_ne!(clone.status, 0);
    assert_has(&clone.stderr, "refused to send token 't' for alta3/demo");
    assert_has(
        &clone.stderr,
        "longer than 90 days for alta3's repositories",
    );
    assert!(
        labels(&w.server.log()[before..]).is_empty(),
        "the token was sent"
    );
    // A token of no expiry for that owner is refused at add, before its secret is asked.
    let host = w.server.host();
    let again = w.env.add(
        &[
            "v",
            "--host",
            &host,
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--no-expiry",
        ],
        &secret,
    );
    assert_ne!(again.status, 0);
    assert_has(&again.stderr, "then add it with --expires-in 90d");

    // The printed fix: a token of 90 days, rotated in; git clones with it.
    let rotate = w.env.run(
        &["rotate", "t", "--expires-in", "90d"],
        format!("{}\n", pat("SHORT")).as_bytes(),
    );
    assert_eq!(rotate.status, 0, "{}", rotate.stderr);
    let after = w.helper(&["list"]).stdout;
    let t_row = after
        .lines()
        .find(|l| l.trim_start().starts_with("t "))
        .unwrap();
    assert_lacks(t_row, "over-lifetime");
    let clone = w.clone(&w.url("alta3", "demo"), "demo");
    assert_eq!(clone.status, 0, "{}", clone.stderr);
    assert!(labels(&w.server.log()).contains(&"t90".to_string()));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn approval_pending_is_named_kept_and_cleared_once_an_owner_approves() {
    let secret = pat("PENDING");
    let mut s = spec("PENDING");
    s.approved = false;
    let w = world(s, &["--expires-in", "30d"]);
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "pending");
    assert_has(&out.stderr, "token 't' is accepted but sees none of its selected repositories of alta3 (404 for alta3/labs): most likely an owner of alta3 has not approved it yet");
    assert_has(
        &out.stderr,
        "Settings, Personal access tokens, Pending requests",
    );
    // Kept: list, check and get say so offline.
    let note = "token 't' was waiting for an owner's approval on 2027-01-15";
    assert_has(&w.helper(&["list"]).stdout, note);
    assert_has(&w.helper(&["check", &w.url("alta3", "labs")]).stderr, note);
    assert_has(&w.env.fill(&w.url("alta3", "demo")).stderr, note);
    // An owner approves; the next check sees the repositories and the note goes.
    w.server.approve("t");
    let ok = check_online(&w, "labs", &secret);
    assert_eq!(ok.status, 0, "{}{}", ok.stdout, ok.stderr);
    assert_lacks(&w.helper(&["list"]).stdout, "approval");
    assert_eq!(w.clone(&w.url("alta3", "labs"), "labs").status, 0);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn classic_bans_ip_allow_lists_and_rate_limits_are_named_with_their_fix() {
    let secret = pat("CLASSIC");
    let mut s = spec("CLASSIC");
    s.classic = true;
    let w = world(s, &["--expires-in", "30d"]);
    let policy = |p: OwnerPolicy| w.server.set_owner_policy("alta3", p);
    policy(OwnerPolicy {
        classic_banned: true,
        ..OwnerPolicy::default()
    });
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1);
    assert_has(&out.stdout, "forbidden");
    assert_has(
        &out.stderr,
        "alta3 forbids personal access tokens (classic), and GitHub took token 't' for one (403)",
    );
    assert_has(&out.stderr, "hint: create a fine-grained token at https://");

    policy(OwnerPolicy {
        ip_allow_list: true,
        ..OwnerPolicy::default()
    });
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1);
    assert_has(
        &out.stderr,
        "alta3 has an IP allow list, and this machine's address 127.0.0.1 is not on it (403)",
    );
    assert_has(&out.stderr, "to add 127.0.0.1 under the organization's Settings, Authentication security, IP allow list");
    // git meets the same refusal.
    let clone = w.clone(&w.url("alta3", "labs"), "labs");
    assert_ne!(clone.status, 0);

    policy(OwnerPolicy::default());
    let limited = rate_limited_world();
    let out = check_online(&limited, "labs", &pat("RATE"));
    assert_eq!(out.status, 1);
    assert_has(&out.stdout, "unverified");
    assert_has(
        &out.stderr,
        "the server is rate limiting requests (nothing is known about token 't' from this answer)",
    );
    assert_has(
        &out.stderr,
        "hint: try again in 2 minutes: git credential-scoped check --online",
    );
    // Never a verdict about the token: not marked, nothing learned.
    let list = limited.helper(&["list"]);
    assert_lacks(&list.stdout, "rejected");
    assert!(
        !limited.env.data_dir().join("learned").exists() || {
            let l = std::fs::read_to_string(limited.env.data_dir().join("learned")).unwrap();
            !l.contains("limit") && !l.contains("pending")
        }
    );
}

fn rate_limited_world() -> World {
    let mut s = spec("RATE");
    s.rate_limited = Some(120);
    world(s, &["--expires-in", "30d"])
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn check_all_online_asks_the_server_and_fails_on_any_refusal() {
    let mut s = spec("ALL");
    s.approved = false;
    let w = world(s, &["--expires-in", "30d"]);
    let offline = w.helper(&["check", "--all"]);
    assert_eq!(offline.status, 0, "{}{}", offline.stdout, offline.stderr);
    let out = w.helper(&["check", "--all", "--online"]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "approval-pending");
    assert_has(&out.stderr, "has not approved it yet");
    w.server.approve("t");
    let ok = w.helper(&["check", "--all", "--online"]);
    assert_eq!(ok.status, 0, "{}{}", ok.stdout, ok.stderr);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn on_expired_warn_lets_git_clone_with_the_expired_token() {
    // Expired by the real clock too: git itself drops a credential whose
    // password_expiry_utc is past by its own clock (git 2.41+: "could not read Password").
    let w = world(spec("WARN"), &["--expires", "2020-01-01"]);
    let text = config(&w);
    w.env
        .write_config(&format!("{text}\n[settings]\non_expired = \"warn\"\n"));
    let out = w.clone(&w.url("alta3", "labs"), "labs");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_has(&out.stderr, "sending it anyway (on_expired = \"warn\")");
    assert!(w.dest("labs").join("README.md").exists());
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn add_verify_names_the_lifetime_limit_and_saves_nothing() {
    let mut s = spec("VERIFY");
    s.lifetime_days = Some(200);
    let w = world_of(vec![s], &["--expires-in", "30d"]);
    w.server.set_owner_policy(
        "alta3",
        OwnerPolicy {
            max_lifetime_days: Some(120),
            enterprise: Some("HHS ONC".into()),
            ..OwnerPolicy::default()
        },
    );
    let host = w.server.host();
    let out = w.env.add(
        &[
            "v",
            "--host",
            &host,
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "200d",
            "--verify",
        ],
        &pat("VERIFY"),
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(&out.stderr, "the 'HHS ONC' enterprise refuses token 'v' (403): its lifetime is longer than the 120 days it allows for fine-grained tokens");
    assert_has(
        &out.stderr,
        "its page is https://github.com/settings/personal-access-tokens/12885303",
    );
    assert_has(&out.stderr, "nothing was saved");
    assert_lacks(&config(&w), "name = \"v\"");
    // Learned: the next add of a token too long for alta3 is refused offline.
    let again = w.env.add(
        &[
            "v",
            "--host",
            &host,
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "200d",
        ],
        &pat("VERIFY"),
    );
    assert_ne!(again.status, 0);
    assert_has(
        &again.stderr,
        "the 'HHS ONC' enterprise refuses fine-grained tokens living longer than 120 days",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_redirect_to_another_origin_is_not_followed_and_records_nothing() {
    let secret = pat("AWAY");
    let w = world(spec("AWAY"), &["--expires-in", "30d"]);
    let before = config(&w);
    // Another server, which must never hear of the token.
    let elsewhere_root = tempfile::tempdir().unwrap();
    let elsewhere = gh_test_server::TestServer::start(elsewhere_root.path(), vec![]).unwrap();
    elsewhere.create_repo("alta3", "labs").unwrap();
    elsewhere.make_public("alta3", "labs");
    let away = format!("{}/repos/alta3/labs", elsewhere.api_base());
    w.server.redirect_away("alta3", "labs", &away);
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "unverified");
    assert_has(&out.stderr, "the server redirected the question about alta3/labs to another host; the token was not sent there");
    assert!(elsewhere.log().is_empty(), "{:?}", elsewhere.log());
    assert_eq!(
        config(&w),
        before,
        "nothing recorded from an answer without the token"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_unknown_403_is_shown_escaped_on_one_line_without_the_token() {
    let secret = pat("OTHER");
    let w = world(spec("OTHER"), &["--expires-in", "30d"]);
    w.server.set_owner_policy(
        "alta3",
        OwnerPolicy {
            other_403: Some(format!("Odd\n\x1b[31mpolicy for {secret}\u{202e}")),
            ..OwnerPolicy::default()
        },
    );
    let out = check_online(&w, "labs", &secret);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(
        &out.stderr,
        "the server refused token 't' for alta3/labs (403): Odd\\x0a\\x1b[31mpolicy for <the token>\\xe2\\x80\\xae",
    );
    assert_lacks(&out.stderr, "\x1b[31m");
}
