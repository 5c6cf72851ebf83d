//! The canary, carried further than `secrets_hygiene.rs`: every command (`--json` too,
//! `check`, `doctor`, `new-token-url`, `setup`), error paths (a damaged config, index or
//! secret store; a failing secret command; an unreachable server; a secret pasted into the
//! config by mistake), `Debug` of every type that holds a secret, secrets on argv, and the
//! files on disk. A secret appears only in the protocol answer and in the secret store.

use crate::support::{assert_has, Env, Out, NOW};
use std::fmt::Debug;

use git_credential_scoped::protocol::{decode, Reply, Request};
use git_credential_scoped::secret::Secret;

const CANARY: &str =
    "github_pat_11HYGIENE000000000000000_CANARYyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
const GENERIC: &str = "generic-HYGIENE-canary-password";
const REFRESH: &str = "refresh-HYGIENE-canary-token";
const ROTATED: &str =
    "github_pat_11HYGIENE000000000000000_ROTATEDxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

fn leaks(text: &str) -> Option<&'static str> {
    // Any 24-byte piece of a secret counts: a truncated secret is still a leak.
    [CANARY, GENERIC, REFRESH, ROTATED].into_iter().find(|s| {
        text.contains(s)
            || s.as_bytes()
                .windows(24)
                .any(|w| text.as_bytes().windows(24).any(|t| t == w))
    })
}

fn assert_clean(what: &str, out: &Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some(s) = leaks(text) {
            panic!("{what}: {stream} holds the secret {s:.20}...:\n{text}");
        }
        assert!(!text.contains("panicked"), "{what}: {stream}:\n{text}");
    }
}

fn armed() -> Env {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "canary",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "3d",
            "--permission",
            "contents=read",
            "--permission",
            "metadata=read",
        ],
        CANARY,
    )
    .ok();
    env.run(
        &["store"],
        format!("protocol=https\nhost=example.com\nusername=u\npassword={GENERIC}\noauth_refresh_token={REFRESH}\n\n").as_bytes(),
    )
    .ok();
    env
}

#[test]
fn every_command_and_format_is_clean() {
    let env = armed();
    let url = "https://github.com/alta3/labs";
    let runs: &[&[&str]] = &[
        &["list"],
        &["list", "--json"],
        &["show", "canary"],
        &["show", "canary", "--json"],
        &["check", url],
        &["check", "--json", url],
        &["check", "--write", url],
        &["check", "--write", "--json", url],
        &["check", "--all"],
        &["check", "--all", "--json"],
        &["check", "--all", "--within", "30"],
        &[
            "check",
            "https://github.com/alta3/other",
            "https://example.com/x",
        ],
        &[
            "check",
            "--json",
            "https://github.com/alta3/other",
            "not a url",
        ],
        &["doctor"],
        &["doctor", "--json"],
        &["new-token-url", "--owner", "alta3", "--repo", "labs,demo"],
        &["new-token-url", "--owner", "alta3", "--json"],
        &["setup"],
        &["setup", "--uninstall"],
        &["setup", "--cargo"],
        &["setup", "--uninstall", "--cargo"],
        &["token", "alta3/other"],
        &["token", "--write", "alta3/labs"],
        &["token", "https://example.org/x"],
        &["exec", "--repo", "alta3/other", "--", "env"],
        &[
            "exec",
            "--repo",
            "alta3/labs",
            "--",
            "sh",
            "-c",
            "printf %s \"$GH_TOKEN\" | wc -c",
        ],
        &[
            "edit",
            "canary",
            "--add-repo",
            "demo",
            "--permission",
            "metadata=read",
        ],
        &["edit", "canary", "--remove-repo", "demo"],
        &["edit", "canary", "--remove-repo", "labs"],
        &["unreject", "canary"],
        &["--version"],
        &["--help"],
        &["completions", "bash"],
        &["man"],
    ];
    for args in runs {
        assert_clean(&format!("{args:?}"), &env.run(args, b""));
    }
    for sub in [
        "get",
        "store",
        "erase",
        "add",
        "list",
        "show",
        "remove",
        "rotate",
        "unreject",
        "check",
        "import",
        "doctor",
        "new-token-url",
        "setup",
        "edit",
        "token",
        "exec",
    ] {
        assert_clean(sub, &env.run(&[sub, "--help"], b""));
    }
    // Expiring in 3 days: get warns on stderr, and the warning holds no secret.
    let got = env.run(
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
    );
    assert!(got.stdout.contains(CANARY));
    assert_has(&got.stderr, "expires");
    assert!(leaks(&got.stderr).is_none(), "{}", got.stderr);
    // token: the same secret on stdout, stderr as clean as get's.
    let token = env.run(&["token", "alta3/labs"], b"");
    assert_eq!(token.stdout, format!("{CANARY}\n"));
    assert!(leaks(&token.stderr).is_none(), "{}", token.stderr);
    // The rejected path: erase marks it, get refuses it, check says so, all clean.
    let erase = format!("protocol=https\nhost=github.com\npath=alta3/labs\npassword={CANARY}\n\n");
    assert_clean("erase", &env.run(&["erase"], erase.as_bytes()));
    assert_clean(
        "get rejected",
        &env.run(
            &["get"],
            b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        ),
    );
    assert_clean("check rejected", &env.run(&["check", "--json", url], b""));
    assert_clean("doctor rejected", &env.run(&["doctor", "--json"], b""));
    // rotate (the new secret on stdin), then remove.
    let out = env.run(
        &["rotate", "canary", "--expires-in", "30d"],
        format!("{ROTATED}\n").as_bytes(),
    );
    assert_clean("rotate", out.ok());
    assert_clean("show rotated", &env.run(&["show", "canary", "--json"], b""));
    assert_clean("remove", env.run(&["remove", "canary", "--yes"], b"").ok());
    assert_files_clean(&env);
}

