//! The management commands: add, list, show, remove, rotate, unreject.

use crate::support::{assert_has, assert_lacks, Env, DAY, NOW};

const TOKEN: &str = "github_pat_11CLI000000000000000000_abcdefghijklmnopqrstuvwxyz";

#[test]
fn add_prints_a_summary_with_the_defaults_it_applied() {
    let env = Env::new().at(NOW);
    let out = env.add(
        &[
            "work",
            "--owner",
            "acme",
            "--repo",
            "api",
            "--repo",
            "web,api",
            "--expires",
            "2027-03-01",
        ],
        TOKEN,
    );
    out.ok();
    assert_has(&out.stdout, "repositories: api, web");
    assert_has(
        &out.stdout,
        "contents=read (the default: no --permission given)",
    );
    assert_has(&out.stdout, "expires:      2027-03-01 (in 45 days)");
    assert_has(&out.stdout, "secret:       file, fingerprint sha256:");
    assert_eq!(out.stderr, "");
}

#[test]
fn add_warns_about_classic_and_odd_tokens() {
    let env = Env::new();
    let out = env.add(
        &["classic", "--owner", "o", "--all-repos"],
        "ghp_0123456789abcdef",
    );
    assert!(
        out.ok().stderr.contains("classic personal access token"),
        "{}",
        out.stderr
    );
    let out = env.add(&["odd", "--owner", "o", "--all-repos"], "hunter2");
    assert!(
        out.ok()
            .stderr
            .contains("does not look like a GitHub fine-grained token"),
        "{}",
        out.stderr
    );
}

#[test]
fn add_refuses_bad_input_and_keeps_what_exists() {
    let env = Env::new();
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    let before = std::fs::read(env.config_path()).unwrap();
    let cases: [&[&str]; 6] = [
        &["t", "--owner", "o", "--repo", "r"],
        &["bad name", "--owner", "o", "--repo", "r"],
        &["u", "--owner", "o/x", "--repo", "r"],
        &["u", "--owner", "o", "--repo", "other/r"],
        &["u", "--owner", "o", "--repo", "r", "--host", "example.com"],
        &["u", "--owner", "o", "--repo", "r", "--expires-in", "soon"],
    ];
    for args in cases {
        let out = env.add(args, TOKEN);
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("git-credential-scoped: "),
            "{}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read(env.config_path()).unwrap(), before);
    let out = env.run(&["add", "v", "--owner", "o", "--repo", "r"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "no token given");
}

#[test]
fn the_secret_is_never_taken_from_argv() {
    let env = Env::new();
    let out = env.run(&["add", "t", "--owner", "o", "--repo", "r", TOKEN], b"");
    assert_eq!(out.status, 2);
    assert_lacks(&out.stderr, TOKEN);
}

#[test]
fn list_shows_state_and_countdown_in_table_and_json() {
    let env = Env::new().at(NOW);
    env.add(
        &["ok", "--owner", "o", "--repo", "a", "--expires-in", "30d"],
        TOKEN,
    )
    .ok();
    env.add(
        &["soon", "--owner", "o", "--repo", "b", "--expires-in", "3d"],
        "github_pat_2",
    )
    .ok();
    env.add(
        &[
            "old",
            "--owner",
            "o",
            "--repo",
            "c",
            "--expires",
            "2027-01-01",
        ],
        "github_pat_3",
    )
    .ok();
    env.add(
        &[
            "meta",
            "--owner",
            "o",
            "--repo",
            "d",
            "--permission",
            "contents=none",
            "--no-expiry",
        ],
        "github_pat_4",
    )
    .ok();
    let out = env.run(&["list"], b"");
    let text = &out.ok().stdout;
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("ok").contains("in 30 days") && line("ok").contains(" ok "),
        "{text}"
    );
    assert!(line("soon").contains("expiring"), "{text}");
    assert!(
        line("old").contains("14 days ago") && line("old").contains("expired"),
        "{text}"
    );
    assert!(
        line("meta").contains("no-contents") && line("meta").contains("never"),
        "{text}"
    );
    let json = env.run(&["list", "--json"], b"").ok().stdout.clone();
    assert!(json.starts_with("{\"tokens\":[{\"name\":\"ok\",\"host\":\"github.com\",\"owner\":\"o\",\"repositories\":[\"a\"],\"permissions\":[{\"name\":\"contents\",\"access\":\"read\"}],\"expires\":\"2027-02-14T00:00:00Z\",\"days_left\":30,\"state\":\"ok\""), "{json}");
}

#[test]
fn rotate_replaces_the_secret_and_clears_the_rejected_mark() {
    let env = Env::new().at(NOW);
    env.add(
        &["t", "--owner", "o", "--repo", "r", "--expires-in", "5d"],
        TOKEN,
    )
    .ok();
    env.run(
        &["erase"],
        format!("protocol=https\nhost=github.com\npath=o/r\npassword={TOKEN}\n\n").as_bytes(),
    )
    .ok();
    let out = env.run(&["rotate", "t", "--expires-in", "90d"], b"github_pat_NEW\n");
    assert!(out.ok().stdout.contains("in 90 days"), "{}", out.stdout);
    let got = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert_eq!(
        got.ok().stdout,
        format!(
            "username=x-access-token\npassword=github_pat_NEW\npassword_expiry_utc={}\n",
            NOW + 90 * DAY
        )
    );
    assert_eq!(got.stderr, "");
}

#[test]
fn remove_deletes_the_token_and_its_secret_but_keeps_comments() {
    let env = Env::new();
    env.write_config("version = 1\n# keep me\n");
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    env.run(&["remove", "t", "--yes"], b"").ok();
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        config.contains("# keep me") && !config.contains("name = \"t\""),
        "{config}"
    );
    let secrets = env.stored_secrets();
    assert!(
        !secrets.iter().any(|(k, _)| k.starts_with("token/t")),
        "{secrets:?}"
    );
    let out = env.run(&["remove", "t", "--yes"], b"");
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("no token named 't'"));
}

