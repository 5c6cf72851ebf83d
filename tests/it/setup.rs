//! `setup`: against git configs that already hold other helpers, run twice, then
//! `--uninstall`, comparing the exact `git config --list` (and the file's bytes) before and
//! after. Real git reads and writes the files; nothing here parses git's config format.

use crate::support::{assert_has, run_with_stdin, Env, Out};
use std::path::Path;

const GLOBAL_BEFORE: &str = "[user]
\tname = Octo Cat
[credential]
\thelper = cache
[credential \"https://gitlab.com\"]
\thelper = store
[credential \"https://github.com\"]
\tusername = octocat
";

const LIST_BEFORE: &str = "user.name=Octo Cat
credential.helper=cache
credential.https://gitlab.com.helper=store
credential.https://github.com.username=octocat
";

const OURS: &str = "credential.https://github.com.helper=
credential.https://github.com.helper=scoped
credential.https://github.com.usehttppath=true
";

fn gitconfig(env: &Env) -> std::path::PathBuf {
    env.home.join(".gitconfig")
}

fn git_config(env: &Env, args: &[&str]) -> Out {
    let mut c = env.command("git");
    c.arg("config").args(args);
    run_with_stdin(c, b"")
}

fn global_list(env: &Env) -> String {
    git_config(env, &["--global", "--list"]).stdout
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_adds_exactly_three_values_leaves_other_helpers_and_is_idempotent() {
    let env = Env::new();
    std::fs::write(gitconfig(&env), GLOBAL_BEFORE).unwrap();
    assert_eq!(global_list(&env), LIST_BEFORE);

    let first = env.run(&["setup"], b"");
    first.ok();
    assert!(
        first.stdout.contains("no longer 'cache' ("),
        "the global helper no longer serves github.com: {}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .starts_with("set up git-credential-scoped for https://github.com in "),
        "{}",
        first.stdout
    );
    assert!(first
        .stdout
        .contains("+ credential.https://github.com.helper = scoped"));
    assert!(first
        .stdout
        .contains("+ credential.https://github.com.useHttpPath = true"));
    assert_eq!(first.stderr, "", "no warnings: {}", first.stderr);
    assert_eq!(global_list(&env), format!("{LIST_BEFORE}{OURS}"));
    let after_first = read(&gitconfig(&env));

    let second = env.run(&["setup", "--global"], b"");
    second.ok();
    assert!(
        second.stdout.starts_with("already set up:") && second.stdout.contains("nothing to change"),
        "{}",
        second.stdout
    );
    assert_eq!(second.stdout.lines().count(), 1, "{}", second.stdout);
    assert_eq!(read(&gitconfig(&env)), after_first, "the second run wrote");

    let gone = env.run(&["setup", "--uninstall"], b"");
    gone.ok();
    assert!(gone
        .stdout
        .starts_with("removed git-credential-scoped for https://github.com"));
    assert_eq!(global_list(&env), LIST_BEFORE);
    assert_eq!(
        read(&gitconfig(&env)),
        GLOBAL_BEFORE,
        "the file is as it was"
    );

    let again = env.run(&["setup", "--uninstall"], b"");
    again.ok();
    assert!(
        again.stdout.starts_with("nothing to remove:"),
        "{}",
        again.stdout
    );
    assert_eq!(read(&gitconfig(&env)), GLOBAL_BEFORE);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn after_setup_git_asks_the_helper_with_the_repository_path() {
    let env = Env::new();
    std::fs::write(gitconfig(&env), GLOBAL_BEFORE).unwrap();
    env.run(&["setup"], b"").ok();
    let token = "github_pat_11SETUPTEST0000000000_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";
    env.add(
        &["alta3", "--owner", "alta3", "--repo", "labs", "--no-expiry"],
        token,
    )
    .ok();
    // No -c overrides: only what setup wrote decides (the global `cache` is reset for github.com).
    let mut c = env.command("git");
    c.args(["credential", "fill"]);
    let out = run_with_stdin(c, b"url=https://github.com/alta3/labs.git\n\n");
    out.ok();
    assert_eq!(
        out.stdout,
        format!(
            "protocol=https\nhost=github.com\npath=alta3/labs.git\nusername=octocat\npassword={token}\n"
        )
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_after_the_hosts_own_helper_resets_it_and_uninstall_brings_it_back() {
    let env = Env::new();
    let before = "[credential \"https://github.com\"]\n\thelper = manager\n";
    std::fs::write(gitconfig(&env), before).unwrap();
    let out = env.run(&["setup"], b"");
    out.ok();
    assert!(
        out.stdout
            .contains("git now asks git-credential-scoped only, no longer 'manager' ("),
        "{}",
        out.stdout
    );
    assert_eq!(
        git_config(
            &env,
            &[
                "--global",
                "--get-all",
                "credential.https://github.com.helper"
            ]
        )
        .stdout,
        "manager\n\nscoped\n"
    );
    env.run(&["setup"], b"").ok();
    env.run(&["setup", "--uninstall"], b"").ok();
    assert_eq!(read(&gitconfig(&env)), before);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn uninstall_keeps_a_reset_the_user_wrote_and_setup_moves_a_stray_entry_to_the_end() {
    let env = Env::new();
    std::fs::write(
        gitconfig(&env),
        "[credential \"https://github.com\"]\n\thelper =\n\thelper = scoped\n\thelper = cache\n",
    )
    .unwrap();
    let helpers = || {
        git_config(
            &env,
            &[
                "--global",
                "--get-all",
                "credential.https://github.com.helper",
            ],
        )
        .stdout
    };
    let out = env.run(&["setup"], b"");
    out.ok();
    assert_has(&out.stdout, "(moved to the end)");
    assert_eq!(helpers(), "\ncache\n\nscoped\n");
    env.run(&["setup", "--uninstall"], b"").ok();
    assert_eq!(helpers(), "\ncache\n", "the user's own reset stays");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_for_an_enterprise_host_in_the_local_config_touches_nothing_global() {
    let env = Env::new();
    std::fs::write(gitconfig(&env), GLOBAL_BEFORE).unwrap();
    let repo = env.home.join("repo");
    let mut init = env.command("git");
    init.args(["init", "-q"]).arg(&repo);
    run_with_stdin(init, b"").ok();
    let mut c = env.command(crate::support::BIN);
    c.args(["setup", "--local", "--host", "GHE.example.com:8443"])
        .current_dir(&repo);
    let out = run_with_stdin(c, b"");
    out.ok();
    assert_has(&out.stdout, ".git/config");
    let mut list = env.command("git");
    list.args(["config", "--local", "--get-regexp", "^credential\\."])
        .current_dir(&repo);
    assert_eq!(
        run_with_stdin(list, b"").stdout,
        "credential.https://ghe.example.com:8443.helper \n\
         credential.https://ghe.example.com:8443.helper scoped\n\
         credential.https://ghe.example.com:8443.usehttppath true\n"
    );
    assert_eq!(read(&gitconfig(&env)), GLOBAL_BEFORE);

    // --uninstall without --local finds nothing in the global file, and says where it is.
    let mut c = env.command(crate::support::BIN);
    c.args(["setup", "--uninstall", "--host", "ghe.example.com:8443"])
        .current_dir(&repo);
    let out = run_with_stdin(c, b"");
    out.ok();
    assert!(
        out.stdout.starts_with("nothing to remove:")
            && out.stdout.contains("note: it is set up in .git/config"),
        "{}",
        out.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_warns_when_git_cannot_find_the_helper_on_path() {
    let env = Env::new();
    let mut c = env.command(crate::support::BIN);
    c.env("PATH", "/usr/local/bin:/usr/bin:/bin").arg("setup");
    let out = run_with_stdin(c, b"");
    out.ok();
    assert_has(
        &out.stderr,
        "warning: git-credential-scoped is not on PATH, so git cannot run it",
    );
    assert_has(&out.stderr, "hint: add ");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_warns_when_a_helper_read_later_would_also_get_the_tokens() {
    let env = Env::new();
    std::fs::write(
        gitconfig(&env),
        "[credential \"https://github.com\"]\n\tusername = octocat\n[credential]\n\thelper = store\n",
    )
    .unwrap();
    let out = env.run(&["setup"], b"");
    out.ok();
    assert!(
        out.stderr.contains("warning: git also asks 'store' (")
            && out.stderr.contains("git credential-scoped doctor"),
        "{}",
        out.stderr
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_refuses_a_bad_host_a_missing_git_and_an_unwritable_config_with_exit_2() {
    let env = Env::new();
    for host in ["github.com/alta3", "evil host", "", "a\nb"] {
        let out = env.run(&["setup", "--host", host], b"");
        assert_eq!(out.status, 2, "{host:?}: {}", out.stderr);
        assert_has(&out.stderr, "is not a host name");
    }

    let mut c = env.command(crate::support::BIN);
    c.env("PATH", env.home.join("empty-path")).arg("setup");
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "git was not found on PATH");
    assert_has(&out.stderr, "hint: install git");

    let mut c = env.command(crate::support::BIN);
    c.env("GIT_CONFIG_GLOBAL", env.home.join("no/such/dir/gitconfig"))
        .arg("setup");
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(&out.stderr, "no/such/dir/gitconfig");
    assert_has(&out.stderr, "hint:");

    let out = env.run(&["setup", "--global", "--local"], b"");
    assert_eq!(out.status, 2);
    assert!(!gitconfig(&env).exists(), "nothing was written");
}
