//! `token` and `exec` offline: table-driven against `get` and `check` for the same
//! repository — `token` prints exactly the secret `get` answers with, refuses exactly where
//! `get` refuses (with `get`'s own lines on stderr, nothing on stdout, exit 1), and `check`
//! passes exactly where `token` prints; then `exec`'s environment, exit status and refusals.

use crate::support::{assert_has, assert_lacks, Env, DAY, NOW};

fn pat(tag: &str) -> String {
    format!("github_pat_11{tag:0<20}_{tag:x<59}")
}

/// The registry every row of the table is decided against.
fn registry() -> Env {
    let env = Env::new().at(NOW);
    env.use_http_path();
    let tokens: &[(&str, &[&str])] = &[
        (
            "alta3",
            &[
                "--owner",
                "alta3",
                "--repo",
                "labs,demo",
                "--expires-in",
                "90d",
            ],
        ),
        (
            "soon",
            &["--owner", "soonco", "--repo", "x", "--expires-in", "3d"],
        ),
        (
            "old",
            &["--owner", "oldco", "--repo", "x", "--expires", "2026-12-01"],
        ),
        (
            "blind",
            &[
                "--owner",
                "nc",
                "--repo",
                "x",
                "--permission",
                "contents=none",
                "--no-expiry",
            ],
        ),
        ("rej", &["--owner", "rejco", "--repo", "x", "--no-expiry"]),
        (
            "narrow",
            &[
                "--owner",
                "layered",
                "--repo",
                "x",
                "--expires",
                "2026-12-01",
            ],
        ),
        (
            "wide",
            &["--owner", "layered", "--all-repos", "--no-expiry"],
        ),
        (
            "pusher",
            &[
                "--owner",
                "pushco",
                "--repo",
                "x",
                "--permission",
                "contents=write",
                "--no-expiry",
            ],
        ),
    ];
    for (name, args) in tokens {
        let mut all = vec![*name];
        all.extend_from_slice(args);
        env.add(&all, &pat(name)).ok();
    }
    // git's erase after a 401 marks `rej` rejected.
    env.run(
        &["erase"],
        format!(
            "protocol=https\nhost=github.com\npath=rejco/x.git\npassword={}\n\n",
            pat("rej")
        )
        .as_bytes(),
    )
    .ok();
    // A credential git stored for another host (useHttpPath is on: with its path).
    env.run(
        &["store"],
        b"protocol=https\nhost=gitlab.example.com\npath=team/app\nusername=me\npassword=gitlab-password-1\n\n",
    )
    .ok();
    env
}

struct Row {
    /// What `token` is given (a URL or OWNER/REPO).
    arg: &'static str,
    /// The URL `check` is given and `get` is asked about.
    url: &'static str,
    write: bool,
    /// The token whose secret is printed; "generic" for the stored credential; None: refused.
    gives: Option<&'static str>,
}

const fn row(arg: &'static str, url: &'static str, gives: Option<&'static str>) -> Row {
    Row {
        arg,
        url,
        write: false,
        gives,
    }
}

const TABLE: &[Row] = &[
    row("alta3/labs", "https://github.com/alta3/labs", Some("alta3")),
    row(
        "https://github.com/Alta3/demo.git",
        "https://github.com/Alta3/demo.git",
        Some("alta3"),
    ),
    row("soonco/x", "https://github.com/soonco/x", Some("soon")),
    row("layered/x", "https://github.com/layered/x", Some("wide")),
    row(
        "layered/other",
        "https://github.com/layered/other",
        Some("wide"),
    ),
    row("oldco/x", "https://github.com/oldco/x", None),
    row("nc/x", "https://github.com/nc/x", None),
    row("rejco/x", "https://github.com/rejco/x", None),
    row("alta3/zzz", "https://github.com/alta3/zzz", None),
    row("acme/x", "https://github.com/acme/x", None),
    row(
        "https://gitlab.example.com/team/app",
        "https://gitlab.example.com/team/app",
        Some("generic"),
    ),
    row(
        "https://gitlab.example.com/team/other",
        "https://gitlab.example.com/team/other",
        None,
    ),
    Row {
        write: true,
        ..row("alta3/labs", "https://github.com/alta3/labs", None)
    },
    Row {
        write: true,
        ..row("pushco/x", "https://github.com/pushco/x", Some("pusher"))
    },
];

fn secret_of(gives: &str) -> String {
    match gives {
        "generic" => "gitlab-password-1".into(),
        name => pat(name),
    }
}

