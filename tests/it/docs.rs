//! The GUIDE's and the FAQ's shell blocks, run as written (issue 17: "every shell block in
//! GUIDE and FAQ is run by a test or says why not"; readme.rs checks that each is marked).
//! A block is run in a hermetic environment, either as one `sh -e` script or command by
//! command (a line, joined over `\` continuations; comments kept for sh to drop), each
//! command then getting its own stdin — so several `add`s each read their own token.

use std::io::Write;
use std::process::Stdio;

use crate::readme::{faq_block, guide_block};
use crate::support::{assert_has, Env, Out, NOW};

const TOKEN: &str = "github_pat_11DOCS0000000000000000000_abcdefghijklmnopqrstuvwxyz0123456789";

fn token(i: usize) -> String {
    format!("{TOKEN}{i:02}")
}

fn sh(env: &Env, script: &str, stdin: &str) -> Out {
    let mut c = env.command("sh");
    c.args(["-ec", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Out {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The commands of a block: its lines, continuations joined, blank lines dropped.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        current.push_str(line);
        if let Some(cut) = current.strip_suffix('\\') {
            current = format!("{cut}\n");
            continue;
        }
        if !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.clear();
    }
    out
}

/// Runs each command of the block with `stdin(i)`; every one must succeed.
fn run_each(env: &Env, name: &str, block: &str, stdin: impl Fn(usize) -> String) -> Vec<Out> {
    commands(block)
        .iter()
        .enumerate()
        .map(|(i, cmd)| {
            let out = sh(env, cmd, &stdin(i));
            assert_eq!(
                out.status, 0,
                "{name}: `{cmd}` failed:\n{}{}",
                out.stdout, out.stderr
            );
            out
        })
        .collect()
}

#[test]
fn registering_a_token_as_the_guide_shows() {
    let env = Env::new().at(NOW);
    let link = run_each(
        &env,
        "guide-new-token",
        &guide_block("guide-new-token"),
        |_| String::new(),
    );
    assert_has(
        &link[0].stdout,
        "https://github.com/settings/personal-access-tokens/new?",
    );
    run_each(&env, "guide-add", &guide_block("guide-add"), |_| {
        format!("{TOKEN}\n")
    });
    assert_has(&env.run(&["list"], b"").ok().stdout, "alta3");
}

#[test]
fn several_organizations_as_the_guide_shows() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    run_each(&env, "guide-several", &guide_block("guide-several"), |i| {
        format!("{}\n", token(i))
    });
    let check = run_each(
        &env,
        "guide-several-check",
        &guide_block("guide-several-check"),
        |_| String::new(),
    );
    // What the GUIDE says: the narrower token for infrastructure, the owner's for the rest.
    assert_has(
        &check[0].stdout,
        "alta3/infrastructure  token 'alta3-infra'",
    );
    assert_has(&check[0].stdout, "alta3/labs  token 'alta3'");
}

#[test]
fn the_secret_stores_as_the_guide_shows() {
    let mut env = Env::new().at(NOW);
    env.set("TOKEN", TOKEN);
    let out = sh(&env, &guide_block("guide-file-store"), "");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(env
        .stored_secrets()
        .iter()
        .any(|(_, v)| v == TOKEN.as_bytes()));
    let env = Env::new().at(NOW);
    run_each(
        &env,
        "guide-secret-command",
        &guide_block("guide-secret-command"),
        |_| String::new(),
    );
    assert_has(
        &env.run(&["show", "alta3"], b"").ok().stdout,
        "secret:       command",
    );
}

#[test]
fn the_headless_keyring_recipe_works() {
    let have = |p: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let both = have("dbus-run-session") && have("gnome-keyring-daemon");
    if !crate::support::prerequisite(
        "dbus-run-session and gnome-keyring-daemon (scripts/test.sh installs them)",
        both,
    ) {
        return;
    }
    let mut env = Env::new().at(NOW);
    env.set("TOKEN", TOKEN);
    let runtime = env.tmp.path().to_str().unwrap().to_string();
    env.set("XDG_RUNTIME_DIR", &runtime);
    env.set("KEYRING_PASSWORD", "a password for this keyring");
    let out = sh(&env, &guide_block("guide-headless-keyring"), "");
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "the keyring holds the token");
    assert!(env.stored_secrets().is_empty(), "nothing in the file store");
    // What the GUIDE warns about: an empty password leaves the keyring unreachable.
    let mut empty = Env::new().at(NOW);
    empty.set("TOKEN", TOKEN);
    let runtime = empty.tmp.path().to_str().unwrap().to_string();
    empty.set("XDG_RUNTIME_DIR", &runtime);
    empty.set("KEYRING_PASSWORD", "");
    let out = sh(&empty, &guide_block("guide-headless-keyring"), "");
    assert_ne!(out.status, 0);
    assert_has(&out.stderr, "the OS keyring is not reachable");
}

