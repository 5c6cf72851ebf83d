//! Routing by repository: one token per organization, each sent only to its own
//! organization's repositories (even when the repository names are the same); and the spellings
//! of one repository that git produces — Git LFS's `owner/repo.git/info/lfs`, a remote
//! without `.git`, another letter case — all reach the same token.

use gh_test_server::TokenSpec;

use super::{labels, pat, received, served, World};
use crate::support::Env;

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn two_organizations_two_tokens_each_clone_and_fetch_uses_its_own() {
    let (alta3, acme) = (pat("ALTA3ORG"), pat("ACMEORG"));
    let world = World::start(
        Env::new(),
        vec![
            TokenSpec::new("alta3-ci", &alta3, "alta3"),
            TokenSpec::new("acme-ci", &acme, "acme"),
        ],
        &[("alta3", "labs"), ("acme", "labs"), ("acme", "site")],
    );
    world.add(
        "alta3-ci",
        &["--owner", "alta3", "--all-repos", "--expires-in", "30d"],
        &alta3,
    );
    world.add(
        "acme-ci",
        &["--owner", "acme", "--all-repos", "--expires-in", "30d"],
        &acme,
    );

    for (owner, repo) in [("alta3", "labs"), ("acme", "labs"), ("acme", "site")] {
        let name = format!("{owner}-{repo}");
        world.clone(&world.url(owner, repo), &name).ok();
        let readme = std::fs::read_to_string(world.dest(&name).join("README.md")).unwrap();
        assert!(
            readme.starts_with(&format!("# {owner}/{repo}\n")),
            "{readme}"
        );
    }
    let log = world.server.log();
    assert!(served(&log, "alta3-ci", "alta3", "labs"), "{log:?}");
    assert!(served(&log, "acme-ci", "acme", "labs"), "{log:?}");
    assert!(served(&log, "acme-ci", "acme", "site"), "{log:?}");
    // Neither token ever went to the other organization, and nothing was ever refused.
    for e in &log {
        let path = e.path.to_ascii_lowercase();
        match e.token.as_deref() {
            Some("alta3-ci") => assert!(path.starts_with("/alta3/"), "{e:?}"),
            Some("acme-ci") => assert!(path.starts_with("/acme/"), "{e:?}"),
            None => assert_eq!(e.status, 401, "{e:?}"),
            Some(other) => panic!("unexpected token {other}: {e:?}"),
        }
        assert!(e.status == 200 || e.token.is_none(), "{e:?}");
    }

    // A fetch from an existing clone asks again, and again gets the organization's token.
    let before = log.len();
    world.git_in("acme-labs", &["fetch", "--quiet"]).ok();
    let log = world.server.log();
    assert!(served(&log[before..], "acme-ci", "acme", "labs"), "{log:?}");
    assert_eq!(labels(&log[before..]), ["acme-ci"]);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn lfs_paths_and_remotes_without_dot_git_map_to_the_same_token() {
    let secret = pat("LABSONLY");
    let mut token = TokenSpec::new("labs-only", &secret, "alta3");
    token.repos = Some(vec!["labs".into()]);
    let world = World::start(Env::new(), vec![token], &[("alta3", "labs")]);
    world.add(
        "labs-only",
        &["--owner", "alta3", "--repo", "labs", "--expires-in", "90d"],
        &secret,
    );
    let host = world.server.host();

    // What git asks when Git LFS needs credentials for its batch endpoint: `git credential
    // fill` with the LFS URL, under the user's gitconfig (useHttpPath from there).
    let fill = world.git_with_input(
        &["credential", "fill"],
        format!("url=https://{host}/alta3/labs.git/info/lfs\n\n").as_bytes(),
    );
    let expected = format!(
        "protocol=https\nhost={host}\npath=alta3/labs.git/info/lfs\nusername=x-access-token\npassword={secret}\n"
    );
    assert!(fill.ok().stdout.starts_with(&expected), "{}", fill.stdout);
    assert!(fill.stdout.contains("\npassword_expiry_utc="));
    assert_eq!(fill.stderr, "");

    // Remotes as people paste them: no `.git`, and another letter case.
    for (name, url) in [
        ("plain", format!("https://{host}/alta3/labs")),
        ("cased", format!("https://{host}/Alta3/Labs")),
    ] {
        let out = world.clone(&url, name);
        assert_eq!(out.status, 0, "{url}:\n{}", out.stderr);
        assert_eq!(out.stderr, "", "{url}");
        assert!(world.dest(name).join("README.md").is_file(), "{url}");
    }
    let log = world.server.log();
    assert!(
        log.iter()
            .any(|e| e.path.starts_with("/alta3/labs/info/refs")
                && e.token.as_deref() == Some("labs-only")
                && e.status == 200),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.path.starts_with("/Alta3/Labs/info/refs")
                && e.token.as_deref() == Some("labs-only")
                && e.status == 200),
        "{log:?}"
    );
    assert_eq!(labels(&log), ["labs-only"]);
    assert!(received(&log, "labs-only").iter().all(|e| e.status == 200));
}
