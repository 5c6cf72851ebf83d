//! `get` then git's `store` or `erase` of the same credential (issue 21): `get` names the
//! token it served in `state[]`, git (2.46+) hands that back, and `store`/`erase` recognise
//! the token without running its secret command again and without reading `config.toml`.
//! Older git sends no state: the token is still recognised, at the old cost.

use crate::support::{assert_has, Env, NOW};

const SECRET: &str = "github_pat_11ROUNDTRIP0123456789abcdef";

/// A registry with one token whose secret comes from a command that counts its runs.
fn counting() -> (Env, std::path::PathBuf) {
    let env = Env::new().at(NOW);
    let count = env.tmp.path().join("runs");
    // The secret is read from a file: a token on the command line is refused.
    let secret = env.tmp.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let command = format!(
        "echo run >> '{}' && cat '{}'",
        count.display(),
        secret.display()
    );
    env.run(
        &[
            "add",
            "cmd",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
            "--secret-command",
            &command,
        ],
        b"",
    )
    .ok();
    (env, count)
}

fn runs(count: &std::path::Path) -> usize {
    std::fs::read_to_string(count).map_or(0, |t| t.lines().count())
}

/// `git credential fill` as git asks during a fetch (useHttpPath on, state offered).
fn fill(env: &Env) -> String {
    let out = env.git(
        &["-c", "credential.useHttpPath=true", "credential", "fill"],
        b"capability[]=state\nprotocol=https\nhost=github.com\npath=o/r\n\n",
    );
    out.ok();
    out.stdout
}

fn used(env: &Env) -> bool {
    let state = std::fs::read_to_string(env.data_dir().join("state")).unwrap_or_default();
    state
        .lines()
        .any(|l| l.starts_with("cmd ") && l.contains(&NOW.to_string()))
}

#[test]
#[cfg_attr(wine, ignore)]
fn a_get_and_store_round_trip_runs_the_secret_command_once() {
    let (env, count) = counting();
    let filled = fill(&env);
    assert_has(&filled, &format!("password={SECRET}\n"));
    assert_has(&filled, "state[]=git-credential-scoped:v1:cmd:sha256:");
    assert_eq!(runs(&count), 1);
    // git hands the filled credential back to `store` with its state.
    env.git(
        &["-c", "credential.useHttpPath=true", "credential", "approve"],
        filled.as_bytes(),
    )
    .ok();
    assert_eq!(runs(&count), 1, "store ran the secret command again");
    assert!(used(&env), "the use was recorded");
    assert!(
        std::fs::read_to_string(env.data_dir().join("credentials"))
            .map_or(true, |t| !t.contains("github.com")),
        "no generic copy of the token"
    );
}

#[test]
#[cfg_attr(wine, ignore)]
fn a_store_after_get_reads_neither_the_config_nor_a_secret() {
    let (env, count) = counting();
    let filled = fill(&env);
    // The config becomes unreadable (a directory in its place) and the secret command fails:
    // `store` must not need either.
    let config = env.config_path();
    std::fs::remove_file(&config).unwrap();
    std::fs::create_dir(&config).unwrap();
    std::fs::remove_file(&count).unwrap();
    std::fs::create_dir(&count).unwrap();
    let store = env.run(&["store"], filled.as_bytes());
    store.ok();
    assert!(used(&env), "the use was recorded: {}", store.stderr);
    // Without the state (git before 2.46) the same store has to read the config: it fails.
    let old: String = filled
        .lines()
        .filter(|l| !l.starts_with("state[]=") && !l.starts_with("capability[]="))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = env.run(&["store"], format!("{old}\n").as_bytes());
    assert_ne!(out.status, 0, "{}", out.stdout);
    assert_has(&out.stderr, "config.toml");
}

#[test]
#[cfg_attr(wine, ignore)]
fn an_erase_after_get_marks_the_token_rejected_from_the_state_alone() {
    let (env, count) = counting();
    let filled = fill(&env);
    std::fs::remove_file(env.config_path()).unwrap();
    std::fs::create_dir(env.config_path()).unwrap();
    let out = env.run(&["erase"], filled.as_bytes());
    out.ok();
    assert_has(&out.stderr, "'cmd'");
    assert_eq!(runs(&count), 1);
    let state = std::fs::read_to_string(env.data_dir().join("state")).unwrap();
    assert!(
        state
            .lines()
            .any(|l| l.starts_with("cmd ") && l.contains("o/r")),
        "{state}"
    );
}

#[test]
#[cfg_attr(wine, ignore)]
fn without_state_older_git_still_has_the_token_recognised() {
    let (env, count) = counting();
    let got = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    got.ok();
    assert!(!got.stdout.contains("state[]"), "{}", got.stdout);
    let store = format!(
        "protocol=https\nhost=github.com\npath=o/r\n{}\n",
        got.stdout
    );
    env.run(&["store"], store.as_bytes()).ok();
    assert!(used(&env));
    assert_eq!(
        runs(&count),
        2,
        "the fallback fetches the secret to recognise it"
    );
}
