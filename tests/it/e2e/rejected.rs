//! A token revoked on the server: the server answers 401, git calls `erase`, and the helper
//! marks the token rejected instead of deleting it (GitHub shows a token only once). From
//! then on the helper refuses it before git sends anything, until `unreject` (the user says
//! "try it again") or `rotate` (a new secret for the same scope) clears the mark.

use crate::support::{assert_has, Env};
use gh_test_server::{Contents, TokenSpec};

use super::{labels, pat, received, served, World};

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_revoked_token_is_marked_rejected_refused_without_reaching_the_server_and_rotated_back() {
    let (old, new) = (pat("REVOKED"), pat("ROTATED"));
    // The server knows the old secret and, as a separate token, the one that replaces it.
    let mut first = TokenSpec::new("ci", &old, "alta3");
    first.repos = Some(vec!["labs".into(), "demo".into()]);
    let mut second = TokenSpec::new("ci-rotated", &new, "alta3");
    second.repos = first.repos.clone();
    second.contents = Contents::Read;
    let world = World::start(
        Env::new(),
        vec![first, second],
        &[("alta3", "labs"), ("alta3", "demo")],
    );
    world.add(
        "ci",
        &[
            "--owner",
            "alta3",
            "--repo",
            "labs,demo",
            "--expires-in",
            "90d",
        ],
        &old,
    );
    let labs = world.url("alta3", "labs");

    // It works, then it is revoked on the server.
    world.clone(&labs, "labs-1").ok();
    world.server.revoke("ci");

    // 1. The server turns it away; git erases; the helper keeps it, marked.
    let out = world.clone(&labs, "labs-2");
    assert_ne!(out.status, 0);
    assert_has(
        &out.stderr,
        &format!("fatal: Authentication failed for '{labs}/'"),
    );
    assert_has(
        &out.stderr,
        "git-credential-scoped: the server rejected token 'ci' for alta3/labs; it is kept",
    );
    // Issue 24 #9: the command that clears the mark, with the URL it needs, run as printed.
    let fix = out
        .stderr
        .lines()
        .find_map(|l| {
            l.split_once("refused until it works again: ")
                .map(|(_, c)| c)
        })
        .expect("the check --online command");
    assert!(fix.ends_with("/alta3/labs"), "{fix}");
    let args: Vec<&str> = fix.split(' ').skip(2).collect();
    let mut c = world.env.command(crate::support::BIN);
    c.args(&args)
        .env("GIT_SSL_CAINFO", world.server.ca_cert_path());
    let asked = crate::support::run_with_stdin(c, b"");
    // Still revoked: the server says so again (not a usage error), and the mark stays.
    assert_eq!(asked.status, 1, "{}{}", asked.stdout, asked.stderr);
    assert_has(&asked.stderr, "token rejected (401)");
    assert!(
        received(&world.server.log(), "ci")
            .iter()
            .any(|e| e.status == 401),
        "{:?}",
        world.server.log()
    );
    assert_eq!(world.state_of("ci"), "rejected");

    // 2. Another clone (another repository of its scope, too) is refused by the helper: the
    //    server never sees the token again.
    let before = world.server.log().len();
    for (repo, name) in [("labs", "labs-3"), ("demo", "demo-3")] {
        let out = world.clone(&world.url("alta3", repo), name);
        assert_ne!(out.status, 0);
        // Issue 24 #15: the repository it was rejected for is named where it differs.
        let on = if repo == "labs" {
            ""
        } else {
            " for alta3/labs"
        };
        assert_has(&out.stderr, &format!(
                "git-credential-scoped: refused to send token 'ci' for alta3/{repo} on {}: rejected by the server{on} today (revoked or expired?)\n",
                world.server.host()
            ));
        assert_has(&out.stderr, "git credential-scoped unreject ci");
        assert_has(&out.stderr, "credential helper 'scoped' told us to quit");
    }
    let log = world.server.log();
    assert!(labels(&log[before..]).is_empty(), "{:?}", &log[before..]);

    // 3. Still registered: `list` shows it, rejected; nothing was deleted.
    assert_eq!(world.state_of("ci"), "rejected");
    world.helper(&["show", "ci"]).ok();

    // 4. `unreject` puts it back in use: git sends it again (and the server, which still
    //    has it revoked, rejects it again, so the mark comes back).
    let out = world.helper(&["unreject", "ci"]);
    assert!(
        out.ok().stdout.contains("cleared the rejected mark"),
        "{}",
        out.stdout
    );
    assert_eq!(world.state_of("ci"), "ok");
    let before = world.server.log().len();
    assert_ne!(world.clone(&labs, "labs-4").status, 0);
    let log = world.server.log();
    assert!(!received(&log[before..], "ci").is_empty(), "{log:?}");
    assert_eq!(world.state_of("ci"), "rejected");

    // 5. `rotate` with a fresh, valid secret clears the mark and the next clone succeeds.
    world
        .env
        .run(
            &["rotate", "ci", "--expires-in", "90d"],
            format!("{new}\n").as_bytes(),
        )
        .ok();
    assert_eq!(world.state_of("ci"), "ok");
    let before = world.server.log().len();
    let out = world.clone(&labs, "labs-5");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(world.dest("labs-5").join("README.md").is_file());
    let log = world.server.log();
    assert!(served(&log[before..], "ci-rotated", "alta3", "labs"));
    assert_eq!(labels(&log[before..]), ["ci-rotated"]);
}
