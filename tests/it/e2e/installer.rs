//! The installer scenario of SPEC §1: a fresh machine clones six private repositories of
//! `alta3` at once with one read-only token selected for exactly those six; a seventh
//! repository of the same organization is out of the token's reach. Once with the `file`
//! secret store, once with the secret in a real Secret Service (gnome-keyring on a private
//! D-Bus session), where no file on disk may hold it.

#[cfg(target_os = "linux")] // the private Secret Service is Linux's keyring
use crate::support::SecretService;
use crate::support::{assert_has, Env, Out, SIX};
use gh_test_server::{Contents, TokenSpec};

use super::{labels, pat, received, served, World};

/// The server knows the six repositories plus `alta3/other`; the token covers the six.
fn installer_world(env: Env, secret: &str) -> World {
    let mut token = TokenSpec::new("installer", secret, "alta3");
    token.repos = Some(SIX.map(String::from).to_vec());
    token.contents = Contents::Read;
    let mut repos: Vec<(&str, &str)> = SIX.iter().map(|r| ("alta3", *r)).collect();
    repos.push(("alta3", "other"));
    let world = World::start(env, vec![token], &repos);
    world.add(
        "installer",
        &[
            "--owner",
            "alta3",
            "--repo",
            &SIX.join(","),
            "--permission",
            "contents=read",
            "--expires-in",
            "90d",
        ],
        secret,
    );
    world
}

/// Six `git clone`s started together, each from its own thread, as an installer might.
fn clone_six_in_parallel(world: &World) {
    let outs: Vec<(&str, Out)> = std::thread::scope(|s| {
        let handles: Vec<_> = SIX
            .iter()
            .map(|repo| s.spawn(move || (*repo, world.clone(&world.url("alta3", repo), repo))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("clone thread"))
            .collect()
    });
    for (repo, out) in &outs {
        assert_eq!(out.status, 0, "clone of alta3/{repo}:\n{}", out.stderr);
        // A valid token far from expiry: the helper says nothing at all.
        assert_eq!(out.stderr, "", "clone of alta3/{repo}");
        let readme = std::fs::read_to_string(world.dest(repo).join("README.md")).unwrap();
        assert!(readme.starts_with(&format!("# alta3/{repo}\n")), "{readme}");
    }
    let log = world.server.log();
    for repo in SIX {
        assert!(
            served(&log, "installer", "alta3", repo),
            "alta3/{repo}: {log:?}"
        );
    }
    assert_eq!(labels(&log), ["installer"]);
    // git's `store` after each success reached the helper, which recorded the use.
    let show = world.helper(&["show", "installer", "--json"]);
    assert!(
        show.ok().stdout.contains("\"last_used\":\"20"),
        "{}",
        show.stdout
    );
    assert_eq!(world.state_of("installer"), "ok");
}

/// `alta3/other` exists, but the token does not cover it: the helper hands git nothing and
/// says which repositories its tokens for alta3 do cover (SPEC §4: "no candidate: print
/// nothing, git moves on to its prompt"). The server, like GitHub for a private repository,
/// answers the anonymous request with 401, so git's error is the one for a missing
/// credential; with prompts off (an installer script) it gives up at once.
fn the_seventh_repository_is_not_covered(world: &World) {
    let before = world.server.log().len();
    let out = world.clone(&world.url("alta3", "other"), "other");
    assert_ne!(out.status, 0, "{}", out.stderr);
    assert_has(&out.stderr, "git-credential-scoped: no token covers alta3/other; tokens for alta3 cover: labs, alta3-ansible, enchilada, infrastructure, demo, gutenberg\n");
    // git's own failure: with no credential and terminal prompts disabled it cannot go on.
    assert_has(
        &out.stderr,
        &format!(
            "fatal: could not read Username for '{}': terminal prompts disabled",
            world.url("alta3", "other")
        ),
    );
    assert!(!world.dest("other").join("README.md").exists());
    // The token was never offered for a repository outside its scope.
    let log = world.server.log();
    assert!(received(&log[before..], "installer").is_empty(), "{log:?}");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn installer_clones_six_repositories_in_parallel_with_one_read_only_token() {
    let secret = pat("INSTALLER");
    let world = installer_world(Env::new(), &secret);
    clone_six_in_parallel(&world);
    the_seventh_repository_is_not_covered(&world);
}

// The private Secret Service (D-Bus) is Linux's keyring.
#[cfg(target_os = "linux")]
#[test]
fn installer_scenario_with_the_token_in_the_keyring_leaves_it_in_no_file() {
    let ss = SecretService::start();
    let mut env = Env::new();
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    let secret = pat("KEYRINGINSTALLER");
    let world = installer_world(env, &secret);
    clone_six_in_parallel(&world);
    the_seventh_repository_is_not_covered(&world);
    // Registry, state, gitconfig, the six clones and the server's files: none holds it.
    let files = world.env.all_files();
    assert!(files.len() > 50, "walked only {} files", files.len());
    for (path, content) in files {
        assert!(
            !String::from_utf8_lossy(&content).contains(&secret),
            "{}",
            path.display()
        );
    }
    assert!(!world.env.data_dir().join("secrets").exists());
}
