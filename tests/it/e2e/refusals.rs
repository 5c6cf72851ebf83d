//! Tokens the helper refuses before git sends them: expired, and without `contents`. git must
//! stop at once (the helper answers `quit=1`) with the helper's explanation, and the server
//! must never see the token — only git's first, anonymous request.

use crate::support::{assert_has, assert_lacks, Env};
use std::time::Duration;

use gh_test_server::{Contents, TokenSpec};

use super::{labels, pat, World};

/// Clones `alta3/labs` with the only registered token `label`, which the helper must refuse
/// with `reason`, followed by a hint starting with `hint` and the token-creation link.
fn refused_before_sending(world: &World, label: &str, reason: &str, hint: &str) {
    let (out, took) = world.timed_clone(&world.url("alta3", "labs"), "labs");
    assert_ne!(out.status, 0, "{}", out.stderr);
    // The figure is "within a second"; quiet runs measure 0.15-0.25 s. The bound
    // leaves room for a loaded 2-core CI machine running the other tests in parallel, while
    // still failing on any prompt or network timeout (those take 10 s and more).
    eprintln!("refused clone took {took:?}");
    assert!(took < Duration::from_secs(2), "git took {took:?}");
    let what = format!(
        "git-credential-scoped: refused to send token '{label}' for alta3/labs on {}: {reason}",
        world.server.host()
    );
    assert_has(&out.stderr, &what);
    let hint = format!(
        "git-credential-scoped: hint: {hint} https://{}/settings/personal-access-tokens/new?",
        world.server.host()
    );
    assert_has(&out.stderr, &hint);
    assert_has(
        &out.stderr,
        &format!("git credential-scoped rotate {label}"),
    );
    // git stopped because the helper said so, not at a prompt.
    assert_has(&out.stderr, "credential helper 'scoped' told us to quit");
    assert_lacks(&out.stderr, "Username for");
    assert!(!world.dest("labs").join("README.md").exists());

    let log = world.server.log();
    assert!(!log.is_empty(), "git never reached the server");
    assert!(labels(&log).is_empty(), "a token was sent: {log:?}");
    assert!(log.iter().all(|e| e.status == 401), "{log:?}");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_expired_token_stops_git_at_once_and_never_reaches_the_server() {
    let secret = pat("EXPIRED");
    let mut token = TokenSpec::new("old", &secret, "alta3");
    token.expired = true;
    let world = World::start(Env::new(), vec![token], &[("alta3", "labs")]);
    world.add(
        "old",
        &[
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires",
            "2020-01-01",
        ],
        &secret,
    );
    assert_eq!(world.state_of("old"), "expired");
    refused_before_sending(
        &world,
        "old",
        "it expired 2020-01-01 (",
        "create a new token at",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_token_without_contents_stops_git_at_once_and_never_reaches_the_server() {
    let secret = pat("METAONLY");
    let mut token = TokenSpec::new("meta", &secret, "alta3");
    token.contents = Contents::None;
    let world = World::start(Env::new(), vec![token], &[("alta3", "labs")]);
    world.add(
        "meta",
        &[
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--permission",
            "contents=none",
            "--expires-in",
            "90d",
        ],
        &secret,
    );
    assert_eq!(world.state_of("meta"), "no-contents");
    refused_before_sending(
        &world,
        "meta",
        "it has no 'contents' permission, so it can neither clone nor fetch",
        "if the token has contents on GitHub, run: git credential-scoped edit meta --permission contents=read; otherwise create a token with contents=read at",
    );
}