// The fake gh is an sh script.
#[cfg(unix)]
#[test]
fn import_is_clean_and_leaves_secrets_only_where_they_belong() {
    let env = armed();
    // The user's own files hold secrets by design: they live outside the test's tree.
    let theirs = tempfile::tempdir().unwrap();
    let file = theirs.path().join("git-credentials");
    std::fs::write(
        &file,
        format!(
            "https://x:{CANARY}@github.com/alta3/labs\nhttps://x:{ROTATED}@github.com/alta3/demo\n\
             https://x:{ROTATED}@github.com/other/x\nhttps://u:{GENERIC}@example.com/x\n\
             https://u:{REFRESH}@github.com\nhttps://u:{ROTATED}@x@github.com/alta3/demo\nnot {CANARY} a url\n"
        ),
    )
    .unwrap();
    // gh hands its token over itself (`gh auth token`): a fake gh prints the file's content.
    let said = theirs.path().join("gh-token");
    let f = file.to_str().unwrap();
    let gh = [
        "import", "--from", "gh", "--owner", "alta3", "--repo", "demo",
    ];
    let mut outs = vec![
        (
            "dry run",
            env.run(&["import", f, "--dry-run", "--remove-imported"], b""),
        ),
        ("import", env.run(&["import", f], b"")),
        ("remove", env.run(&["import", f, "--remove-imported"], b"")),
    ];
    let env = with_fake_gh(env, theirs.path(), &said);
    std::fs::write(&said, format!("[{ROTATED}]\n")).unwrap();
    outs.push(("gh shape", env.run(&gh, b"")));
    std::fs::write(&said, format!("{GENERIC}\n")).unwrap();
    outs.push(("gh not fine-grained", env.run(&gh, b"")));
    std::fs::write(&said, format!("{ROTATED}\n")).unwrap();
    outs.push((
        "gh dry run",
        env.run(&[&gh[..], &["--dry-run"]].concat(), b""),
    ));
    outs.push(("gh", env.run(&gh, b"")));
    outs.push(("gh again", env.run(&gh, b"")));
    for (what, out) in &outs {
        assert_clean(what, out);
    }
    assert_eq!(outs[1].1.status, 0);
    assert_eq!(outs[3].1.status, 2);
    assert_eq!(outs[6].1.status, 0, "{}", outs[6].1.stderr);
    assert_files_clean(&env);
}