#[test]
fn show_names_the_renewal_link_and_unknown_names_fail() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    let out = env.run(&["show", "t"], b"");
    assert!(
        out.ok().stdout.contains(
            "renew at:     https://github.com/settings/personal-access-tokens/new?name=t&"
        ),
        "{}",
        out.stdout
    );
    assert_has(&out.stdout, "expiry unknown");
    assert_eq!(env.run(&["show", "nope"], b"").status, 2);
}

#[test]
fn help_is_available_for_every_command() {
    let env = Env::new();
    for cmd in [
        "add", "list", "show", "remove", "rotate", "unreject", "get", "store", "erase", "edit",
        "token", "exec",
    ] {
        let out = env.run(&[cmd, "--help"], b"");
        assert_eq!(out.status, 0, "{cmd}");
        assert!(
            out.stdout.contains("Usage: git-credential-scoped"),
            "{cmd}: {}",
            out.stdout
        );
    }
    let out = env.run(&[], b"");
    assert_eq!(out.status, 2);
}

#[test]
fn a_damaged_config_is_reported_with_its_path_and_line() {
    let env = Env::new();
    env.write_config("version = 1\n[[token]\nname=\n");
    let out = env.run(&["list"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "config.toml is not valid TOML (line 2)");
}

/// Runs `args` with each secret on stdin, all at once.
fn race(env: &Env, args: &[&str], secrets: &[String]) -> Vec<crate::support::Out> {
    std::thread::scope(|s| {
        let handles: Vec<_> = secrets
            .iter()
            .map(|secret| s.spawn(move || env.run(args, format!("{secret}\n").as_bytes())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn served_secret(env: &Env) -> String {
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("password="))
        .unwrap()
        .to_string();
    line["password=".len()..].to_string()
}

fn recorded_fingerprint(env: &Env) -> String {
    let json = env.run(&["show", "t", "--json"], b"").ok().stdout.clone();
    let start = json.find("\"fingerprint\":\"").unwrap() + "\"fingerprint\":\"".len();
    json[start..start + json[start..].find('"').unwrap()].to_string()
}

#[test]
fn concurrent_adds_of_one_name_keep_the_winners_secret() {
    let env = Env::new();
    let secrets: Vec<String> = (0..8).map(|i| format!("github_pat_ADD{i}")).collect();
    let outs = race(&env, &["add", "t", "--owner", "o", "--repo", "r"], &secrets);
    assert_eq!(
        outs.iter().filter(|o| o.status == 0).count(),
        1,
        "exactly one add wins"
    );
    let served = served_secret(&env);
    assert!(secrets.contains(&served));
    assert_eq!(
        recorded_fingerprint(&env),
        git_credential_scoped::secret::fingerprint_of(served.as_bytes())
    );
}

#[test]
fn concurrent_rotations_leave_secret_and_fingerprint_in_step() {
    let env = Env::new();
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    let secrets: Vec<String> = (0..8).map(|i| format!("github_pat_ROT{i}")).collect();
    for out in race(&env, &["rotate", "t"], &secrets) {
        out.ok();
    }
    let served = served_secret(&env);
    assert!(secrets.contains(&served));
    assert_eq!(
        recorded_fingerprint(&env),
        git_credential_scoped::secret::fingerprint_of(served.as_bytes())
    );
}
