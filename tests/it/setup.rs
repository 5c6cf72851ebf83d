//! `setup`: against git configs that already hold other helpers, run twice, then
//! `--uninstall`, comparing the exact `git config --list` (and the file's bytes) before and
//! after. Real git reads and writes the files; nothing here parses git's config format.

use crate::support::{assert_has, assert_lacks, run_with_stdin, Env, Out, BIN};
use std::path::Path;

const TOKEN: &str =
    "github_pat_11SETUPPATH000000000_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST";

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

/// What setup adds: the reset, this program by absolute path, useHttpPath.
fn ours() -> String {
    format!(
        "credential.https://github.com.helper=
credential.https://github.com.helper={BIN}
credential.https://github.com.usehttppath=true
"
    )
}

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
        .contains(&format!("+ credential.https://github.com.helper = {BIN}")));
    assert!(first
        .stdout
        .contains("+ credential.https://github.com.useHttpPath = true"));
    assert_eq!(first.stderr, "", "no warnings: {}", first.stderr);
    assert_eq!(global_list(&env), format!("{LIST_BEFORE}{}", ours()));
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
        format!("manager\n\n{BIN}\n")
    );
    env.run(&["setup"], b"").ok();
    env.run(&["setup", "--uninstall"], b"").ok();
    assert_eq!(read(&gitconfig(&env)), before);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_moves_its_entries_after_a_helper_added_behind_them_and_uninstall_restores_the_rest() {
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
    assert_has(
        &out.stdout,
        "- credential.https://github.com.helper = scoped",
    );
    assert_eq!(helpers(), format!("cache\n\n{BIN}\n"));
    env.run(&["setup", "--uninstall"], b"").ok();
    assert_eq!(helpers(), "cache\n", "the user's own helper stays");
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
        format!(
            "credential.https://ghe.example.com:8443.helper \n\
             credential.https://ghe.example.com:8443.helper {BIN}\n\
             credential.https://ghe.example.com:8443.usehttppath true\n"
        )
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
fn git_runs_the_helper_by_its_path_even_when_it_is_not_on_path() {
    // Issue 13: setup writes the absolute path (one git start-up less per request than
    // `scoped`), so git finds the helper whatever PATH says.
    let env = Env::new();
    let mut c = env.command(BIN);
    c.env("PATH", "/usr/local/bin:/usr/bin:/bin").arg("setup");
    let out = run_with_stdin(c, b"");
    out.ok();
    assert_eq!(out.stderr, "");
    env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();
    let mut fill = env.command("git");
    fill.env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .args(["credential", "fill"]);
    let out = run_with_stdin(fill, b"url=https://github.com/o/r\n\n");
    assert_has(&out.ok().stdout, &format!("password={TOKEN}"));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_moves_its_entries_after_a_helper_later_in_the_same_file() {
    // Issue 17 #1: doctor's write-back fix was `setup`, which said "nothing to change".
    let env = Env::new();
    std::fs::write(
        gitconfig(&env),
        "[credential \"https://github.com\"]\n\tusername = octocat\n[credential]\n\thelper = store\n",
    )
    .unwrap();
    env.run(&["setup"], b"").ok();
    std::fs::write(
        gitconfig(&env),
        format!("{}[credential]\n\thelper = cache\n", read(&gitconfig(&env))),
    )
    .unwrap();
    const WRITE_BACK: &str =
        "git also hands every token that worked for github.com to helper 'cache'";
    let doctor = env.run(&["doctor"], b"");
    assert_has(&doctor.stdout, WRITE_BACK);
    assert_has(&doctor.stdout, "fix: git credential-scoped setup\n");
    let out = env.run(&["setup"], b"");
    out.ok();
    assert_eq!(out.stderr, "", "nothing is read after it now");
    assert_has(
        &out.stdout,
        "moved [credential \"https://github.com\"] to the end of the file",
    );
    assert_eq!(
        git_config(
            &env,
            &["--global", "credential.https://github.com.username"]
        )
        .stdout,
        "octocat\n"
    );
    let doctor = env.run(&["doctor"], b"");
    assert_lacks(&doctor.stdout, WRITE_BACK);
    assert_eq!(
        env.run(&["setup"], b"").stdout.lines().count(),
        1,
        "then nothing to change"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_says_which_setup_fixes_a_helper_read_from_a_later_file() {
    let env = Env::new();
    let repo = env.home.join("repo");
    let mut init = env.command("git");
    init.args(["init", "-q"]).arg(&repo);
    run_with_stdin(init, b"").ok();
    let mut local = env.command("git");
    local
        .args(["config", "--local", "credential.helper", "store"])
        .current_dir(&repo);
    run_with_stdin(local, b"").ok();
    let mut c = env.command(BIN);
    c.arg("setup").current_dir(&repo);
    let out = run_with_stdin(c, b"");
    out.ok();
    assert!(
        out.stderr.contains("warning: git also asks 'store' (")
            && out
                .stderr
                .contains("hint: run: git credential-scoped setup --local"),
        "{}",
        out.stderr
    );
    let mut fix = env.command(BIN);
    fix.args(["setup", "--local"]).current_dir(&repo);
    let out = run_with_stdin(fix, b"");
    out.ok();
    assert_eq!(out.stderr, "");
    let mut doctor = env.command(BIN);
    doctor.arg("doctor").current_dir(&repo);
    assert_lacks(
        &run_with_stdin(doctor, b"").stdout,
        "git also hands every token that worked for github.com to helper 'store'",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn uninstall_keeps_a_use_http_path_that_was_there_before_setup() {
    // Issue 17 #11: it removed a value setup had not written.
    let env = Env::new();
    std::fs::write(
        gitconfig(&env),
        "[credential \"https://github.com\"]\n\tuseHttpPath = true\n",
    )
    .unwrap();
    let before = read(&gitconfig(&env));
    env.run(&["setup"], b"").ok();
    let out = env.run(&["setup", "--uninstall"], b"");
    out.ok();
    assert_has(
        &out.stdout,
        "kept credential.https://github.com.useHttpPath = true",
    );
    assert_eq!(read(&gitconfig(&env)), before);
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

// ---- setup --cargo (issue 14): cargo fetches git dependencies with git ----

const CARGO_BEFORE: &str = "# my cargo settings
[build]
jobs = 2   # two cores

[net]
retry = 3
";

/// A hermetic cargo home (`CARGO_HOME`), holding `config` as `name` when given.
fn cargo_env(name: &str, config: Option<&str>) -> (Env, std::path::PathBuf) {
    let mut env = Env::new();
    let home = env.tmp.path().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    if let Some(text) = config {
        std::fs::write(home.join(name), text).unwrap();
    }
    env.set("CARGO_HOME", &home.to_string_lossy());
    (env, home.join(name))
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_cargo_adds_one_key_keeping_comments_is_idempotent_and_uninstall_restores_the_bytes() {
    let (env, file) = cargo_env("config.toml", Some(CARGO_BEFORE));
    let first = env.run(&["setup", "--cargo"], b"");
    first.ok();
    assert_has(
        &first.stdout,
        "set up git-credential-scoped for https://github.com",
    );
    assert_has(
        &first.stdout,
        &format!(
            "set up cargo in {}:\n  + net.git-fetch-with-cli = true  (cargo fetches git dependencies with git, which asks this helper)\n",
            file.display()
        ),
    );
    assert_eq!(
        read(&file),
        format!("{CARGO_BEFORE}git-fetch-with-cli = true\n"),
        "the key joins the user's [net], everything else as it was"
    );
    let again = env.run(&["setup", "--cargo"], b"");
    again.ok();
    assert_has(
        &again.stdout,
        "already set up: cargo fetches git dependencies with git",
    );
    assert_eq!(
        read(&file),
        format!("{CARGO_BEFORE}git-fetch-with-cli = true\n")
    );

    let out = env.run(&["setup", "--uninstall", "--cargo"], b"");
    out.ok();
    assert_has(
        &out.stdout,
        "removed git-credential-scoped for https://github.com",
    );
    assert_has(&out.stdout, "  - net.git-fetch-with-cli = true\n");
    assert_eq!(read(&file), CARGO_BEFORE, "the file is as it was");
    let twice = env.run(&["setup", "--uninstall", "--cargo"], b"");
    assert_has(&twice.ok().stdout, "nothing to remove for cargo");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_cargo_creates_the_file_and_uninstall_takes_back_only_what_setup_changed() {
    // No cargo home yet: created, with only the setting.
    let (env, file) = cargo_env("config.toml", None);
    env.run(&["setup", "--cargo"], b"").ok();
    assert_eq!(read(&file), "[net]\ngit-fetch-with-cli = true\n");
    env.run(&["setup", "--uninstall", "--cargo"], b"").ok();
    assert!(!file.exists(), "the file setup created is gone");

    // Already true before setup: kept by uninstall.
    let before = "[net]\ngit-fetch-with-cli = true\n";
    let (env, file) = cargo_env("config.toml", Some(before));
    assert_has(
        &env.run(&["setup", "--cargo"], b"").ok().stdout,
        "already set up: cargo",
    );
    let out = env.run(&["setup", "--uninstall", "--cargo"], b"");
    assert_has(&out.ok().stdout, "kept net.git-fetch-with-cli = true in ");
    assert_eq!(read(&file), before);

    // false before setup: true, then false again.
    let before = "net.git-fetch-with-cli = false # off on purpose\n";
    let (env, file) = cargo_env("config.toml", Some(before));
    assert_has(
        &env.run(&["setup", "--cargo"], b"").ok().stdout,
        "+ net.git-fetch-with-cli = true (was false)",
    );
    assert_eq!(
        read(&file),
        "net.git-fetch-with-cli = true # off on purpose\n"
    );
    env.run(&["setup", "--uninstall", "--cargo"], b"").ok();
    assert_eq!(read(&file), before);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_cargo_edits_the_older_config_file_cargo_prefers_and_refuses_a_broken_one() {
    let (env, file) = cargo_env("config", Some("[build]\njobs = 1\n"));
    env.run(&["setup", "--cargo"], b"").ok();
    assert_eq!(
        read(&file),
        "[build]\njobs = 1\n\n[net]\ngit-fetch-with-cli = true\n"
    );
    assert!(!file.with_file_name("config.toml").exists());

    let broken = "[net]\nretry = 3\ngit-fetch-with-cli = \n";
    let (env, file) = cargo_env("config.toml", Some(broken));
    let out = env.run(&["setup", "--cargo"], b"");
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(
        &out.stderr,
        &format!("{} is not valid TOML (line 3)", file.display()),
    );
    assert_eq!(read(&file), broken, "left as it was");
    assert!(
        !gitconfig(&env).exists(),
        "git's config untouched: checked first"
    );
    let odd = "[net]\ngit-fetch-with-cli = \"yes\"\n";
    let (env, file) = cargo_env("config.toml", Some(odd));
    let out = env.run(&["setup", "--cargo"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "is not what cargo expects");
    assert_eq!(read(&file), odd);
}

#[cfg(unix)]
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_from_a_directory_with_a_backslash_a_space_and_a_quote_makes_git_run_that_copy() {
    // Issue 22 #11: the backslash became a slash (`.../we\ird/` -> `.../we/ird/`), so git ran
    // another program. git runs the value through sh: it must be quoted for sh.
    let env = Env::new();
    let dir = env.tmp.path().join("we\\ird it's");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("git-credential-scoped");
    std::fs::copy(BIN, &copy).unwrap();
    // A decoy where the mangled path would lead.
    let decoy = env.tmp.path().join("we/ird it's");
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::write(
        decoy.join("git-credential-scoped"),
        "#!/bin/sh\necho password=DECOY\n",
    )
    .unwrap();
    let mut c = env.command(copy.to_str().unwrap());
    c.env("PATH", "/usr/local/bin:/usr/bin:/bin").arg("setup");
    run_with_stdin(c, b"").ok();
    let value = git_config(
        &env,
        &[
            "--global",
            "--get-all",
            "credential.https://github.com.helper",
        ],
    )
    .stdout;
    assert_has(
        &value,
        &format!("!'{}'", copy.to_str().unwrap().replace('\'', "'\\''")),
    );
    env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();
    let mut fill = env.command("git");
    fill.env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .args(["credential", "fill"]);
    let out = run_with_stdin(fill, b"url=https://github.com/o/r\n\n");
    assert_has(&out.ok().stdout, &format!("password={TOKEN}"));
    let mut doctor = env.command(copy.to_str().unwrap());
    doctor.args(["doctor", "--json"]);
    let out = run_with_stdin(doctor, b"");
    assert_has(&out.stdout, "\"scoped_first\":true");
    assert_lacks(&out.stdout, "helper-path");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn uninstall_takes_back_every_host_every_file_setup_wrote_and_cargo() {
    // Issue 24 #7: `setup --uninstall` undid github.com only; `--host` entries, a
    // repository's entries and `--cargo` stayed, pointing at a deleted binary.
    let (env, cargo_file) = cargo_env("config.toml", None);
    std::fs::write(gitconfig(&env), GLOBAL_BEFORE).unwrap();
    env.run(&["setup"], b"").ok();
    env.run(&["setup", "--host", "ghe.example.com"], b"").ok();
    env.run(&["setup", "--cargo"], b"").ok();
    let repo = env.home.join("repo");
    let mut init = env.command("git");
    init.args(["init", "-q"]).arg(&repo);
    run_with_stdin(init, b"").ok();
    let mut c = env.command(BIN);
    c.args(["setup", "--local", "--host", "ghe2.example.com:8443"])
        .current_dir(&repo);
    run_with_stdin(c, b"").ok();
    assert!(cargo_file.is_file());
    let record = read(&env.data_dir().join("setup"));
    assert_eq!(record.matches("# keys").count(), 1, "{record}");
    assert_lacks(&record, "%23");

    let gone = env.run(&["setup", "--uninstall"], b"");
    gone.ok();
    for url in [
        "https://github.com",
        "https://ghe.example.com",
        "https://ghe2.example.com:8443",
    ] {
        assert_has(
            &gone.stdout,
            &format!("removed git-credential-scoped for {url}"),
        );
    }
    assert_has(&gone.stdout, "removed setup's change to cargo");
    assert_eq!(global_list(&env), LIST_BEFORE);
    assert_eq!(read(&gitconfig(&env)), GLOBAL_BEFORE);
    assert_lacks(&read(&repo.join(".git/config")), "credential");
    assert!(!cargo_file.exists(), "setup created it for its one key");
    let again = env.run(&["setup", "--uninstall"], b"");
    assert!(
        again.ok().stdout.starts_with("nothing to remove:"),
        "{}",
        again.stdout
    );
}

#[cfg(unix)]
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_cargo_writes_through_a_symlinked_config_and_keeps_the_link() {
    // Issue 22 #12: a symlinked ~/.cargo/config.toml (a dotfiles checkout) was replaced by
    // a regular file, so the dotfiles copy never changed.
    let (env, file) = cargo_env("config.toml", None);
    let dotfiles = env.tmp.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let target = dotfiles.join("cargo.toml");
    std::fs::write(&target, CARGO_BEFORE).unwrap();
    std::os::unix::fs::symlink("../dotfiles/cargo.toml", &file).unwrap();
    env.run(&["setup", "--cargo"], b"").ok();
    assert!(
        file.symlink_metadata().unwrap().is_symlink(),
        "the link was replaced"
    );
    assert_has(&read(&target), "git-fetch-with-cli = true");
    env.run(&["setup", "--uninstall", "--cargo"], b"").ok();
    assert!(file.symlink_metadata().unwrap().is_symlink());
    assert_eq!(read(&target), CARGO_BEFORE);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_no_path_hint_for_an_http_host_names_the_key_git_reads_and_fixes_it() {
    // Issue 22 #13: the hint named credential.https://HOST.useHttpPath; git reads the
    // http:// key for an http request.
    let env = Env::new();
    env.write_config("version = 1\n[[host]]\nname = \"127.0.0.1:8080\"\nallow_http = true\n");
    env.add(
        &[
            "t",
            "--host",
            "127.0.0.1:8080",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
        ],
        TOKEN,
    )
    .ok();
    let fill = || {
        env.git(
            &["credential", "fill"],
            b"url=http://127.0.0.1:8080/o/r\n\n",
        )
    };
    let out = fill();
    let hint = out
        .stderr
        .lines()
        .find_map(|l| l.split_once("run: ").map(|(_, cmd)| cmd.to_string()))
        .unwrap_or_else(|| panic!("no hint: {}", out.stderr));
    assert_eq!(
        hint,
        "git config --global credential.http://127.0.0.1:8080.useHttpPath true"
    );
    let mut c = env.command("sh");
    c.args(["-c", &hint]);
    run_with_stdin(c, b"").ok();
    let out = fill();
    assert_has(&out.ok().stdout, &format!("password={TOKEN}"));
    assert_lacks(&out.stderr, "no repository path");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_s_note_and_warning_agree_about_a_repository_s_own_helper() {
    // Issue 24 #11: the note said git no longer asks the repository's helper, the warning
    // that it still does (the warning is right: .git/config is read after ~/.gitconfig).
    let env = Env::new();
    std::fs::write(gitconfig(&env), GLOBAL_BEFORE).unwrap();
    let repo = env.home.join("repo");
    let mut init = env.command("git");
    init.args(["init", "-q"]).arg(&repo);
    run_with_stdin(init, b"").ok();
    let mut c = env.command("git");
    c.args(["config", "--local", "credential.helper", "store"])
        .current_dir(&repo);
    run_with_stdin(c, b"").ok();
    let mut c = env.command(BIN);
    c.arg("setup").current_dir(&repo);
    let out = run_with_stdin(c, b"");
    out.ok();
    assert_has(&out.stdout, "no longer 'cache' (");
    assert_lacks(&out.stdout, "'store'");
    assert_lacks(&out.stdout, "asks git-credential-scoped only");
    assert_has(&out.stderr, "warning: git also asks 'store' (.git/config)");
}
