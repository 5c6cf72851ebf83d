//! Clients other than git's own command line, against the local GitHub-like server:
//!
//! - cargo, after `setup --cargo`, fetching git dependencies of two owners (so two tokens)
//!   through git: the right token for each, and an expired token refused before it is sent,
//!   with the reason in cargo's output;
//! - `exec` running a real HTTP client (`curl` to the REST API, in `sh -c`) with the right
//!   token per owner in `GH_TOKEN`, and `token` piped into curl the same way.
//!
//! cargo runs with its own `CARGO_HOME` in the test's temp dir and only git dependencies on
//! the loopback server, and every proxy variable points at a closed port (loopback
//! excepted), so nothing here can reach the internet.

use std::path::{Path, PathBuf};

use gh_test_server::TokenSpec;

use super::{labels, pat, received, served, World};
use crate::support::{assert_has, assert_lacks, run_with_stdin, Env, Out};

/// The cargo that runs these tests (not a rustup proxy, which would want its own home).
const CARGO: &str = env!("CARGO");

/// Puts a library crate named `name` on `main` of the server's bare repository
/// `owner/repo`, by a local push to the repository on disk (no credentials involved).
fn publish_crate(world: &World, owner: &str, repo: &str, name: &str) {
    let bare = world
        .env
        .tmp
        .path()
        .join("server/repos")
        .join(owner)
        .join(format!("{repo}.git"));
    let work = world.env.tmp.path().join("crates").join(repo);
    let git = |args: &[&str]| {
        let mut c = world.env.command("git");
        c.args(args);
        run_with_stdin(c, b"").ok();
    };
    git(&[
        "clone",
        "--quiet",
        &bare.to_string_lossy(),
        &work.to_string_lossy(),
    ]);
    std::fs::create_dir_all(work.join("src")).unwrap();
    std::fs::write(
        work.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    )
    .unwrap();
    std::fs::write(
        work.join("src/lib.rs"),
        format!("pub const NAME: &str = \"{name}\";\n"),
    )
    .unwrap();
    let dir = work.to_string_lossy().into_owned();
    git(&["-C", &dir, "add", "."]);
    git(&["-C", &dir, "commit", "--quiet", "-m", "a crate"]);
    git(&["-C", &dir, "push", "--quiet", "origin", "main"]);
}