#[test]
fn error_paths_are_clean() {
    let env = armed();
    let outs = vec![
        // A duplicate add, a bad rotate, a rotate with an empty or garbled secret.
        env.add(&["canary", "--owner", "alta3", "--repo", "labs"], CANARY),
        env.run(
            &["rotate", "canary", "--expires-in", "bogus"],
            format!("{CANARY}\n").as_bytes(),
        ),
        env.run(&["rotate", "canary"], b"\n"),
        env.run(
            &["rotate", "canary"],
            format!("{CANARY} {CANARY}\n").as_bytes(),
        ),
        env.add(&["big", "--owner", "o", "--repo", "r"], &"x".repeat(70_000)),
        // Hostile requests holding secrets.
        env.run(
            &["store"],
            format!("protocol=https\nhost=example.com\npassword={GENERIC}\rx\n\n").as_bytes(),
        ),
        env.run(
            &["get"],
            format!("protocol=https\nhost=github.com\npath=alta3/labs\npassword={CANARY}\npassword={CANARY}\n\n").as_bytes(),
        ),
        env.run(
            &["get"],
            format!("url=https://u:{CANARY}@github.com%0a/alta3/labs\n\n").as_bytes(),
        ),
        env.run(
            &["get"],
            format!("url=https://{CANARY}@evil.test\x1b/\n\n").as_bytes(),
        ),
        env.run(
            &["erase"],
            format!("protocol=https\nhost=example.com\npassword={REFRESH}{GENERIC}\n\n").as_bytes(),
        ),
        env.run(&["check", &format!("https://x:{CANARY}@github.com/alta3/labs")], b""),
        env.run(&["show", "missing", "--json"], b""),
        env.run(&["new-token-url", "--owner", "o/x"], b""),
    ];
    for (i, out) in outs.iter().enumerate() {
        assert_clean(&format!("error path #{i}"), out);
    }
    // The generic credential survived the erase with a wrong password.
    let got = env.run(&["get"], b"protocol=https\nhost=example.com\n\n");
    assert_has(&got.stdout, GENERIC);
    assert_files_clean(&env);
}

#[test]
fn damaged_files_are_reported_by_line_never_by_content() {
    let env = armed();
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("a secret pasted as a line", format!("{config}\n{CANARY}\n")),
        (
            "a secret as a bad value",
            format!("{config}\n[settings]\nwarn_days = \"{CANARY}\"\n"),
        ),
        (
            "a secret as the secret store name",
            config.replace("secret = \"file\"", &format!("secret = \"{CANARY}\"")),
        ),
        (
            "a secret as a host name",
            format!("{config}\n[[host]]\nname = \"{CANARY}\"\n"),
        ),
        (
            "a secret as the secret variable",
            config.replace("secret = \"file\"", &format!("secret_env = \"{CANARY}\"")),
        ),
        // (A token pasted as a repository or token name is a valid name and shown as one:
        // the program cannot tell it from a repository called like that.)
    ];
    for (what, text) in &cases {
        env.write_config(text);
        for args in [
            &["list"][..],
            &["list", "--json"],
            &["show", "canary"],
            &["check", "https://github.com/alta3/labs"],
            &["check", "--json", "https://github.com/alta3/labs"],
            &["doctor"],
            &["doctor", "--json"],
        ] {
            assert_clean(&format!("{what}: {args:?}"), &env.run(args, b""));
        }
        let get = env.run(
            &["get"],
            b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        );
        assert_clean(&format!("{what}: get"), &get);
    }
    env.write_config(&config);
    // The index and the secret store (the single file of earlier versions, which is still
    // read and moved on the next change), damaged on a line that holds a secret.
    let secrets = env.data_dir().join("secrets");
    std::fs::write(&secrets, format!("# old store\nbroken%zz {CANARY}\n")).unwrap();
    let index = env.data_dir().join("credentials");
    let kept = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, format!("{kept}{CANARY} nonsense\n")).unwrap();
    // The token's own line is intact: get may still answer it (the protocol answer is
    // where it belongs), and says nothing else.
    let get = env.run(
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
    );
    assert!(get.stdout.is_empty() || get.stdout.contains(&format!("password={CANARY}\n")));
    assert!(leaks(&get.stderr).is_none(), "{}", get.stderr);
    for (args, stdin) in [
        (&["get"][..], &b"protocol=https\nhost=example.com\n\n"[..]),
        (&["store"], b"protocol=https\nhost=x.test\npassword=p\n\n"),
        (&["list"], b""),
        (&["doctor"], b""),
    ] {
        let out = env.run(args, stdin);
        assert_clean(&format!("damaged stores: {args:?}"), &out);
    }
}