/// What git sends to `get` for a URL with useHttpPath on.
fn request(url: &str) -> String {
    let (protocol, rest) = url.split_once("://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    format!("protocol={protocol}\nhost={host}\npath={path}\n\n")
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn token_refuses_exactly_where_get_refuses_and_check_agrees_row_by_row() {
    let env = registry();
    for r in TABLE {
        let mut targs = vec!["token", r.arg];
        let mut cargs = vec!["check", "--json", r.url];
        if r.write {
            targs.push("--write");
            cargs.push("--write");
        }
        let token = env.run(&targs, b"");
        let check = env.run(&cargs, b"");
        let what = format!(
            "{} (write: {})\ntoken: {}{}\ncheck: {}",
            r.arg, r.write, token.stdout, token.stderr, check.stdout
        );
        // check passes exactly where token prints.
        assert_eq!(token.status == 0, check.status == 0, "{what}");
        match r.gives {
            Some(gives) => {
                assert_eq!(token.status, 0, "{what}");
                assert_eq!(token.stdout, format!("{}\n", secret_of(gives)), "{what}");
                if gives != "generic" {
                    assert_has(&check.stdout, &format!(r#""token":"{gives}""#));
                }
            }
            None => {
                assert_eq!(token.status, 1, "{what}");
                assert_eq!(token.stdout, "", "nothing on stdout when refused: {what}");
                assert!(!token.stderr.is_empty(), "the reason on stderr: {what}");
            }
        }
        if r.write {
            continue; // git's get never asks for write access
        }
        // get: the same answer, and token says get's own lines first.
        let get = env.run(&["get"], request(r.url).as_bytes());
        get.ok();
        match r.gives {
            Some(gives) => assert_has(&get.stdout, &format!("password={}\n", secret_of(gives))),
            None => assert!(
                !get.stdout.contains("password="),
                "{what}\nget: {}",
                get.stdout
            ),
        }
        assert!(
            token.stderr.starts_with(&get.stderr),
            "{what}\nget's stderr:\n{}",
            get.stderr
        );
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn refusals_carry_gets_reason_and_fix() {
    let env = registry();
    let out = env.run(&["token", "oldco/x"], b"");
    assert_eq!(out.status, 1);
    assert_has(&out.stderr, "git-credential-scoped: refused to send token 'old' for oldco/x on github.com: it expired 2026-12-01 (45 days ago)\n");
    assert_has(&out.stderr, "git credential-scoped rotate old");
    let wide = env.run(&["token", "layered/x"], b"");
    assert_has(
        &wide.stderr,
        "token 'narrow' covers this repository more narrowly but was passed over",
    );
    // Where get says nothing (no token of the owner), token still says why and what to do.
    let none = env.run(&["token", "acme/x"], b"");
    assert_eq!(none.status, 1);
    assert_has(
        &none.stderr,
        "git-credential-scoped: no token for acme on github.com covers acme/x\n",
    );
    assert_has(
        &none.stderr,
        "git credential-scoped add acme-x --owner acme --repo x",
    );
    let uncovered = env.run(&["token", "alta3/zzz"], b"");
    assert_has(
        &uncovered.stderr,
        "git credential-scoped edit alta3 --add-repo zzz",
    );
    // The expiring token is printed, with get's warning on stderr.
    let soon = env.run(&["token", "soonco/x"], b"");
    assert_eq!(soon.stdout, format!("{}\n", pat("soon")));
    assert_has(&soon.stderr, "token 'soon' expires 2027-01-18 (in 3 days)");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    let env = registry();
    for (args, says) in [
        (&["token", "alta3"][..], "'alta3' names no owner"),
        (
            &["token", "a/b/c"],
            "is not a repository: give a URL, OWNER/REPO or REPO",
        ),
        (
            &["token", "https://github.com/alta3"],
            "names no repository",
        ),
        (
            &[
                "token",
                "https://github.com/alta3/labs",
                "--host",
                "ghe.example.com",
            ],
            "--host goes with OWNER/REPO",
        ),
        (
            &["token", "alta3/labs", "--host", "bad host"],
            "is not a host name",
        ),
        (
            &["token", "git@github.com:alta3/labs.git", "--host", "h"],
            "--host goes with",
        ),
        (
            &[
                "exec",
                "--repo",
                "alta3/labs",
                "--env",
                "1BAD",
                "--",
                "true",
            ],
            "is not an environment variable name",
        ),
    ] {
        let out = env.run(args, b"");
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert_has(&out.stderr, says);
        assert_eq!(out.stdout, "");
    }
    let out = env.run(&["exec", "--repo", "alta3/labs"], b"");
    assert_eq!(out.status, 2, "a COMMAND is required");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn exec_puts_the_token_in_the_environment_only_and_passes_the_exit_status_on() {
    let env = registry();
    let out = env.run(
        &[
            "exec", "--repo", "alta3/labs", "--",
            "sh", "-c", r#"[ "$GH_TOKEN" = "$GITHUB_TOKEN" ] && printf '%s' "$GH_TOKEN" | wc -c; printf 'args: %s\n' "$*"; exit 7"#,
            "sh", "one", "two",
        ],
        b"",
    );
    assert_eq!(out.status, 7, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("{}\nargs: one two\n", pat("alta3").len())
    );
    assert_eq!(out.stderr, "");
    // --env replaces the two default variables.
    let out = env.run(
        &[
            "exec",
            "--repo",
            "soonco/x",
            "--env",
            "TF_VAR_github_token",
            "--",
            "sh",
            "-c",
            r#"echo "${GH_TOKEN:-unset} ${GITHUB_TOKEN:-unset} ${#TF_VAR_github_token}""#,
        ],
        b"",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("unset unset {}\n", pat("soon").len()));
    assert_has(&out.stderr, "token 'soon' expires");
    // A signal that ends COMMAND reaches the caller as it would without exec.
    let mut c = env.command("sh");
    c.args([
        "-c",
        r#"git-credential-scoped exec --repo alta3/labs -- sh -c 'kill -TERM $$'; echo "status $?""#,
    ]);
    let out = crate::support::run_with_stdin(c, b"");
    assert_eq!(out.stdout, "status 143\n", "{}", out.stderr);
    // A COMMAND that is not there: 127, as env(1) says.
    let out = env.run(
        &["exec", "--repo", "alta3/labs", "--", "no-such-program-here"],
        b"",
    );
    assert_eq!(out.status, 127);
    assert_has(
        &out.stderr,
        "could not run 'no-such-program-here': not found",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn exec_does_not_run_the_command_when_get_would_refuse() {
    let env = registry();
    let marker = env.tmp.path().join("ran");
    for repo in ["oldco/x", "nc/x", "rejco/x", "alta3/zzz", "acme/x"] {
        let out = env.run(
            &[
                "exec",
                "--repo",
                repo,
                "--",
                "touch",
                &marker.to_string_lossy(),
            ],
            b"",
        );
        assert_eq!(out.status, 1, "{repo}: {}", out.stderr);
        assert!(!marker.exists(), "{repo}: COMMAND ran");
        assert_eq!(out.stdout, "");
        assert!(!out.stderr.is_empty());
    }
    let out = env.run(
        &["exec", "--repo", "alta3/labs", "--write", "--", "true"],
        b"",
    );
    assert_eq!(out.status, 1);
    assert_has(&out.stderr, "pushing needs contents=write");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_later_clock_turns_the_expiring_token_into_a_refusal_for_token_as_for_get() {
    let env = registry();
    let later = Env {
        now: Some(NOW + 4 * DAY),
        ..env
    };
    let out = later.run(&["token", "soonco/x"], b"");
    assert_eq!(out.status, 1);
    assert_lacks(&out.stdout, &pat("soon"));
    assert_has(&out.stderr, "refused to send token 'soon'");
}

/// Issue 24 #12: every command names a repository the same way — a URL, an SSH remote,
/// OWNER/REPO, or REPO where the owner is known — and `token`/`exec` without one take the
/// current checkout's `origin`, as gh does.
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_repository_is_named_the_same_way_by_every_command() {
    let env = Env::new().at(NOW);
    env.use_http_path();
    let secret = pat("NAMING");
    let add = [
        "alta3",
        "--owner",
        "alta3",
        "--repo",
        "labs,alta3/demo,https://github.com/alta3/web.git",
    ];
    env.add(&add, &secret).ok();
    let show = env.run(&["show", "alta3"], b"").ok().stdout.clone();
    assert_has(&show, "repositories: labs, demo, web");
    let other = env.add(
        &["x", "--owner", "alta3", "--repo", "octocat/labs"],
        &secret,
    );
    assert_eq!(other.status, 2);
    assert_has(&other.stderr, "belongs to another owner than alta3");
    env.run(
        &[
            "edit",
            "alta3",
            "--add-repo",
            "git@github.com:alta3/api.git",
        ],
        b"",
    )
    .ok();
    assert_has(
        &env.run(&["show", "alta3"], b"").ok().stdout,
        "labs, demo, web, api",
    );
    // check takes OWNER/REPO as well as the URL.
    let check = env.run(&["check", "alta3/api"], b"");
    assert!(
        check
            .ok()
            .stdout
            .starts_with("ok        https://github.com/alta3/api "),
        "{}",
        check.stdout
    );
    // token and exec in a checkout: its origin remote, in any of git's forms.
    let checkout = env.home.join("labs");
    for origin in [
        "https://github.com/alta3/labs.git",
        "git@github.com:alta3/labs.git",
        "ssh://git@github.com/alta3/labs",
    ] {
        let _ = std::fs::remove_dir_all(&checkout);
        for args in [
            &["init", "-q", "labs"][..],
            &["-C", "labs", "remote", "add", "origin", origin],
        ] {
            let out = env.command("git").args(args).output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut token = env.command(crate::support::BIN);
        token.arg("token").current_dir(&checkout);
        let out = crate::support::run_with_stdin(token, b"");
        assert_eq!(out.ok().stdout, format!("{secret}\n"), "{origin}");
        let got = env.tmp.path().join("got");
        let mut exec = env.command(crate::support::BIN);
        let save = format!("printf %s \"$GH_TOKEN\" > '{}'", got.display());
        exec.args(["exec", "--", "sh", "-c", &save])
            .current_dir(&checkout);
        crate::support::run_with_stdin(exec, b"").ok();
        assert_eq!(std::fs::read_to_string(&got).unwrap(), secret, "{origin}");
    }
    // Outside a checkout: one line saying what to give.
    let out = env.run(&["token"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "no 'origin' remote here");
}