#[test]
fn an_enterprise_host_as_the_guide_shows() {
    let env = Env::new().at(NOW);
    env.write_config(&guide_block("guide-ghe-config"));
    run_each(&env, "guide-ghe", &guide_block("guide-ghe"), |_| {
        format!("{TOKEN}\n")
    });
    let list = env
        .command("git")
        .args(["config", "--global", "--list"])
        .output()
        .unwrap();
    assert_has(
        &String::from_utf8_lossy(&list.stdout),
        "credential.https://ghe.example.com.usehttppath=true",
    );
    assert_has(&env.run(&["list"], b"").ok().stdout, "ghe.example.com");
}

#[test]
fn rotating_and_editing_as_the_guide_shows() {
    let env = Env::new().at(NOW);
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
        TOKEN,
    )
    .ok();
    run_each(&env, "guide-rotate", &guide_block("guide-rotate"), |_| {
        format!("{}\n", token(1))
    });
    assert!(crate::support::run_get(&env, "alta3/labs").contains(&token(1)));
    run_each(&env, "guide-edit", &guide_block("guide-edit"), |_| {
        String::new()
    });
    let show = env.run(&["show", "alta3"], b"").ok().stdout.clone();
    assert_has(&show, "repositories: all");
    assert_has(&show, "contents=write");
    assert_has(&show, "2027-03-01");
}

#[test]
fn the_registry_file_example_reads_as_documented() {
    let env = Env::new().at(NOW);
    env.write_config(&guide_block("guide-registry"));
    let list = env.run(&["list", "--json"], b"");
    let doc: serde_json::Value = serde_json::from_str(&list.ok().stdout).unwrap();
    let names: Vec<&str> = doc["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alta3", "ci"]);
    env.write_config(&guide_block("guide-settings"));
    env.run(&["list"], b"").ok();
}

#[test]
fn the_faq_s_commands_run_as_written() {
    let mut env = Env::new().at(NOW);
    let cargo_home = env.tmp.path().join("cargo").to_str().unwrap().to_string();
    env.set("CARGO_HOME", &cargo_home);
    env.use_http_path();
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
    env.run(&["setup"], b"").ok();
    for (name, stdin) in [
        ("faq-doctor", String::new()),
        ("faq-check", String::new()),
        ("faq-rotate", format!("{}\n", token(2))),
        ("faq-cargo", String::new()),
    ] {
        for cmd in commands(&faq_block(name)) {
            let out = sh(&env, &cmd, &stdin);
            // doctor exits 1 for warnings (here: cargo's note is none once set up); 2 is a usage error.
            assert!(
                out.status == 0 || (name == "faq-doctor" && out.status == 1),
                "{name}: `{cmd}`: {}{}",
                out.stdout,
                out.stderr
            );
        }
    }
    assert!(crate::support::run_get(&env, "alta3/labs").contains(&token(2)));
}

/// A `gh` that does to git's config what `gh auth setup-git` does (cli/cli,
/// pkg/cmd/auth/shared/gitcredentials: `--replace-all` with "", then `--add` its own helper,
/// for github.com and gist.github.com), and answers `auth git-credential` with its token.
const FAKE_GH: &str = r#"#!/bin/sh
case "$1 $2" in
"auth setup-git")
	for host in github.com gist.github.com; do
		git config --global --replace-all "credential.https://$host.helper" ""
		git config --global --add "credential.https://$host.helper" "!'$0' auth git-credential"
	done ;;
"auth git-credential")
	[ "$3" = get ] && printf 'username=gh-user\npassword=gho_GHSTOKEN\n' ;;
esac
"#;

#[test]
fn gh_auth_setup_git_after_setup_as_the_faq_says() {
    // Issue 24 #10: gh replaces setup's helper line silently; doctor finds it, setup repairs.
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new().at(NOW);
    let bin = env.tmp.path().join("ghbin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(&gh, FAKE_GH).unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
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
    env.run(&["setup"], b"").ok();
    let fill = || {
        sh(
            &env,
            "printf 'url=https://github.com/alta3/labs\\n\\n' | git credential fill",
            "",
        )
    };
    assert_has(&fill().stdout, &format!("password={TOKEN}"));
    sh(&env, &format!("'{}' auth setup-git", gh.display()), "").ok();
    assert_has(&fill().stdout, "password=gho_GHSTOKEN");
    let block = faq_block("faq-gh-setup-git");
    let cmds = commands(&block);
    let doctor = sh(&env, &cmds[0], "");
    assert_eq!(doctor.status, 1, "{}", doctor.stdout);
    assert_has(
        &doctor.stdout,
        "git does not ask git-credential-scoped for github.com",
    );
    sh(&env, &cmds[1], "").ok();
    assert_has(&fill().stdout, &format!("password={TOKEN}"));
    let doctor = env.run(&["doctor", "--json"], b"");
    assert!(
        !doctor.stdout.contains("helper-missing"),
        "{}",
        doctor.stdout
    );
}