#[test]
fn secret_sources_that_fail_are_clean() {
    let mut env = Env::new().at(NOW);
    env.set("HYGIENE_TOKEN", CANARY);
    env.add(
        &[
            "fromenv",
            "--owner",
            "e",
            "--all-repos",
            "--secret-env",
            "HYGIENE_MISSING",
        ],
        "",
    )
    .ok();
    // The command prints the secret, then fails: what it printed must go nowhere.
    env.add(
        &[
            "fromcmd",
            "--owner",
            "c",
            "--all-repos",
            "--secret-command",
            "printf '%s\\n' \"$HYGIENE_TOKEN\"; exit 3",
        ],
        "",
    )
    .ok();
    env.add(
        &[
            "slow",
            "--owner",
            "s",
            "--all-repos",
            "--secret-command",
            "printf ''",
        ],
        "",
    )
    .ok();
    env.add(
        &[
            "good",
            "--owner",
            "g",
            "--all-repos",
            "--secret-env",
            "HYGIENE_TOKEN",
        ],
        "",
    )
    .ok();
    for owner in ["e", "c", "s"] {
        let out = env.run(
            &["get"],
            format!("protocol=https\nhost=github.com\npath={owner}/r\n\n").as_bytes(),
        );
        assert_clean(owner, &out);
        assert_eq!(out.stdout, "quit=1\n");
    }
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\npath=g/r\n\n");
    assert!(out.stdout.contains(CANARY));
    for args in [
        &["list", "--json"][..],
        &["doctor", "--json"],
        &["show", "good"],
    ] {
        assert_clean(&format!("{args:?}"), &env.run(args, b""));
    }
    // An online check against a server that is not there: the error names the URL only.
    env.write_config(&format!(
        "{}\n[[host]]\nname = \"127.0.0.1:9\"\napi = \"http://127.0.0.1:9/api/v3\"\nallow_http = true\n",
        std::fs::read_to_string(env.config_path()).unwrap()
    ));
    env.add(
        &[
            "local",
            "--host",
            "127.0.0.1:9",
            "--owner",
            "l",
            "--all-repos",
            "--secret-env",
            "HYGIENE_TOKEN",
        ],
        "",
    )
    .ok();
    for args in [
        &["check", "--online", "https://127.0.0.1:9/l/r"][..],
        &["check", "--online", "--json", "https://127.0.0.1:9/l/r"],
    ] {
        assert_clean(&format!("{args:?}"), &env.run(args, b""));
    }
    assert_files_clean(&env);
}

#[test]
fn the_binary_refuses_a_token_on_argv() {
    let env = Env::new();
    let fine = "github_pat_11ARGV0000000000000000_abcdefghijklmnopqrstuvwxyz0123456789";
    let classic = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    let cases: Vec<Vec<String>> = vec![
        vec![
            "add".into(),
            "t".into(),
            "--owner".into(),
            "o".into(),
            "--repo".into(),
            "r".into(),
            format!("--token={fine}"),
        ],
        vec![
            "add".into(),
            "t".into(),
            "--owner".into(),
            "o".into(),
            "--repo".into(),
            "r".into(),
            fine.into(),
        ],
        vec![
            "add".into(),
            fine.into(),
            "--owner".into(),
            "o".into(),
            "--all-repos".into(),
        ],
        vec!["rotate".into(), "t".into(), classic.into()],
        vec!["check".into(), format!("https://x:{fine}@github.com/o/r")],
        vec![format!("--config={classic}"), "list".into()],
        vec!["list".into(), format!("--json={fine}")],
    ];
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run(&args, b"");
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            out.stderr.contains("a token was given on the command line"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains(fine) && !out.stderr.contains(classic));
        assert!(!out.stderr.contains(&fine[11..30]));
    }
    assert!(!env.config_path().exists(), "nothing was registered");
}

