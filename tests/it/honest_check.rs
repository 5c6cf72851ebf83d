//! Issue 24 #1, #2 and #8: `check` answers for what git would get through git's
//! configuration as it stands — not "ok" where git never asks this helper (no helper line,
//! or one that passes another registry) — with the one `setup` line that fixes it, run here
//! in the situation that printed it; and offline it opens no secret store.

use crate::support::{assert_has, assert_lacks, Env, NOW};

const TOKEN: &str = "github_pat_11HONEST0000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";
const URL: &str = "https://github.com/alta3/labs";

fn git_config(env: &Env, args: &[&str]) {
    let out = env
        .command("git")
        .args(["config", "--global"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fix after "run: " on the line that says git does not ask, run as it stands.
fn run_fix(env: &Env, stderr: &str) {
    let fix = stderr
        .lines()
        .find_map(|l| l.split_once("; run: ").map(|(_, f)| f))
        .unwrap_or_else(|| panic!("no fix in:\n{stderr}"));
    let out = env.command("sh").args(["-c", fix]).output().unwrap();
    assert!(
        out.status.success(),
        "`{fix}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn check_is_not_ok_where_git_never_asks_the_helper() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "90d",
        ],
        TOKEN,
    )
    .ok();
    // Only useHttpPath, as a newcomer may have it: git asks no helper at all.
    git_config(&env, &["credential.useHttpPath", "true"]);
    let out = env.run(&["check", URL], b"");
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("not-asked "), "{}", out.stdout);
    assert_has(
        &out.stderr,
        "git does not ask git-credential-scoped for github.com; run: git credential-scoped setup\n",
    );
    let json = env.run(&["check", "--json", URL], b"");
    assert_has(&json.stdout, r#""verdict":"not-asked","serves":false"#);
    run_fix(&env, &out.stderr);
    let ok = env.run(&["check", URL], b"");
    assert_eq!(ok.status, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.starts_with("ok "), "{}", ok.stdout);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_registry_given_with_config_is_checked_as_git_passes_it() {
    let env = Env::new().at(NOW);
    let file = env.tmp.path().join("team registry.toml");
    let file = file.to_str().unwrap();
    let add = [
        "--config", file, "add", "alta3", "--owner", "alta3", "--repo", "labs",
    ];
    env.run(&add, format!("{TOKEN}\n").as_bytes()).ok();
    env.run(&["setup"], b"").ok();
    // setup without --config: git runs the helper with the default registry.
    let out = env.run(&["--config", file, "check", URL], b"");
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(
        &out.stderr,
        "git asks git-credential-scoped for github.com with the registry ",
    );
    assert_has(&out.stderr, "run: git credential-scoped --config '");
    run_fix(&env, &out.stderr);
    let ok = env.run(&["--config", file, "check", URL], b"");
    assert_eq!(ok.status, 0, "{}{}", ok.stdout, ok.stderr);
    // And git itself, through its configuration as it stands, gets the token.
    let mut git = env.command("git");
    git.args(["credential", "fill"]);
    let out = crate::support::run_with_stdin(git, format!("url={URL}\n\n").as_bytes());
    assert_has(&out.stdout, &format!("password={TOKEN}\n"));
    // The default registry now reads as not what git passes.
    let other = env.run(&["check", URL], b"");
    assert_eq!(other.status, 1, "{}", other.stdout);
    assert_has(&other.stderr, "run: git credential-scoped setup\n");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_no_path_hint_is_neither_green_nor_given_where_git_sends_the_path() {
    let env = Env::new().at(NOW);
    env.add(
        &["alta3", "--owner", "alta3", "--repo", "labs", "--default"],
        TOKEN,
    )
    .ok();
    // No helper and no useHttpPath: one fix (setup does both), not the useHttpPath line.
    let out = env.run(&["check", URL], b"");
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stderr, "run: git credential-scoped setup\n");
    assert_lacks(&out.stderr, "useHttpPath true");
    // useHttpPath on, and a URL without a repository: no useHttpPath hint.
    env.use_http_path();
    let bare = env.run(&["check", "https://github.com/"], b"");
    assert_lacks(&bare.stderr, "useHttpPath");
    assert_lacks(&bare.stderr, "git sent no repository path");
}

/// Issue 24 #2: offline `check` never runs a token's secret command (nor opens the keyring).
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn offline_check_runs_no_secret_command() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    let ran = env.tmp.path().join("ran");
    let secret = env.tmp.path().join("secret");
    std::fs::write(&secret, TOKEN).unwrap();
    let cmd = format!("touch '{}'; cat '{}'", ran.display(), secret.display());
    let args = [
        "c",
        "--owner",
        "alta3",
        "--repo",
        "labs",
        "--no-expiry",
        "--secret-command",
        &cmd,
    ];
    env.add(&args, "").ok();
    let out = env.run(&["check", URL], b"");
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(!ran.exists(), "check ran the secret command");
    let help = env.run(&["check", "--help"], b"");
    assert_has(&help.stdout, r#""not-asked""#);
}
