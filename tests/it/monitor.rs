//! `check --all [--within DAYS] [--json]`: the one line a cron job or a systemd timer runs
//! on a machine that must keep pulling. Every state of a token alone, with its exit code;
//! the window from `--within` and from `warn_days`; the JSON shape; offline (a token whose
//! secret lives in an unset variable is still judged, nothing is opened); and the GUIDE's
//! cron line and timer command, run as written.

use crate::support::{assert_has, Env, Out, NOW};

const TOKEN: &str =
    "github_pat_11MONITOR000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV";

/// An environment with one token `t` for o/r, added with `args`.
fn one(args: &[&str]) -> Env {
    let env = Env::new().at(NOW);
    let mut all = vec!["t", "--owner", "o", "--repo", "r"];
    all.extend_from_slice(args);
    env.add(&all, TOKEN).ok();
    env
}

fn all(env: &Env, extra: &[&str]) -> Out {
    let mut args = vec!["check", "--all"];
    args.extend_from_slice(extra);
    let out = env.run(&args, b"");
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    out
}

#[test]
fn each_state_alone_gives_its_exit_code() {
    let rejected = one(&["--expires-in", "90d"]);
    rejected
        .run(
            &["erase"],
            format!("protocol=https\nhost=github.com\npath=o/r\npassword={TOKEN}\n\n").as_bytes(),
        )
        .ok();
    let cases: [(Env, &str, i32); 6] = [
        (one(&["--expires-in", "90d"]), "ok", 0),
        (one(&["--no-expiry"]), "ok", 0),
        (one(&["--expires", "2027-01-01"]), "expired", 1),
        (one(&["--expires-in", "3d"]), "expiring", 1),
        (rejected, "rejected", 1),
        (
            one(&["--no-expiry", "--permission", "contents=none"]),
            "no-contents",
            1,
        ),
    ];
    for (env, state, code) in cases {
        let out = all(&env, &[]);
        assert_eq!(out.status, code, "{state}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.starts_with(&format!("{state} ")),
            "{state}: {}",
            out.stdout
        );
        assert_eq!(out.stderr.is_empty(), code == 0, "{state}: {}", out.stderr);
    }
    let env = one(&[]);
    let unknown = all(&env, &[]);
    assert_eq!(unknown.status, 1);
    assert_eq!(
        unknown.stdout,
        "unknown-expiry  t  github.com/o  expiry unknown\n"
    );
    assert_eq!(
        unknown.stderr,
        format!(
            "git-credential-scoped: token 't' has no recorded expiry, so nothing warns before it stops working\n\
             git-credential-scoped: hint: to record the expiry GitHub reports, run: git credential-scoped check --online https://github.com/o/r (or set `expires` for it in {})\n\
             git-credential-scoped: 1 of 1 token needs attention\n",
            env.config_path().display()
        )
    );
}

#[test]
fn the_window_is_within_days_or_warn_days() {
    let env = one(&["--expires-in", "20d"]);
    assert_eq!(all(&env, &[]).status, 0);
    let out = all(&env, &["--within", "30"]);
    assert_eq!(out.status, 1);
    assert!(out.stdout.starts_with("expiring "), "{}", out.stdout);
    assert_has(&out.stderr, "token 't' expires 2027-02-04 (in 20 days)");
    assert_has(&out.stderr, "1 of 1 token needs attention");
    assert_eq!(all(&env, &["--within", "19"]).status, 0);
    // warn_days in the config moves the default window.
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    env.write_config(&config.replace("version = 1\n", "version = 1\n[settings]\nwarn_days = 21\n"));
    assert_eq!(all(&env, &[]).status, 1);
    // --within needs --all; --all takes no URLs.
    assert_eq!(
        env.run(&["check", "--within", "3", "https://github.com/o/r"], b"")
            .status,
        2
    );
    assert_eq!(
        env.run(&["check", "--all", "https://github.com/o/r"], b"")
            .status,
        2
    );
}