/// A crate depending on `deps` (name, owner, repo) from the server; returns its directory.
fn app(world: &World, deps: &[(&str, &str, &str)]) -> PathBuf {
    let dir = world.env.tmp.path().join("app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mut manifest = String::from(
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    for (name, owner, repo) in deps {
        manifest.push_str(&format!(
            "{name} = {{ git = \"https://{}/{owner}/{repo}\" }}\n",
            world.server.host()
        ));
    }
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    dir
}

fn cargo_home(world: &World) -> PathBuf {
    world.env.tmp.path().join("cargo-home")
}

/// `cargo generate-lockfile` in `dir`: resolves (so fetches) every git dependency. cargo
/// takes every failed `git fetch` for a network hiccup and tries 3 more times, with pauses
/// (12 s in all here); `retries` sets `CARGO_NET_RETRY`.
fn cargo(world: &World, dir: &Path, retries: Option<u32>) -> Out {
    let mut c = world.env.command(CARGO);
    if let Some(n) = retries {
        c.env("CARGO_NET_RETRY", n.to_string());
    }
    c.arg("generate-lockfile")
        .current_dir(dir)
        .env("CARGO_HOME", cargo_home(world))
        .env("GIT_SSL_CAINFO", world.server.ca_cert_path())
        .env("CARGO_TERM_COLOR", "never");
    if let Some(rustc) = Path::new(CARGO).parent().map(|d| d.join("rustc")) {
        c.env("RUSTC", rustc);
    }
    for (k, v) in [
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
        ("https_proxy", "http://127.0.0.1:9"),
        ("HTTP_PROXY", "http://127.0.0.1:9"),
        ("http_proxy", "http://127.0.0.1:9"),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("no_proxy", "127.0.0.1,localhost"),
    ] {
        c.env(k, v);
    }
    run_with_stdin(c, b"")
}

/// `setup --host SERVER --cargo`, with cargo's home in the temp dir.
fn setup_cargo(world: &World) -> Out {
    let mut c = world.env.command(crate::support::BIN);
    c.args(["setup", "--host", &world.server.host(), "--cargo"])
        .env("CARGO_HOME", cargo_home(world));
    run_with_stdin(c, b"")
}

fn token(label: &str, owner: &str, repos: &[&str]) -> TokenSpec {
    let mut t = TokenSpec::new(label, &pat(label), owner);
    t.repos = Some(repos.iter().map(|r| r.to_string()).collect());
    t
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn cargo_after_setup_cargo_fetches_git_dependencies_of_two_owners_each_with_its_token() {
    let world = World::start(
        Env::new(),
        vec![
            token("alpha", "alpha", &["dep-a"]),
            token("beta", "beta", &["dep-b"]),
        ],
        &[("alpha", "dep-a"), ("beta", "dep-b")],
    );
    publish_crate(&world, "alpha", "dep-a", "dep-a");
    publish_crate(&world, "beta", "dep-b", "dep-b");
    world.add(
        "alpha",
        &["--owner", "alpha", "--repo", "dep-a", "--no-expiry"],
        &pat("alpha"),
    );
    world.add(
        "beta",
        &["--owner", "beta", "--repo", "dep-b", "--no-expiry"],
        &pat("beta"),
    );
    let setup = setup_cargo(&world);
    setup.ok();
    assert_has(&setup.stdout, "+ net.git-fetch-with-cli = true");
    assert_eq!(
        std::fs::read_to_string(cargo_home(&world).join("config.toml")).unwrap(),
        "[net]\ngit-fetch-with-cli = true\n"
    );

    let dir = app(
        &world,
        &[("dep-a", "alpha", "dep-a"), ("dep-b", "beta", "dep-b")],
    );
    let out = cargo(&world, &dir, None);
    assert_eq!(out.status, 0, "cargo failed:\n{}", out.stderr);
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    for (name, owner) in [("dep-a", "alpha"), ("dep-b", "beta")] {
        assert_has(&lock, &format!("name = \"{name}\""));
        assert_has(
            &lock,
            &format!("git+https://{}/{owner}/{name}#", world.server.host()),
        );
    }
    let log = world.server.log();
    assert!(served(&log, "alpha", "alpha", "dep-a"), "{log:?}");
    assert!(served(&log, "beta", "beta", "dep-b"), "{log:?}");
    // Each token went only to its own owner's repository.
    for (label, owner) in [("alpha", "/alpha/"), ("beta", "/beta/")] {
        for e in received(&log, label) {
            assert!(e.path.starts_with(owner), "{label} sent to {}", e.path);
        }
    }
    assert_eq!(labels(&log).len(), 2, "{log:?}");
    assert!(
        log.iter().all(|e| e.token.as_deref() != Some("<unknown>")),
        "{log:?}"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn cargo_stops_on_an_expired_token_with_the_helpers_reason_in_its_output() {
    let mut old = token("old", "gamma", &["dep-c"]);
    old.expired = true;
    let world = World::start(
        Env::new(),
        vec![token("alpha", "alpha", &["dep-a"]), old],
        &[("alpha", "dep-a"), ("gamma", "dep-c")],
    );
    publish_crate(&world, "alpha", "dep-a", "dep-a");
    publish_crate(&world, "gamma", "dep-c", "dep-c");
    world.add(
        "alpha",
        &["--owner", "alpha", "--repo", "dep-a", "--no-expiry"],
        &pat("alpha"),
    );
    world.add(
        "old",
        &[
            "--owner",
            "gamma",
            "--repo",
            "dep-c",
            "--expires",
            "2020-01-01",
        ],
        &pat("old"),
    );
    setup_cargo(&world).ok();
    let dir = app(
        &world,
        &[("dep-a", "alpha", "dep-a"), ("dep-c", "gamma", "dep-c")],
    );
    let out = cargo(&world, &dir, Some(0));
    assert_ne!(out.status, 0, "{}", out.stderr);
    assert_has(
        &out.stderr,
        &format!(
            "git-credential-scoped: refused to send token 'old' for gamma/dep-c on {}: it expired 2020-01-01",
            world.server.host()
        ),
    );
    assert_has(&out.stderr, "git credential-scoped rotate old");
    assert_has(&out.stderr, "told us to quit");
    assert_lacks(&out.stderr, &pat("old"));
    assert!(
        received(&world.server.log(), "old").is_empty(),
        "the expired token was sent"
    );
}

/// `exec --repo OWNER/REPO -- sh -c 'printf ... | curl -H @- API/repos/OWNER/REPO'`: curl
/// reads the Authorization header from a pipe, so the token is on no command line.
fn curl_with_exec(world: &World, repo: &str, asks: &str) -> Out {
    let script = format!(
        r#"printf 'Authorization: Bearer %s\n' "$GH_TOKEN" | curl -sS --cacert '{ca}' -H @- -o /dev/stdout -w '\nstatus %{{http_code}}\n' '{api}/repos/{asks}'"#,
        ca = world.server.ca_cert_path().display(),
        api = world.server.api_base(),
    );
    world.env.run(
        &[
            "exec",
            "--repo",
            repo,
            "--host",
            &world.server.host(),
            "--",
            "sh",
            "-c",
            &script,
        ],
        b"",
    )
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn exec_runs_curl_against_the_rest_api_with_the_right_token_per_owner() {
    let world = World::start(
        Env::new(),
        vec![
            token("alpha", "alpha", &["dep-a"]),
            token("beta", "beta", &["dep-b"]),
        ],
        &[("alpha", "dep-a"), ("beta", "dep-b")],
    );
    world.add(
        "alpha",
        &["--owner", "alpha", "--repo", "dep-a", "--no-expiry"],
        &pat("alpha"),
    );
    world.add(
        "beta",
        &["--owner", "beta", "--repo", "dep-b", "--no-expiry"],
        &pat("beta"),
    );
    for (owner, repo) in [("alpha", "dep-a"), ("beta", "dep-b")] {
        let full = format!("{owner}/{repo}");
        let out = curl_with_exec(&world, &full, &full);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_has(&out.stdout, &format!("\"full_name\":\"{full}\""));
        assert_has(&out.stdout, "status 200\n");
    }
    let log = world.server.log();
    let api: Vec<_> = log
        .iter()
        .filter(|e| e.path.starts_with("/api/v3/"))
        .collect();
    assert_eq!(api.len(), 2, "{log:?}");
    assert_eq!(api[0].token.as_deref(), Some("alpha"));
    assert_eq!(api[0].path, "/api/v3/repos/alpha/dep-a");
    assert_eq!(api[1].token.as_deref(), Some("beta"));
    assert_eq!(api[1].path, "/api/v3/repos/beta/dep-b");
    // alpha's token cannot see beta's repository: the server says 404, as GitHub would.
    let cross = curl_with_exec(&world, "alpha/dep-a", "beta/dep-b");
    assert_has(&cross.stdout, "status 404\n");
    // token piped into curl: the same secret, the same answer.
    let script = format!(
        r#"git-credential-scoped token --host '{host}' beta/dep-b | sed 's/^/Authorization: Bearer /' | curl -sS --cacert '{ca}' -H @- -o /dev/null -w '%{{http_code}}' '{api}/repos/beta/dep-b'"#,
        host = world.server.host(),
        ca = world.server.ca_cert_path().display(),
        api = world.server.api_base(),
    );
    let mut c = world.env.command("sh");
    c.args(["-c", &script]);
    let out = run_with_stdin(c, b"");
    assert_eq!(out.stdout, "200", "{}", out.stderr);
    assert_eq!(
        world
            .server
            .log()
            .last()
            .and_then(|e| e.token.clone())
            .as_deref(),
        Some("beta")
    );
}