fn assert_files_clean(env: &Env) {
    for (path, content) in env.all_files() {
        if path.parent().is_some_and(|d| d.ends_with("secrets.d")) {
            continue; // the file store these tests chose: where secrets belong
        }
        let text = String::from_utf8_lossy(&content);
        assert!(leaks(&text).is_none(), "{} holds a secret", path.display());
        assert!(
            !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".tmp-"),
            "left-over temp file {}",
            path.display()
        );
    }
}

// ---- Debug of the types that hold secrets, through the public API ----

fn debug_is_clean(what: &str, value: &impl Debug) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(
            leaks(&text).is_none(),
            "{what} Debug shows a secret: {text}"
        );
    }
}

#[test]
fn debug_of_secret_request_answer_and_errors_shows_no_secret() {
    debug_is_clean("Secret", &Secret::from_text(CANARY));
    let request: Request = decode(
        &mut format!(
            "protocol=https\nhost=github.com\npath=alta3/labs\nusername=u\npassword={CANARY}\noauth_refresh_token={REFRESH}\nurl=https://u:{GENERIC}@github.com/alta3/labs\n\n"
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(request.password.as_ref().unwrap().equals(CANARY.as_bytes()));
    debug_is_clean("Request", &request);
    let answer = Reply {
        username: Some("u".into()),
        password: Some(Secret::from_text(CANARY)),
        password_expiry_utc: Some(1),
        oauth_refresh_token: Some(Secret::from_text(REFRESH)),
        quit: false,
        state: Some("git-credential-scoped:v1:t:sha256:0000000000000000".into()),
    };
    debug_is_clean("Reply", &answer);
    for hostile in [
        format!("password={CANARY}\npassword={CANARY}\n"),
        format!("password={CANARY}\0\n"),
        format!("username={CANARY}\x1b\n"),
        format!("url=https://u:{CANARY}@h%0a/\n"),
        format!("{CANARY}\n"),
        format!("{CANARY}\x1b={CANARY}\n"),
    ] {
        let err = decode(&mut hostile.as_bytes()).unwrap_err();
        debug_is_clean("DecodeError", &err);
        assert!(leaks(&err.to_string()).is_none(), "{err}");
    }
}

/// Types that hold a secret and have no `Debug` at all (so none can print it): detected at
/// compile time by method resolution, which prefers the inherent method only when `T: Debug`.
struct Probe<T>(std::marker::PhantomData<T>);
trait NoDebug {
    fn has_debug(&self) -> bool {
        false
    }
}
impl<T> NoDebug for &Probe<T> {}
impl<T: Debug> Probe<T> {
    fn has_debug(&self) -> bool {
        true
    }
}

macro_rules! has_debug {
    ($t:ty) => {
        (&Probe::<$t>(std::marker::PhantomData)).has_debug()
    };
}

#[test]
fn secret_holding_types_without_a_redacted_debug_have_none() {
    use git_credential_scoped::{context, generic, secrets};
    assert!(!has_debug!(generic::Credential));
    assert!(!has_debug!(secrets::Stores));
    assert!(!has_debug!(secrets::FileStore));
    assert!(!has_debug!(secrets::KeyringStore));
    assert!(!has_debug!(context::Context));
    assert!(!has_debug!(git_credential_scoped::protocol::url::UrlParts));
    // The probe itself works: these have Debug (redacted, as tested above).
    assert!(has_debug!(Secret));
    assert!(has_debug!(Request));
}

/// A fake `gh` first on PATH that prints the content of `said` (as `gh auth token` prints
/// the token it holds).
#[cfg(unix)]
fn with_fake_gh(mut env: Env, dir: &std::path::Path, said: &std::path::Path) -> Env {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(&gh, format!("#!/bin/sh\ncat '{}'\n", said.display())).unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("PATH", &format!("{}:/usr/bin:/bin", bin.display()));
    env
}