#[test]
fn the_json_shape_names_every_token_in_reading_order() {
    let env = Env::new().at(NOW);
    env.add(
        &["late", "--owner", "o", "--repo", "a", "--expires-in", "90d"],
        TOKEN,
    )
    .ok();
    env.add(
        &["soon", "--owner", "o", "--all-repos", "--expires-in", "2d"],
        "github_pat_11MONITORSOON00000000_abcdefghijklmnopqrstuvwxyz",
    )
    .ok();
    let out = all(&env, &["--json"]);
    assert_eq!(out.status, 1);
    assert_eq!(out.stderr, "");
    let soon_link = "https://github.com/settings/personal-access-tokens/new?name=soon&description=git-credential-scoped%3A%20all%20o%20repositories&target_name=o&expires_in=90&contents=read";
    assert_eq!(
        out.stdout,
        format!(
            concat!(
                r#"{{"ok":false,"within_days":7,"tokens":["#,
                r#"{{"name":"soon","host":"github.com","owner":"o","repositories":"all","state":"expiring","expires":"2027-01-17T00:00:00Z","days_left":2,"messages":["token 'soon' expires 2027-01-17 (in 2 days); create its successor at {} then run: git credential-scoped rotate soon --expires-in 90d"]}},"#,
                r#"{{"name":"late","host":"github.com","owner":"o","repositories":["a"],"state":"ok","expires":"2027-04-15T00:00:00Z","days_left":90,"messages":[]}}]}}"#,
                "\n"
            ),
            soon_link
        )
    );
}

#[test]
fn it_stays_offline_and_opens_no_secret_store() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "t",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
            "--secret-env",
            "UNSET_TOKEN_VAR",
        ],
        "",
    )
    .ok();
    // Even the keyring is named as the store: nothing connects to it.
    env.write_config(
        &std::fs::read_to_string(env.config_path()).unwrap().replace(
            "[[token]]",
            "[settings]\nsecret_store = \"keyring\"\n\n[[token]]",
        ),
    );
    let out = all(&env, &[]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "ok  t  github.com/o  never expires\n");
    let empty = all(&Env::new(), &[]);
    assert_eq!(empty.status, 0);
    assert_has(&empty.stdout, "no tokens registered in ");
}

/// `~/.local/bin/git-credential-scoped`, where install.sh puts it.
#[cfg(unix)]
fn installed(env: &Env) {
    let bin = env.home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(crate::support::BIN, bin.join("git-credential-scoped")).unwrap();
}

#[cfg(unix)]
fn sh(env: &Env, script: &str) -> Out {
    let mut c = env.command("/bin/sh");
    c.env("PATH", "/usr/bin:/bin").args(["-c", script]);
    crate::support::run_with_stdin(c, b"")
}

#[cfg(unix)]
#[test]
fn the_guide_s_cron_line_and_timer_run_as_written() {
    let cron = crate::readme::guide_block("guide-cron");
    let cron = cron.trim();
    // The command is what follows the five time fields.
    let fields: Vec<&str> = cron.splitn(6, ' ').collect();
    assert_eq!(fields[..5], ["0", "7", "*", "*", "*"], "{cron}");
    let command = fields[5];
    let service = crate::readme::guide_block("guide-systemd-service");
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");

    let fine = one(&["--expires-in", "90d"]);
    installed(&fine);
    let exec_fine = exec.replace("%h", fine.home.to_str().unwrap());
    for script in [command, exec_fine.as_str()] {
        let out = sh(&fine, script);
        assert_eq!(out.status, 0, "{script}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{script}");
    }
    // Silent while all is well: cron mails nothing.
    assert_eq!(sh(&fine, command).stdout, "");

    // 10 days left: inside the --within 14 of both.
    let soon = one(&["--expires-in", "10d"]);
    installed(&soon);
    let exec_soon = exec.replace("%h", soon.home.to_str().unwrap());
    let out = sh(&soon, command);
    assert_eq!(out.status, 1);
    assert_eq!(out.stdout, "");
    assert_has(&out.stderr, "token 't' expires 2027-01-25 (in 10 days)");
    let out = sh(&soon, &exec_soon);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.starts_with("expiring  t  github.com/o"),
        "{}",
        out.stdout
    );
}
