//! Issue 22 #8: what came from a file, a server, git or the environment is escaped before it
//! is printed, on every command, terminal or not: C0 and C1 controls, DEL and the bidi and
//! invisible format characters never reach the output raw.

use crate::support::{assert_has, Env, Out, NOW};

const SECRET: &str =
    "github_pat_11ESCAPE0000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

/// No ESC, no C1 control, no bidi or invisible format character anywhere in the output.
fn assert_clean(out: &Out) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n')
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
            })
            .collect();
        assert!(bad.is_empty(), "{name} holds {bad:?}:\n{text}");
    }
}

#[test]
fn show_escapes_c1_controls_and_bidi_overrides_in_the_user_name() {
    let env = Env::new().at(NOW);
    let user = "me\u{9b}31m\u{202e}nimda";
    env.add(
        &["t", "--owner", "alta3", "--all-repos", "--username", user],
        SECRET,
    )
    .ok();
    let out = env.run(&["show", "t"], b"");
    out.ok();
    assert_clean(&out);
    assert_has(
        &out.stdout,
        "username:     me\\xc2\\x9b31m\\xe2\\x80\\xaenimda",
    );
    let json = env.run(&["show", "t", "--json"], b"");
    assert_clean(&json);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["username"], user, "the exact value, for scripts");
}

#[test]
fn import_dry_run_escapes_a_user_name_decoded_from_the_store_file() {
    let env = Env::new().at(NOW);
    // A C1 control (U+009B, a terminal's CSI) and a bidi override (U+202E) are a name the
    // registry takes; an ESC is not, and its line is named without the name.
    std::fs::write(
        env.home.join(".git-credentials"),
        format!(
            "https://%E2%80%AE%C2%9Bx:{SECRET}@github.com/alta3/labs\nhttps://%1B%5B2J:{SECRET}x@github.com/alta3/demo\n"
        ),
    )
    .unwrap();
    let out = env.run(&["import", "--dry-run"], b"");
    out.ok();
    assert_clean(&out);
    assert!(!out.stdout.contains(SECRET));
    assert_has(&out.stdout, "username:     \\xe2\\x80\\xae\\xc2\\x9bx");
    assert_has(&out.stdout, "line 2: the registry cannot take it");
}

/// gh's own words (its stderr when it holds no token) reach the terminal escaped.
#[cfg(unix)]
#[test]
fn import_from_gh_escapes_what_gh_says() {
    use std::os::unix::fs::PermissionsExt;
    let mut env = Env::new().at(NOW);
    let bin = env.home.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\nprintf 'no oauth token for mona\\033]0;x\\007\\302\\233\\n' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("PATH", &format!("{}:/usr/bin:/bin", bin.display()));
    let out = env.run(
        &[
            "import",
            "--from",
            "gh",
            "--owner",
            "alta3",
            "--all-repos",
            "--dry-run",
        ],
        b"",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_clean(&out);
    assert_has(&out.stderr, "mona\\x1b]0;x\\x07\\xc2\\x9b");
}

/// An include file whose name holds a terminal sequence: git reports it as the origin.
fn hostile_include(env: &Env) -> std::path::PathBuf {
    let inc = env.home.join("inc\u{1b}[2J\u{202e}.cfg");
    std::fs::write(&inc, "[credential]\n\thelper = store\n").unwrap();
    let status = env
        .command("git")
        .args(["config", "--global", "include.path"])
        .arg(&inc)
        .status()
        .unwrap();
    assert!(status.success());
    inc
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn doctor_escapes_git_config_origins() {
    let env = Env::new().at(NOW);
    hostile_include(&env);
    let out = env.run(&["doctor"], b"");
    assert_clean(&out);
    assert_has(&out.stdout, "inc\\x1b[2J\\xe2\\x80\\xae.cfg");
    let json = env.run(&["doctor", "--json"], b"");
    assert_clean(&json);
    assert_has(&json.stdout, "inc\\u001b[2J\\u202e.cfg");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn setup_escapes_git_config_origins_and_values() {
    let mut env = Env::new().at(NOW);
    hostile_include(&env);
    let global = env.home.join("g\u{1b}[31m\u{9b}.gitconfig");
    env.set("GIT_CONFIG_GLOBAL", global.to_str().unwrap());
    let status = env
        .command("git")
        .args([
            "config",
            "--global",
            "credential.https://github.com.helper",
            "ev\u{1b}[8mil",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let out = env.run(&["setup"], b"");
    out.ok();
    assert_clean(&out);
    assert_has(&out.stdout, "g\\x1b[31m\\xc2\\x9b.gitconfig");
    let out = env.run(&["setup", "--uninstall"], b"");
    out.ok();
    assert_clean(&out);
}

// File names with control characters: Windows refuses them.
#[cfg(unix)]
#[test]
fn an_error_naming_a_path_from_the_environment_reaches_stderr_defanged() {
    // The net under every error line: a path from the environment inside an error text.
    let mut env = Env::new().at(NOW);
    let dir = env.tmp.path().join("cfg\u{1b}[2J\u{202e}");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "version = [\n").unwrap();
    env.set("GIT_CREDENTIAL_SCOPED_CONFIG", config.to_str().unwrap());
    for args in [&["list"][..], &["get"]] {
        let out = env.run(args, b"protocol=https\nhost=github.com\npath=a/b\n\n");
        assert_clean(&out);
        assert_has(&out.stderr, "cfg\\x1b[2J\\xe2\\x80\\xae");
    }
}

// File names with control characters: Windows refuses them.
#[cfg(unix)]
#[test]
fn a_config_path_from_the_environment_is_escaped_on_stdout() {
    let mut env = Env::new().at(NOW);
    let dir = env.tmp.path().join("c\u{1b}]0;t\u{7}\u{9b}");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "version = 1\n").unwrap();
    env.set("GIT_CREDENTIAL_SCOPED_CONFIG", config.to_str().unwrap());
    for args in [&["list"][..], &["check", "--all"]] {
        let out = env.run(args, b"");
        assert_clean(&out);
        assert_has(&out.stdout, "c\\x1b]0;t\\x07\\xc2\\x9b/config.toml");
    }
}
