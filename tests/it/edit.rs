//! `edit NAME`: the registry follows a token changed on GitHub — repositories, permissions,
//! expiry, the host's default — without a new secret: the secret store is untouched, the
//! user's comments in config.toml survive, `get` decides with the change at once, and a bad
//! edit changes nothing.

use crate::support::{assert_has, Env, NOW};

const SECRET: &str =
    "github_pat_11EDIT000000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

fn env() -> Env {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            "labs,demo",
            "--expires-in",
            "90d",
        ],
        SECRET,
    )
    .ok();
    env
}

fn get(env: &Env, repo: &str) -> crate::support::Out {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={repo}\n\n").as_bytes(),
    )
}

fn config(env: &Env) -> String {
    std::fs::read_to_string(env.config_path()).unwrap()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn add_repo_lets_get_send_the_token_there_without_a_new_secret() {
    let env = env();
    let secrets = env.stored_secrets();
    let before = get(&env, "alta3/zzz");
    assert!(!before.stdout.contains("password="));
    assert_has(
        &before.stderr,
        "run: git credential-scoped edit alta3 --add-repo zzz",
    );

    let out = env.run(&["edit", "alta3", "--add-repo", "zzz"], b"");
    out.ok();
    assert_has(&out.stdout, "edited token 'alta3' in ");
    assert_has(
        &out.stdout,
        "  repositories: labs, demo -> labs, demo, zzz\n",
    );
    assert_has(
        &get(&env, "alta3/zzz").stdout,
        &format!("password={SECRET}\n"),
    );
    assert_eq!(
        env.stored_secrets(),
        secrets,
        "the secret store is untouched"
    );

    env.run(&["edit", "alta3", "--remove-repo", "demo"], b"")
        .ok();
    assert!(!get(&env, "alta3/demo").stdout.contains("password="));
    assert_has(&config(&env), "repositories = [\"labs\", \"zzz\"]");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn permissions_expiry_and_default_follow_and_comments_survive() {
    let env = env();
    let text = config(&env).replace(
        "[[token]]\n",
        "# the installer's token, from Jane\n[[token]]\n",
    );
    std::fs::write(env.config_path(), text).unwrap();
    let push = env.run(&["check", "--write", "https://github.com/alta3/labs"], b"");
    assert_eq!(push.status, 1);
    assert_has(
        &push.stderr,
        "run: git credential-scoped edit alta3 --permission contents=write",
    );
    let out = env.run(
        &[
            "edit",
            "alta3",
            "--permission",
            "contents=write",
            "--permission",
            "metadata=read",
            "--expires",
            "2027-06-30",
            "--default",
        ],
        b"",
    );
    out.ok();
    assert_has(
        &out.stdout,
        "  permissions:  contents=read -> contents=write,metadata=read\n",
    );
    assert_has(
        &out.stdout,
        "  expires:      2027-04-15 (in 90 days) -> 2027-06-30 (in 166 days)\n",
    );
    assert_has(&out.stdout, "  default:      false -> true\n");
    let c = config(&env);
    assert_has(&c, "# the installer's token, from Jane\n[[token]]\n");
    assert_has(
        &c,
        "permissions = { contents = \"write\", metadata = \"read\" }",
    );
    assert_has(&c, "default = true");
    env.run(&["check", "--write", "https://github.com/alta3/labs"], b"")
        .ok();
    // The default token answers a request without a path.
    let nopath = env.run(&["get"], b"protocol=https\nhost=github.com\n\n");
    assert_has(&nopath.stdout, &format!("password={SECRET}\n"));
    // Again: nothing to change.
    let again = env.run(&["edit", "alta3", "--expires", "2027-06-30"], b"");
    assert_has(&again.ok().stdout, "nothing changed");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_edit_that_cannot_be_made_changes_nothing_and_says_why() {
    let env = env();
    env.add(
        &[
            "other",
            "--owner",
            "acme",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        SECRET,
    )
    .ok();
    let before = config(&env);
    for (args, says) in [
        (
            &["edit", "alta3"][..],
            "nothing to change for token 'alta3'",
        ),
        (
            &["edit", "alta3", "--remove-repo", "labs,demo"],
            "would leave token 'alta3' with no repositories",
        ),
        (
            &["edit", "alta3", "--remove-repo", "lbas"],
            "token 'alta3' does not cover lbas",
        ),
        (
            &["edit", "other", "--add-repo", "x"],
            "covers all of acme's repositories",
        ),
        (
            &["edit", "alta3", "--default"],
            "token 'other' is already the default for github.com",
        ),
        (
            // Issue 24 #12: OWNER/REPO is taken, but only of the token's owner.
            &["edit", "alta3", "--add-repo", "octocat/labs"],
            "belongs to another owner than alta3",
        ),
        (
            &["edit", "alta3", "--permission", "contents=admin"],
            "the level must be none, read or write",
        ),
        (
            &["edit", "alta3", "--expires", "soon"],
            "--expires must be a date",
        ),
        (
            &["edit", "nobody", "--add-repo", "x"],
            "no token named 'nobody'",
        ),
        (
            &["edit", "alta3", "--all-repos", "--add-repo", "x"],
            "cannot be used with",
        ),
        (&["edit", "alta3", "--force", "--add-repo", "x"], "--verify"),
    ] {
        let out = env.run(args, b"");
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert_has(&out.stderr, says);
        assert_eq!(config(&env), before, "{args:?} changed the config");
    }
    // All repositories, then a list again.
    env.run(&["edit", "alta3", "--all-repos"], b"").ok();
    assert_has(&config(&env), "repositories = \"all\"");
    env.run(&["edit", "alta3", "--repo", "labs"], b"").ok();
    assert_has(&config(&env), "repositories = [\"labs\"]");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_edit_keeps_the_secret_rotate_put_in() {
    let env = env();
    let newer =
        "github_pat_11EDITNEWER00000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRST";
    env.run(
        &["rotate", "alta3", "--expires-in", "30d"],
        format!("{newer}\n").as_bytes(),
    )
    .ok();
    env.run(&["edit", "alta3", "--add-repo", "zzz"], b"").ok();
    assert_has(
        &get(&env, "alta3/zzz").stdout,
        &format!("password={newer}\n"),
    );
    assert_has(&config(&env), "expires = \"2027-02-14T00:00:00Z\"");
}
