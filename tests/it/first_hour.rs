//! Issue 24 #9: the next steps the program prints, each run here in the situation that
//! printed it — a free name after `new-token-url`, `edit --expires` for an unknown expiry,
//! the `[[host]]` table as valid TOML — and `rotate` moving a token to an environment
//! variable or a command, as the GUIDE's headless example leads to.

use std::process::Stdio;

use crate::support::{assert_has, assert_lacks, Env, NOW};

const TOKEN: &str = "github_pat_11FIRSTHOURIT0000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";

/// Runs `command` with `sh -c` in the test's environment, `stdin` on its stdin.
fn sh(env: &Env, command: &str, stdin: &str) -> crate::support::Out {
    let mut c = env.command("sh");
    c.args(["-c", command]).stdin(Stdio::piped());
    crate::support::run_with_stdin(c, stdin.as_bytes())
}

/// The text after `marker` on the first line that has it.
fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.split_once(marker).map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"))
}

#[cfg_attr(wine, ignore = "needs sh, which wine does not have")]
#[test]
fn new_token_url_names_a_free_token_in_its_next_step() {
    let env = Env::new().at(NOW);
    env.add(
        &["alta3", "--owner", "alta3", "--all-repos", "--no-expiry"],
        TOKEN,
    )
    .ok();
    let out = env.run(&["new-token-url", "--owner", "alta3"], b"");
    let add = out.ok().stdout.lines().last().unwrap().trim().to_string();
    assert!(
        add.starts_with("git credential-scoped add alta3-2 --owner alta3"),
        "{add}"
    );
    // Run as printed, but offline: --verify would ask github.com.
    let offline = add.replace(" --verify", "");
    sh(&env, &offline, &format!("{TOKEN}2\n")).ok();
}

#[cfg_attr(wine, ignore = "needs sh, which wine does not have")]
#[test]
fn an_unknown_expiry_is_set_with_the_edit_command_show_prints() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    let show = env.run(&["show", "t"], b"");
    let fix = after(&show.ok().stdout, "run: ");
    assert_eq!(fix, "git credential-scoped edit t --expires DATE");
    sh(&env, &fix.replace("DATE", "2027-06-01"), "").ok();
    assert_lacks(&env.run(&["show", "t"], b"").ok().stdout, "expiry unknown");
}

#[cfg_attr(wine, ignore = "needs git and sh, which wine does not have")]
#[test]
fn the_undeclared_host_hint_appends_a_host_table_that_parses() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.write_config("version = 1\n");
    let out = env.run(&["check", "https://ghe.example.com/o/r"], b"");
    assert_has(&out.stdout, "ghe.example.com is not a GitHub host");
    let fix = after(&out.stderr, "declare it; run: ");
    sh(&env, fix, "").ok();
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let doc: toml::Table = toml::from_str(&config).expect("the config parses");
    assert_eq!(doc["host"][0]["name"].as_str(), Some("ghe.example.com"));
    let again = env.run(&["check", "https://ghe.example.com/o/r"], b"");
    assert_has(
        &again.stdout,
        "no token for o on ghe.example.com covers o/r",
    );
    // add says it the same way, before anything is asked.
    let add = env.add(
        &[
            "x",
            "--owner",
            "o",
            "--repo",
            "r",
            "--host",
            "other.example",
        ],
        TOKEN,
    );
    assert_has(
        &add.stderr,
        "declare it; run: printf '\\n[[host]]\\nname = \"other.example\"",
    );
}

#[cfg_attr(wine, ignore = "needs sh, which wine does not have")]
#[test]
fn rotate_moves_a_token_to_an_environment_variable_or_a_command() {
    let mut env = Env::new().at(NOW);
    env.set("FH_TOKEN", TOKEN);
    let add = [
        "t",
        "--owner",
        "o",
        "--repo",
        "r",
        "--expires",
        "2027-06-01",
    ];
    env.add(&add, TOKEN).ok();
    // A variable that does not hold the token: refused, the stored copy stays.
    let unset = env.run(&["rotate", "t", "--secret-env", "FH_UNSET"], b"");
    assert_eq!(unset.status, 2, "{}", unset.stderr);
    assert_has(&unset.stderr, "FH_UNSET is not set");
    assert_eq!(env.stored_secrets().len(), 1);
    env.run(&["rotate", "t", "--secret-env", "FH_TOKEN"], b"")
        .ok();
    let show = env.run(&["show", "t"], b"").ok().stdout.clone();
    assert_has(&show, "env FH_TOKEN");
    assert_has(&show, "2027-06-01");
    assert!(
        env.stored_secrets().is_empty(),
        "the stored copy is deleted"
    );
    let get = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert_has(&get.ok().stdout, &format!("password={TOKEN}\n"));
    let cmd = "printf %s \"$FH_TOKEN\"";
    env.run(&["rotate", "t", "--secret-command", cmd], b"").ok();
    assert_has(
        &env.run(&["show", "t"], b"").ok().stdout,
        "secret:       command",
    );
}

/// Issue 24 #11: `list` and `show` say what `check --all` says of a token whose expiry is
/// unknown (it said `ok` where `check --all` failed the token).
#[test]
fn list_show_and_check_all_agree_on_an_unknown_expiry() {
    let env = Env::new().at(NOW);
    env.add(&["u", "--owner", "alta3", "--all-repos"], TOKEN)
        .ok();
    let list = env.run(&["list", "--json"], b"");
    let doc: serde_json::Value = serde_json::from_str(&list.ok().stdout).unwrap();
    assert_eq!(doc["tokens"][0]["state"], "unknown-expiry");
    assert_has(&env.run(&["list"], b"").ok().stdout, "unknown-expiry");
    assert_has(&env.run(&["show", "u"], b"").ok().stdout, "unknown-expiry");
    let all = env.run(&["check", "--all", "--json"], b"");
    assert_eq!(all.status, 1);
    assert_has(&all.stdout, "\"unknown-expiry\"");
}

/// Issue 24 #11: `--expires-in` reads the same for `add` and `new-token-url`: 1 to 366 days
/// (GitHub's limit) or `none`.
#[test]
fn expires_in_reads_the_same_for_add_and_new_token_url() {
    let env = Env::new().at(NOW);
    for days in ["367d", "0"] {
        let add = env.add(
            &["x", "--owner", "o", "--all-repos", "--expires-in", days],
            TOKEN,
        );
        let url = env.run(
            &["new-token-url", "--owner", "o", "--expires-in", days],
            b"",
        );
        assert_eq!((add.status, url.status), (2, 2), "{days}");
        let said = "--expires-in must be 1 to 366 days";
        assert_has(&add.stderr, said);
        assert_has(&url.stderr, said);
    }
    env.add(
        &["n", "--owner", "o", "--all-repos", "--expires-in", "none"],
        TOKEN,
    )
    .ok();
    let show = env.run(&["show", "n", "--json"], b"");
    let doc: serde_json::Value = serde_json::from_str(&show.ok().stdout).unwrap();
    assert_eq!(doc["expires"], "never");
    let url = env.run(
        &["new-token-url", "--owner", "o", "--expires-in", "none"],
        b"",
    );
    assert_has(&url.ok().stdout, "expires_in=none");
}
