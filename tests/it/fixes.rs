//! Issue 17: every printed fix fixes, every documented sentence holds. One test per item
//! of the issue that is not shown elsewhere, numbered as there (#1 and #11 are in setup.rs,
//! #2, #4 and #5 in doctor_fixes.rs with the rest of doctor's fixes, #19 and #20's
//! documentation in docs.rs).

use std::process::Stdio;

use crate::support::{assert_has, assert_lacks, Env, BIN, NOW};

const TOKEN: &str = "github_pat_11FIXESIT000000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";

fn get(env: &Env, path: &str) -> crate::support::Out {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={path}\n\n").as_bytes(),
    )
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f03_a_failed_add_verify_says_to_add_again_not_to_rotate() {
    use gh_test_server::{TestServer, TokenSpec};
    let root = tempfile::tempdir().unwrap();
    let mut spec = TokenSpec::new("t", TOKEN, "alta3");
    spec.repos = Some(vec!["labs".into()]);
    let server = TestServer::start(root.path(), vec![spec]).unwrap();
    server.create_repo("alta3", "labs").unwrap();
    let mut env = Env::new().at(NOW);
    env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
        server.host(),
        server.api_base()
    ));
    let out = env.add(
        &[
            "t",
            "--host",
            &server.host(),
            "--owner",
            "alta3",
            "--repo",
            "demo",
            "--verify",
        ],
        TOKEN,
    );
    assert_eq!(out.status, 2);
    assert_has(
        &out.stderr,
        "then run: the same `git credential-scoped add` again",
    );
    assert_lacks(&out.stderr, "rotate t");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f06_check_writes_the_table_on_stdout_and_the_reasons_on_stderr() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(
        &[
            "a",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires",
            "2027-01-01",
        ],
        TOKEN,
    )
    .ok();
    let out = env.run(&["check", "https://github.com/alta3/labs"], b"");
    assert_eq!(out.status, 1);
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "only the table: {}",
        out.stdout
    );
    assert!(out.stdout.starts_with("refused "), "{}", out.stdout);
    assert_has(
        &out.stderr,
        "git-credential-scoped: refused to send token 'a'",
    );
    assert_has(&out.stderr, "hint: create a new token at");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f07_check_says_what_get_would_do_when_the_secret_cannot_be_had() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(
        &[
            "e",
            "--owner",
            "o",
            "--repo",
            "env",
            "--no-expiry",
            "--secret-env",
            "F07_UNSET",
        ],
        "",
    )
    .ok();
    env.add(
        &[
            "c",
            "--owner",
            "o",
            "--repo",
            "cmd",
            "--no-expiry",
            "--secret-command",
            "exit 3",
        ],
        "",
    )
    .ok();
    // Issue 24 #2: offline check runs no secret command (it may be slow or ask for a
    // passphrase); an environment variable, which is no store, is looked at.
    for (repo, why) in [
        ("env", Some("environment variable F07_UNSET is not set")),
        ("cmd", None),
    ] {
        let url = format!("https://github.com/o/{repo}");
        let out = env.run(&["check", &url], b"");
        if let Some(why) = why {
            assert_eq!(out.status, 1, "{url}");
            assert!(out.stdout.starts_with("unavailable "), "{}", out.stdout);
            assert_has(&out.stderr, why);
        } else {
            assert!(out.stdout.starts_with("ok "), "{}", out.stdout);
        }
        assert_eq!(
            get(&env, &format!("o/{repo}")).stdout,
            "quit=1\n",
            "and get stops"
        );
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f08_check_agrees_with_get_for_a_credential_stored_for_another_host() {
    let env = Env::new();
    // check answers for git's configuration as it stands: git asks this helper.
    env.use_http_path();
    let fill = env.git(
        &["credential", "approve"],
        b"url=https://gitlab.example.com/grp/proj\nusername=me\npassword=pw\n\n",
    );
    fill.ok();
    let got = env.git(
        &["credential", "fill"],
        b"url=https://gitlab.example.com/grp/proj\n\n",
    );
    assert_has(&got.ok().stdout, "password=pw");
    let check = env.run(&["check", "https://gitlab.example.com/grp/proj"], b"");
    assert_eq!(check.status, 0, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.starts_with("ok "), "{}", check.stdout);
}

#[test]
fn f09_a_fixed_clock_that_is_not_a_time_is_refused() {
    let mut env = Env::new();
    env.set("GIT_CREDENTIAL_SCOPED_TEST_NOW", "garbage");
    for args in [&["list"][..], &["get"]] {
        let out = env.run(args, b"protocol=https\nhost=example.com\n\n");
        assert_eq!(out.status, 2, "{args:?}");
        assert_has(
            &out.stderr,
            "GIT_CREDENTIAL_SCOPED_TEST_NOW must be Unix seconds or a date",
        );
    }
}

#[test]
fn f10_rotate_without_an_expiry_forgets_a_stored_tokens_and_keeps_an_env_tokens() {
    let mut env = Env::new().at(NOW);
    env.set("F10_TOKEN", TOKEN);
    env.add(
        &[
            "s",
            "--owner",
            "o",
            "--repo",
            "a",
            "--expires",
            "2027-06-01",
        ],
        TOKEN,
    )
    .ok();
    env.add(
        &[
            "e",
            "--owner",
            "o",
            "--repo",
            "b",
            "--expires",
            "2027-06-01",
            "--secret-env",
            "F10_TOKEN",
        ],
        "",
    )
    .ok();
    env.run(&["rotate", "s"], format!("{TOKEN}x\n").as_bytes())
        .ok();
    env.run(&["rotate", "e"], b"").ok();
    let list = env.run(&["list", "--json"], b"").stdout;
    let doc: serde_json::Value = serde_json::from_str(&list).unwrap();
    let expires = |name: &str| {
        doc["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["expires"]
            .clone()
    };
    assert_eq!(
        expires("s"),
        serde_json::Value::Null,
        "a new secret: expiry unknown"
    );
    assert_eq!(expires("e"), "2027-06-01T00:00:00Z", "kept");
    let help = env.run(&["rotate", "--help"], b"").stdout;
    assert_has(&help, "keeps its expiry unless one is given");
}

// The unreachable keyring is Linux's (no session bus here); Keychain and Credential Manager are always there.
#[cfg(target_os = "linux")]
#[test]
fn f12_remove_with_the_keyring_unreachable_changes_nothing_and_says_so() {
    let env = Env::new().at(NOW);
    let config = "version = 1\n[[token]]\nname = \"kt\"\nowner = \"o\"\nrepositories = [\"r\"]\nexpires = \"never\"\nsecret = \"keyring\"\n";
    env.write_config(config);
    let out = env.run(&["remove", "kt", "--yes"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "the OS keyring is not reachable");
    assert_has(&out.stderr, "nothing was changed");
    assert_eq!(std::fs::read_to_string(env.config_path()).unwrap(), config);
}

#[test]
fn f13_a_second_default_token_for_a_host_is_refused_and_doctor_finds_two() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "one",
            "--owner",
            "o",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        TOKEN,
    )
    .ok();
    let out = env.add(
        &[
            "two",
            "--owner",
            "p",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        TOKEN,
    );
    assert_eq!(out.status, 2);
    assert_has(
        &out.stderr,
        "token 'one' is already the default for github.com",
    );
    // The printed fix, run as it stands, makes room for the new default.
    let fix = out
        .stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("git-credential-scoped: hint: leave out --default, or run first: ")
        })
        .unwrap_or_else(|| panic!("no runnable hint: {}", out.stderr));
    assert_eq!(fix, "git credential-scoped edit one --no-default");
    // Its words after `git credential-scoped`, given to the binary itself: what git would
    // run, and also under wine, which has neither git nor sh.
    let words: Vec<&str> = fix
        .strip_prefix("git credential-scoped ")
        .unwrap()
        .split(' ')
        .collect();
    env.run(&words, b"").ok();
    env.add(
        &[
            "two",
            "--owner",
            "p",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        TOKEN,
    )
    .ok();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(
        env.config_path(),
        format!("{text}\n[[token]]\nname = \"three\"\nowner = \"q\"\nrepositories = \"all\"\nexpires = \"never\"\nsecret = \"file\"\ndefault = true\n"),
    )
    .unwrap();
    let doctor = env.run(&["doctor"], b"").stdout;
    assert_has(
        &doctor,
        "tokens 'two', 'three' are all marked default for github.com",
    );
}

/// Runs bash with the completion script loaded and `lines` after it; its stdout.
fn bash(env: &Env, lines: &str) -> String {
    let script = env.run(&["completions", "bash"], b"").stdout;
    let path = env.tmp.path().join("completion.bash");
    std::fs::write(&path, script).unwrap();
    let out = env
        .command("bash")
        .args(["-c", &format!("source {}\n{lines}", path.display())])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f14_options_complete_and_git_credential_scoped_completes_too() {
    let env = Env::new();
    let direct = bash(
        &env,
        "COMP_WORDS=(git-credential-scoped add --ow); COMP_CWORD=2\n_git__credential__scoped git-credential-scoped --ow add\necho \"${COMPREPLY[*]}\"",
    );
    assert_eq!(direct.trim(), "--owner");
    let git_completion = "/usr/share/bash-completion/completions/git";
    if !git_completion_present() {
        return;
    }
    let via_git = bash(
        &env,
        &format!("source {git_completion}\nCOMP_WORDS=(git credential-scoped check --on); COMP_CWORD=3; COMP_LINE='git credential-scoped check --on'; COMP_POINT=${{#COMP_LINE}}\n__git_func_wrap __git_main\necho \"${{COMPREPLY[*]}}\""),
    );
    assert_eq!(via_git.trim(), "--online");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f15_check_json_names_the_api_even_when_it_cannot_be_reached() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = Env::new().at(NOW);
    env.use_http_path();
    let api = format!("https://127.0.0.1:{port}/api/v3");
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"127.0.0.1:{port}\"\napi = \"{api}\"\n"
    ));
    env.add(
        &[
            "t",
            "--host",
            &format!("127.0.0.1:{port}"),
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
        ],
        TOKEN,
    )
    .ok();
    let out = env.run(
        &[
            "check",
            "--online",
            "--json",
            &format!("https://127.0.0.1:{port}/o/r"),
        ],
        b"",
    );
    assert_has(&out.stdout, &format!("\"api\":\"{api}\""));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn f16_setup_for_a_host_that_allows_http_covers_http_too() {
    let env = Env::new();
    env.write_config("version = 1\n[[host]]\nname = \"127.0.0.1:8080\"\nallow_http = true\n");
    env.run(&["setup", "--host", "127.0.0.1:8080"], b"").ok();
    let list = env
        .command("git")
        .args(["config", "--global", "--list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert_has(
        &list,
        &format!("credential.http://127.0.0.1:8080.helper={BIN}"),
    );
    assert_has(&list, "credential.http://127.0.0.1:8080.usehttppath=true");
    assert_has(
        &list,
        &format!("credential.https://127.0.0.1:8080.helper={BIN}"),
    );
    let doctor = env.run(&["doctor"], b"");
    assert_has(&doctor.stdout, "\nhttp://127.0.0.1:8080\n");
    assert_lacks(
        &doctor.stdout,
        "does not ask git-credential-scoped for 127.0.0.1:8080",
    );
    assert_lacks(
        &doctor.stdout,
        "does not ask git-credential-scoped for http://127.0.0.1:8080",
    );
}

#[test]
fn f17_mistakes_are_refused_or_warned_about() {
    let env = Env::new().at(NOW);
    let past = env.add(
        &[
            "p",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires",
            "2020-01-01",
        ],
        TOKEN,
    );
    past.ok();
    assert_has(
        &past.stderr,
        "warning: the expiry 2020-01-01 is already past",
    );
    let bad = env.add(
        &[
            "b",
            "--owner",
            "o",
            "--repo",
            "r",
            "--secret-env",
            "BAD-NAME",
        ],
        "",
    );
    assert_eq!(bad.status, 2);
    assert_has(
        &bad.stderr,
        "--secret-env 'BAD-NAME' is not an environment variable name",
    );
}

#[test]
fn f18_help_prints_help_and_unknown_commands_say_so() {
    let env = Env::new();
    let help = env.run(&["help"], b"");
    assert_has(&help.ok().stdout, "Usage: git-credential-scoped");
    let add = env.run(&["help", "add"], b"");
    assert_has(&add.ok().stdout, "Usage: git-credential-scoped add");
    for args in [&["completion", "bash"][..], &["help", "nosuch"]] {
        let out = env.run(args, b"");
        assert_eq!(out.status, 2, "{args:?}");
        assert_has(
            &out.stderr,
            "git credential-scoped --help lists the commands",
        );
    }
    // git's own rule stays: a bare action word it does not define, on a pipe, is ignored.
    let bare = env.run(&["capability"], b"");
    assert_eq!(
        (bare.status, bare.stdout.as_str(), bare.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn f20_ssh_urls_are_told_that_ssh_does_not_use_credential_helpers() {
    let env = Env::new();
    for url in [
        "ssh://git@github.com/alta3/labs",
        "git@github.com:alta3/labs.git",
    ] {
        let out = env.run(&["check", url], b"");
        assert_eq!(out.status, 2, "{url}");
        assert_has(&out.stderr, "SSH remotes do not use credential helpers");
        assert_lacks(&out.stderr, "insecure-protocol");
    }
}

/// Issue 24 #3: GUIDE §3's layered tokens (one for all repositories, one narrower) are
/// reported as a note with no fix to run, never `remove`; and `remove` itself asks before
/// deleting a secret: refused without a terminal unless `--yes`.
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn layered_tokens_get_no_fix_and_remove_asks_first() {
    let env = Env::new().at(NOW);
    let all = [
        "alta3",
        "--owner",
        "alta3",
        "--all-repos",
        "--expires-in",
        "90d",
    ];
    env.add(&all, TOKEN).ok();
    let narrow = [
        "alta3-infra",
        "--owner",
        "alta3",
        "--repo",
        "infrastructure",
    ];
    env.add(&narrow, &format!("{TOKEN}2")).ok();
    let out = env.run(&["doctor"], b"");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert_has(&said, "note: tokens 'alta3' and 'alta3-infra' both cover");
    assert_lacks(&said, "credential-scoped remove");
    let doc: serde_json::Value =
        serde_json::from_str(&env.run(&["doctor", "--json"], b"").stdout).unwrap();
    let overlap = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "overlapping-scopes")
        .expect("an overlapping-scopes note");
    assert!(overlap["fix"].is_null(), "{overlap}");

    let refused = env.run(&["remove", "alta3"], b"y\n");
    assert_eq!(refused.status, 2, "{}", refused.stderr);
    assert_has(
        &refused.stderr,
        "refused: no terminal to confirm removing token 'alta3'",
    );
    assert_has(&refused.stderr, "add --yes");
    assert_eq!(env.stored_secrets().len(), 2, "nothing deleted");
    env.run(&["remove", "alta3", "--yes"], b"").ok();
    assert_eq!(env.stored_secrets().len(), 1);
}

/// Whether git's bash completion (Debian's `git` package ships it) is there; without it
/// a test stops here, and fails under CI, where it must be.
fn git_completion_present() -> bool {
    let git_completion = "/usr/share/bash-completion/completions/git";
    crate::support::prerequisite(
        &format!("git's bash completion {git_completion} (Debian package git)"),
        std::path::Path::new(git_completion).exists(),
    )
}

/// Issue 24 #13: token names complete after show, remove, rotate, edit and unreject —
/// typed as `git-credential-scoped ...` and as `git credential-scoped ...` through git's own
/// bash completion; the zsh script offers them too.
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn token_names_complete_for_the_commands_that_take_one() {
    let env = Env::new();
    for name in ["alta3", "alta3-infra", "client-x"] {
        env.add(
            &[name, "--owner", "o", "--repo", "r"],
            &format!("{TOKEN}{}", name.len()),
        )
        .ok();
    }
    let direct = bash(
        &env,
        "COMP_WORDS=(git-credential-scoped rotate al); COMP_CWORD=2\n_git_credential_scoped_names git-credential-scoped al rotate\necho \"${COMPREPLY[*]}\"",
    );
    assert_eq!(direct.trim(), "alta3 alta3-infra");
    let zsh = env.run(&["completions", "zsh"], b"").stdout;
    assert_eq!(
        zsh.matches(":_git_credential_scoped_tokens'").count(),
        5,
        "{zsh}"
    );
    if !git_completion_present() {
        return;
    }
    for (sub, typed, want) in [
        ("show", "", "alta3 alta3-infra client-x"),
        ("remove", "cl", "client-x"),
        ("edit", "alta3-", "alta3-infra"),
        ("unreject", "a", "alta3 alta3-infra"),
    ] {
        let line = format!("git credential-scoped {sub} {typed}");
        let via_git = bash(
            &env,
            &format!("source /usr/share/bash-completion/completions/git\nCOMP_WORDS=(git credential-scoped {sub} '{typed}'); COMP_CWORD=3; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n__git_func_wrap __git_main\necho \"${{COMPREPLY[*]}}\""),
        );
        assert_eq!(via_git.trim(), want, "{line}");
    }
}
