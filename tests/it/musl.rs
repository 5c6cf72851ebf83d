//! The round trips a shipped binary must pass, run with the binary named by
//! `GIT_CREDENTIAL_SCOPED_MUSL_BIN`: scripts/test.sh builds the static-pie musl release
//! binary (scripts/build-release.sh --target x86_64-unknown-linux-musl) and runs this module
//! with it, so that the very binary a release ships answers git. Without the variable the
//! same round trips run with this build's binary; with it set to a missing file they fail.
//!
//! git finds the helper (`scoped`) on PATH, where the binary's own directory comes first:
//! the generic protocol round trip (store, get, erase), `add` and `get` with the file store,
//! and `check --online` against gh-test-server reached by the host *name* `localhost`, so
//! that the C library's name lookup (musl's, reading /etc/hosts) is on the path.

use crate::support::{assert_has, run_with_stdin, Env, Out, BIN};
use gh_test_server::{TestServer, TokenSpec};
use std::path::{Path, PathBuf};

const SECRET: &str =
    "github_pat_11MUSLTEST0000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

/// The binary under test.
fn binary() -> PathBuf {
    match std::env::var_os("GIT_CREDENTIAL_SCOPED_MUSL_BIN") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "GIT_CREDENTIAL_SCOPED_MUSL_BIN names {}, which does not exist",
                p.display()
            );
            p
        }
        None => PathBuf::from(BIN),
    }
}

/// Runs `binary()` in `env`, its directory first on PATH (git runs it as `scoped` too).
fn run(env: &Env, args: &[&str], stdin: &[u8]) -> Out {
    let bin = binary();
    let mut c = env.command(&bin.to_string_lossy());
    c.env("PATH", path_with(&bin));
    c.args(args);
    run_with_stdin(c, stdin)
}

fn path_with(bin: &Path) -> String {
    let dir = bin.parent().unwrap_or(Path::new("/"));
    format!("{}:/usr/local/bin:/usr/bin:/bin", dir.display())
}

fn git(env: &Env, args: &[&str], stdin: &str) -> Out {
    let mut c = env.command("git");
    c.env("PATH", path_with(&binary()));
    c.args(["-c", "credential.helper=", "-c", "credential.helper=scoped"]);
    c.args(args);
    run_with_stdin(c, stdin.as_bytes())
}

#[test]
fn the_binary_runs_with_its_arguments() {
    let env = Env::new();
    let out = run(&env, &["--version"], b"");
    out.ok();
    assert_eq!(
        out.stdout,
        format!("git-credential-scoped {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_protocol_round_trip_stores_gets_and_erases_through_git() {
    let env = Env::new();
    let cred = "url=https://example.com\nusername=u\npassword=p\n";
    git(&env, &["credential", "approve"], cred).ok();
    let got = git(&env, &["credential", "fill"], "url=https://example.com\n\n");
    got.ok();
    assert_eq!(
        got.stdout,
        "protocol=https\nhost=example.com\nusername=u\npassword=p\n"
    );
    git(&env, &["credential", "reject"], cred).ok();
    let gone = git(&env, &["credential", "fill"], "url=https://example.com\n\n");
    assert_ne!(
        gone.status, 0,
        "erased, so git has nothing: {}",
        gone.stdout
    );
}

#[test]
fn add_get_and_check_online_by_host_name_localhost() {
    let root = tempfile::tempdir().unwrap();
    let mut spec = TokenSpec::new("t", SECRET, "alta3");
    spec.repos = Some(vec!["labs".into()]);
    spec.expiration_header = Some("2027-03-01 12:00:00 UTC".into());
    let server = TestServer::start(root.path(), vec![spec]).expect("gh-test-server");
    server.create_repo("alta3", "labs").unwrap();
    let host = format!("localhost:{}", server.port());
    let mut env = Env::new();
    env.use_http_path();
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{host}\"\napi = \"https://{host}/api/v3\"\n"
    ));
    env.set("GIT_SSL_CAINFO", &server.ca_cert_path().to_string_lossy());

    let args = [
        "add", "t", "--host", &host, "--owner", "alta3", "--repo", "labs",
    ];
    run(&env, &args, format!("{SECRET}\n").as_bytes()).ok();
    let url = format!("https://{host}/alta3/labs");
    let got = git(
        &env,
        &["-c", "credential.useHttpPath=true", "credential", "fill"],
        &format!("url={url}\n\n"),
    );
    got.ok();
    assert_has(&got.stdout, &format!("password={SECRET}\n"));

    let out = run(&env, &["check", "--online", "--json", &url], b"");
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, r#""verdict":"ok","serves":true"#);
    assert_has(&out.stdout, r#""contents":"readable""#);
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "secret in output"
    );
    let log = server.log();
    assert!(
        log.iter()
            .any(|e| e.path == "/api/v3/repos/alta3/labs" && e.status == 200),
        "{log:?}"
    );
}
