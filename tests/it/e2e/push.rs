//! Pushing: a token with `contents: write` pushes; one with `contents: read` clones the same
//! way but its push is refused by the server with GitHub's 403, and nothing lands.

use gh_test_server::{Contents, TokenSpec};

use super::{pat, received, World};
use crate::support::Env;

/// Clones `alta3/REPO`, commits one file, pushes; returns the push's result.
fn commit_and_push(world: &World, repo: &str) -> crate::support::Out {
    world.clone(&world.url("alta3", repo), repo).ok();
    std::fs::write(world.dest(repo).join("CHANGE.md"), "pushed by e2e\n").unwrap();
    world.git_in(repo, &["add", "CHANGE.md"]).ok();
    world
        .git_in(repo, &["commit", "--quiet", "-m", "e2e change"])
        .ok();
    world.git_in(repo, &["push", "--quiet", "origin", "main"])
}

/// The commit the server's `main` points to.
fn server_head(world: &World, repo: &str) -> String {
    let out = world.git(&["ls-remote", &world.url("alta3", repo), "refs/heads/main"]);
    out.ok()
        .stdout
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn local_head(world: &World, repo: &str) -> String {
    world
        .git_in(repo, &["rev-parse", "HEAD"])
        .ok()
        .stdout
        .trim()
        .to_string()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn push_with_a_read_write_token_succeeds_and_with_a_read_only_token_fails_with_403() {
    let (rw, ro) = (pat("WRITER"), pat("READER"));
    let mut writer = TokenSpec::new("writer", &rw, "alta3");
    writer.repos = Some(vec!["labs".into()]);
    writer.contents = Contents::Write;
    let mut reader = TokenSpec::new("reader", &ro, "alta3");
    reader.repos = Some(vec!["demo".into()]);
    reader.contents = Contents::Read;
    let world = World::start(
        Env::new(),
        vec![writer, reader],
        &[("alta3", "labs"), ("alta3", "demo")],
    );
    world.add(
        "writer",
        &[
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--permission",
            "contents=write",
            "--expires-in",
            "90d",
        ],
        &rw,
    );
    world.add(
        "reader",
        &[
            "--owner",
            "alta3",
            "--repo",
            "demo",
            "--permission",
            "contents=read",
            "--expires-in",
            "90d",
        ],
        &ro,
    );

    let pushed = commit_and_push(&world, "labs");
    assert_eq!(pushed.status, 0, "{}", pushed.stderr);
    assert_eq!(server_head(&world, "labs"), local_head(&world, "labs"));
    let log = world.server.log();
    assert!(
        received(&log, "writer")
            .iter()
            .any(|e| e.path == "/alta3/labs.git/git-receive-pack" && e.status == 200),
        "{log:?}"
    );

    let before = server_head(&world, "demo");
    let refused = commit_and_push(&world, "demo");
    assert_ne!(refused.status, 0);
    assert!(
        refused
            .stderr
            .contains("Permission to alta3/demo.git denied to x-access-token."),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("The requested URL returned error: 403"),
        "{}",
        refused.stderr
    );
    assert_eq!(server_head(&world, "demo"), before);
    assert_ne!(local_head(&world, "demo"), before);
    // The read-only token was sent (the helper cannot tell a push from a fetch) and turned
    // away by the server; a 403 is not a rejection of the token, which stays usable.
    let log = world.server.log();
    assert!(
        received(&log, "reader").iter().any(|e| e.status == 403),
        "{log:?}"
    );
    assert_eq!(world.state_of("reader"), "ok");
}
