//! The canary: a secret given to the program appears nowhere but the chosen secret store and
//! the protocol answer — not in any other file, not on stderr, not in any command's output.

use crate::support::{Env, NOW};

const CANARY: &str = "github_pat_CANARY0000000000000000_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
const GENERIC: &str = "generic-CANARY-password";
const REFRESH: &str = "refresh-CANARY-token";
const GONE: &str =
    "github_pat_11GONE00000000000000000_CANARYgonegonegonegonegonegonegonegonegonegonegone";

fn assert_absent(what: &str, text: &str) {
    for s in [CANARY, GENERIC, REFRESH, GONE] {
        assert!(!text.contains(s), "{what} holds a secret:\n{text}");
    }
}

#[test]
fn no_secret_leaks_from_any_command_or_file() {
    let env = Env::new().at(NOW);
    let mut outputs = Vec::new();
    outputs.push(env.add(
        &[
            "canary",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires-in",
            "3d",
        ],
        CANARY,
    ));
    outputs.push(env.run(&["store"], format!("protocol=https\nhost=example.com\nusername=u\npassword={GENERIC}\noauth_refresh_token={REFRESH}\n\n").as_bytes()));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "canary"],
        &["show", "canary", "--json"],
        &["unreject", "canary"],
        &["show", "missing"],
        &["--help"],
        &["add", "--help"],
    ] {
        outputs.push(env.run(args, b""));
    }
    // get: the answer is the only place the secret may appear, and stderr (a warning) is clean.
    let got = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert!(got.stdout.contains(CANARY));
    assert_absent("get stderr", &got.stderr);
    // store/erase of the registered token with the secret on stdin.
    let req = format!("protocol=https\nhost=github.com\npath=o/r\npassword={CANARY}\n\n");
    outputs.push(env.run(&["store"], req.as_bytes()));
    outputs.push(env.run(&["erase"], req.as_bytes()));
    outputs.push(env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n"));
    // Error paths: hostile input holding the secret, a duplicate add, a bad rotate.
    outputs.push(
        env.run(
            &["get"],
            format!("protocol=https\nhost=github.com\npassword={CANARY}\npassword={CANARY}\n\n")
                .as_bytes(),
        ),
    );
    outputs.push(env.run(
        &["get"],
        format!("protocol=https\nhost=x\x1b\nusername={CANARY}\n\n").as_bytes(),
    ));
    outputs.push(env.add(&["canary", "--owner", "o", "--repo", "r"], CANARY));
    outputs.push(env.run(
        &["rotate", "canary", "--expires-in", "bogus"],
        format!("{CANARY}\n").as_bytes(),
    ));
    outputs.push(env.run(
        &["store"],
        format!("protocol=https\nhost=example.com\npassword={GENERIC}\x00\n\n").as_bytes(),
    ));
    for out in &outputs {
        assert_absent("stdout", &out.stdout);
        assert_absent("stderr", &out.stderr);
    }
    for (path, content) in env.all_files() {
        if path.parent().is_some_and(|d| d.ends_with("secrets.d")) {
            continue; // the file store the test chose: the one place secrets belong
        }
        assert_absent(
            &path.display().to_string(),
            &String::from_utf8_lossy(&content),
        );
    }
}

/// sha256 of `text`, as `sha256sum` prints it.
fn sha256(text: &str) -> String {
    let mut c = std::process::Command::new("sha256sum");
    c.env_clear();
    let out = crate::support::run_with_stdin(c, text.as_bytes());
    out.stdout
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn token_and_exec_hand_the_secret_only_to_tokens_stdout_and_the_childs_environment() {
    // Issue 14: the canary, carried to the paths that hand the token to something not git.
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(
        &[
            "canary",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires-in",
            "3d",
        ],
        CANARY,
    )
    .ok();
    env.add(
        &[
            "gone",
            "--owner",
            "old",
            "--repo",
            "r",
            "--expires",
            "2020-01-01",
        ],
        GONE,
    )
    .ok();
    // token: the secret on stdout and nowhere else; the expiry warning on stderr is clean.
    let token = env.run(&["token", "o/r"], b"");
    assert_eq!(token.stdout, format!("{CANARY}\n"));
    assert_absent("token stderr", &token.stderr);
    assert!(!token.stderr.is_empty(), "the expiry warning");
    // exec: the child sees it in GH_TOKEN and GITHUB_TOKEN, not in its argv; it prints only
    // a hash of it, so exec's own output holds nothing of it.
    let script = r#"printf '%s' "$GH_TOKEN" | sha256sum; printf '%s' "$GITHUB_TOKEN" | sha256sum; tr '\0' ' ' < /proc/$$/cmdline"#;
    let exec = env.run(&["exec", "--repo", "o/r", "--", "sh", "-c", script], b"");
    assert_eq!(exec.status, 0, "{}", exec.stderr);
    let hash = sha256(CANARY);
    assert_eq!(hash.len(), 64);
    let lines: Vec<&str> = exec.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&hash) && lines[1].starts_with(&hash),
        "{}",
        exec.stdout
    );
    assert!(
        lines[2].starts_with("sh -c "),
        "the child's argv: {}",
        exec.stdout
    );
    let mut outputs = vec![exec];
    // Refusals, usage errors and --help: nothing of any secret anywhere.
    for args in [
        &["token", "old/r"][..],
        &["token", "o/other"],
        &["token", "--help"],
        &["exec", "--repo", "old/r", "--", "env"],
        &["exec", "--repo", "o/r", "--env", "BAD-NAME", "--", "env"],
        &["exec", "--repo", "o/r", "--", "no-such-program-here"],
        &["exec", "--help"],
        &["edit", "canary", "--add-repo", "r2"],
        &[
            "edit",
            "canary",
            "--remove-repo",
            "r",
            "--remove-repo",
            "r2",
        ],
        &["edit", "--help"],
        &["check", "https://github.com/o/r2"],
    ] {
        outputs.push(env.run(args, b""));
    }
    for out in &outputs {
        assert_absent("stdout", &out.stdout);
        assert_absent("stderr", &out.stderr);
    }
    assert_absent("refused token", &outputs[1].stderr);
    for (path, content) in env.all_files() {
        if path.parent().is_some_and(|d| d.ends_with("secrets.d")) {
            continue;
        }
        assert_absent(
            &path.display().to_string(),
            &String::from_utf8_lossy(&content),
        );
    }
}
