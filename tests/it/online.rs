//! Online checks (SPEC §7) against gh-test-server, a local HTTPS server that answers like
//! GitHub for fine-grained tokens: `check --online` (expiry header in both forms recorded in
//! the config, 404 / 403 / 401 explained, a 401 marking the token rejected and a success
//! clearing the mark) and `add --verify` / `rotate --verify`.
//!
//! The server is declared as a `[[host]]` with its `api`, and its CA reaches the helper the
//! way it reaches git: through `GIT_SSL_CAINFO` (or `http.sslCAInfo`).

use crate::support::{assert_has, assert_lacks, Env, Out, NOW};
use gh_test_server::{Contents, TestServer, TokenSpec};

const LIVE: &str =
    "github_pat_11ONLINE000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";
const NEXT: &str =
    "github_pat_11ONLINENEXT000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV";

struct World {
    env: Env,
    server: TestServer,
    _root: tempfile::TempDir,
}

impl World {
    fn start(tokens: Vec<TokenSpec>) -> World {
        let root = tempfile::tempdir().unwrap();
        let server = TestServer::start(root.path(), tokens).expect("gh-test-server");
        for repo in ["labs", "demo"] {
            server.create_repo("alta3", repo).unwrap();
        }
        let mut env = Env::new().at(NOW);
        env.use_http_path();
        env.write_config(&format!(
            "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
            server.host(),
            server.api_base()
        ));
        env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
        World {
            env,
            server,
            _root: root,
        }
    }

    /// `add NAME --host SERVER --owner alta3 ARGS...` with `secret` on stdin.
    fn add(&self, name: &str, args: &[&str], secret: &str) -> Out {
        let host = self.server.host();
        let mut all = vec![name, "--host", &host, "--owner", "alta3"];
        all.extend_from_slice(args);
        self.env.add(&all, secret)
    }

    fn url(&self, repo: &str) -> String {
        format!("https://{}/alta3/{repo}", self.server.host())
    }

    fn check(&self, repo: &str) -> Out {
        let out = self
            .env
            .run(&["check", "--online", "--json", &self.url(repo)], b"");
        self.assert_no_secret(&out);
        out
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.env.config_path()).unwrap()
    }

    fn assert_no_secret(&self, out: &Out) {
        for s in [LIVE, NEXT] {
            assert!(
                !out.stdout.contains(s) && !out.stderr.contains(s),
                "secret in output"
            );
        }
    }
}

fn token(label: &str, secret: &str, expiration: Option<&str>) -> TokenSpec {
    let mut t = TokenSpec::new(label, secret, "alta3");
    t.repos = Some(vec!["labs".into()]);
    t.expiration_header = expiration.map(str::to_string);
    t
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_expiry_header_in_utc_form_is_recorded_in_the_config() {
    let w = World::start(vec![token("t", LIVE, Some("2027-03-01 12:00:00 UTC"))]);
    w.add("t", &["--repo", "labs"], LIVE).ok();
    assert_lacks(&w.config(), "expires");
    let out = w.check("labs");
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert_has(
        &out.stdout,
        r#""verdict":"ok","serves":true,"expires":"2027-03-01T12:00:00Z","days_left":45"#,
    );
    assert_has(
        &out.stdout,
        r#""repository":"visible","status":null,"git_read":null,"contents":"readable","expires":"2027-03-01T12:00:00Z","expiry_recorded":true"#,
    );
    assert_has(&w.config(), "expires = \"2027-03-01T12:00:00Z\"");
    let log = w.server.log();
    assert!(
        log.iter().any(|e| e.path == "/api/v3/repos/alta3/labs"
            && e.token.as_deref() == Some("t")
            && e.status == 200),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.path == "/api/v3/repos/alta3/labs/commits?per_page=1" && e.status == 200),
        "{log:?}"
    );
    // A second check finds nothing to change.
    let again = w.check("labs");
    assert_has(&again.stdout, r#""expiry_recorded":false"#);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_expiry_header_with_a_numeric_offset_names_the_same_instant() {
    let w = World::start(vec![token("t", LIVE, Some("2027-03-01 14:00:00 +0200"))]);
    w.add("t", &["--repo", "labs", "--expires-in", "10d"], LIVE)
        .ok();
    let human = w.env.run(&["check", "--online", &w.url("labs")], b"");
    assert_eq!(human.status, 0, "{}", human.stdout);
    assert!(
        human
            .stderr
            .contains("recorded from the server: token 't' expires 2027-03-01, in 45 days"),
        "{}",
        human.stdout
    );
    assert_has(&human.stderr, "git-credential-scoped: online: repository visible, contents readable, server expiry 2027-03-01, expiry recorded in the config");
    assert_has(&w.config(), "expires = \"2027-03-01T12:00:00Z\"");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn no_expiry_header_means_the_token_does_not_expire() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs"], LIVE).ok();
    let out = w.check("labs");
    assert_eq!(out.status, 0);
    assert_has(&w.config(), "expires = \"never\"");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_404_names_every_reason_and_fails() {
    // The config says the token covers demo too; the server's token was given labs only.
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs,demo", "--no-expiry"], LIVE)
        .ok();
    let out = w.check("demo");
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert_has(&out.stdout, r#""verdict":"not-found","serves":false"#);
    assert_has(
        &out.stdout,
        r#""repository":"not-found","status":null,"git_read":404"#,
    );
    for reason in [
        "demo is not among the token's selected repositories",
        "the token belongs to another owner than alta3",
        "has not approved the token yet",
        "there is no such repository",
    ] {
        assert!(out.stdout.contains(reason), "{reason}: {}", out.stdout);
    }
    assert!(
        !out.stdout.contains("rejected_marked\":true"),
        "a 404 is not a rejection"
    );
    // The token itself is fine for labs.
    assert_eq!(w.check("labs").status, 0);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn pending_org_approval_is_a_404_too() {
    let mut t = token("t", LIVE, None);
    t.approved = false;
    let w = World::start(vec![t]);
    w.add("t", &["--repo", "labs,demo", "--no-expiry"], LIVE)
        .ok();
    let out = w.check("labs");
    assert_eq!(out.status, 1);
    // The token authenticates but sees none of its selected repositories (issue 23).
    assert_has(&out.stdout, r#""verdict":"approval-pending""#);
    assert_has(
        &out.stdout,
        "most likely an owner of alta3 has not approved it yet",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_403_on_commits_means_no_contents_permission() {
    let mut t = token("t", LIVE, None);
    t.contents = Contents::None;
    let w = World::start(vec![t]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    let out = w.check("labs");
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert_has(&out.stdout, r#""verdict":"no-contents","serves":false"#);
    assert_has(
        &out.stdout,
        r#""repository":"visible","status":null,"git_read":null,"contents":"missing""#,
    );
    assert_has(
        &out.stdout,
        "may not read the contents of alta3/labs (403; it needs contents=read)",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_401_marks_the_token_rejected_and_get_then_refuses_it() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    w.server.revoke("t");
    let out = w.check("labs");
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert_has(&out.stdout, r#""verdict":"rejected","serves":false"#);
    assert!(
        out.stdout.contains(r#""repository":"rejected""#)
            && out.stdout.contains(r#""rejected_marked":true"#),
        "{}",
        out.stdout
    );
    let list = w.env.run(&["list", "--json"], b"");
    assert_has(&list.stdout, r#""state":"rejected""#);
    let get = w.env.run(
        &["get"],
        format!(
            "protocol=https\nhost={}\npath=alta3/labs.git\n\n",
            w.server.host()
        )
        .as_bytes(),
    );
    assert_eq!(get.stdout, "quit=1\n");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_accepted_token_loses_its_rejected_mark() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    w.env
        .run(
            &["erase"],
            format!(
                "protocol=https\nhost={}\npath=alta3/labs.git\nusername=x\npassword={LIVE}\n\n",
                w.server.host()
            )
            .as_bytes(),
        )
        .ok();
    let offline = w.env.run(&["check", &w.url("labs")], b"");
    assert_eq!(offline.status, 1, "{}", offline.stdout);
    let out = w.check("labs");
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(r#""verdict":"ok""#)
            && out.stdout.contains(r#""rejected_cleared":true"#),
        "{}",
        out.stdout
    );
    assert_eq!(w.env.run(&["check", &w.url("labs")], b"").status, 0);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn add_verify_refuses_a_revoked_token_and_saves_nothing() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.server.revoke("t");
    let out = w.add("t", &["--repo", "labs", "--verify"], LIVE);
    w.assert_no_secret(&out);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(&out.stderr, "git-credential-scoped: the server rejected token 't' (401 Bad credentials): it is revoked, expired or mistyped\n");
    assert_has(
        &out.stderr,
        "nothing was saved; to save it anyway, add --force",
    );
    assert_lacks(&w.config(), "[[token]]");
    assert!(!w
        .env
        .stored_secrets()
        .iter()
        .any(|(k, _)| k.starts_with("token/t")));
    let forced = w.add("t", &["--repo", "labs", "--verify", "--force"], LIVE);
    assert_eq!(forced.status, 0, "{}", forced.stderr);
    assert_has(&forced.stderr, "saving it anyway (--force)");
    assert!(w.config().contains("name = \"t\""));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn add_verify_fills_the_expiry_and_refuses_a_repository_the_token_cannot_see() {
    let w = World::start(vec![token("t", LIVE, Some("2027-03-01 12:00:00 UTC"))]);
    let blind = w.add("t", &["--repo", "demo", "--verify"], LIVE);
    assert_eq!(blind.status, 2);
    assert!(
        blind
            .stderr
            .contains("the server cannot show alta3/demo to token 't' (404)"),
        "{}",
        blind.stderr
    );
    let out = w.add("t", &["--repo", "labs", "--verify"], LIVE);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_has(&out.stdout, "expires:      2027-03-01 (in 45 days)");
    assert!(w.config().contains("expires = \"2027-03-01T12:00:00Z\""));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn rotate_verify_keeps_the_old_secret_when_the_new_one_is_rejected() {
    let w = World::start(vec![token("t", LIVE, None), token("n", NEXT, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    let before = w.config();
    w.server.revoke("n");
    let out = w
        .env
        .run(&["rotate", "t", "--verify"], format!("{NEXT}\n").as_bytes());
    w.assert_no_secret(&out);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(&out.stderr, "the server rejected token 't'");
    assert_eq!(w.config(), before);
    let get = w.env.run(
        &["get"],
        format!(
            "protocol=https\nhost={}\npath=alta3/labs\n\n",
            w.server.host()
        )
        .as_bytes(),
    );
    assert!(get.stdout.contains(&format!("password={LIVE}\n")));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn git_config_http_ssl_ca_info_is_trusted_too() {
    let mut w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    w.env.extra.retain(|(k, _)| k != "GIT_SSL_CAINFO");
    let untrusted = w.check("labs");
    assert_eq!(untrusted.status, 1);
    assert_has(&untrusted.stdout, r#""verdict":"unverified""#);
    assert_has(&untrusted.stdout, "could not reach");
    let mut c = w.env.command("git");
    c.args(["config", "--global", "http.sslCAInfo"])
        .arg(w.server.ca_cert_path());
    assert!(c.status().unwrap().success());
    assert_eq!(w.check("labs").status, 0);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_unreachable_api_is_unverified_not_a_verdict_on_the_token() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"127.0.0.1:{port}\"\napi = \"https://127.0.0.1:{port}/api/v3\"\n"
    ));
    env.add(
        &[
            "t",
            "--host",
            &format!("127.0.0.1:{port}"),
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--no-expiry",
        ],
        LIVE,
    )
    .ok();
    let start = std::time::Instant::now();
    let out = env.run(
        &[
            "check",
            "--online",
            &format!("https://127.0.0.1:{port}/alta3/labs"),
        ],
        b"",
    );
    assert!(start.elapsed().as_secs() < 12);
    assert_eq!(out.status, 1);
    assert!(out.stdout.starts_with("unverified"), "{}", out.stdout);
    assert_has(
        &out.stderr,
        &format!("could not reach https://127.0.0.1:{port}/api/v3/repos/alta3/labs"),
    );
    let list = env.run(&["list", "--json"], b"");
    assert!(
        list.stdout.contains(r#""state":"ok""#),
        "not marked rejected: {}",
        list.stdout
    );
}

// ---- edit --verify (issue 14): the token as edited, asked with its own secret ----

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn edit_verify_refuses_a_repository_github_has_not_given_the_token_and_changes_nothing() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    let before = w.config();
    let out = w
        .env
        .run(&["edit", "t", "--add-repo", "demo", "--verify"], b"");
    w.assert_no_secret(&out);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(
        &out.stderr,
        "the server cannot show alta3/demo to token 't' (404)",
    );
    assert_has(
        &out.stderr,
        "nothing was changed; to change it anyway, add --force",
    );
    assert_eq!(w.config(), before);
    let forced = w.env.run(
        &["edit", "t", "--add-repo", "demo", "--verify", "--force"],
        b"",
    );
    assert_eq!(forced.status, 0, "{}", forced.stderr);
    assert_has(&forced.stderr, "changing it anyway (--force)");
    assert_has(&w.config(), "repositories = [\"labs\", \"demo\"]");
    // A revoked token is refused whatever the edit.
    w.server.revoke("t");
    let out = w.env.run(
        &["edit", "t", "--permission", "contents=write", "--verify"],
        b"",
    );
    assert_eq!(out.status, 2);
    assert_has(
        &out.stderr,
        "the server rejected token 't' (401 Bad credentials)",
    );
    assert_lacks(&w.config(), "contents = \"write\"");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn edit_verify_passes_once_github_has_the_change_and_records_the_servers_expiry() {
    let mut spec = token("t", LIVE, Some("2027-03-01 12:00:00 UTC"));
    spec.repos = Some(vec!["labs".into(), "demo".into()]);
    let w = World::start(vec![spec]);
    w.add("t", &["--repo", "labs"], LIVE).ok();
    assert_lacks(&w.config(), "expires");
    let out = w
        .env
        .run(&["edit", "t", "--add-repo", "demo", "--verify"], b"");
    w.assert_no_secret(&out);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_has(&out.stdout, "  repositories: labs -> labs, demo\n");
    assert_has(
        &out.stdout,
        "  expires:      unknown -> 2027-03-01 (in 45 days)\n",
    );
    assert_has(&w.config(), "expires = \"2027-03-01T12:00:00Z\"");
    // The server saw the added repository asked about with this token, and nothing else.
    let asked: Vec<String> = w
        .server
        .log()
        .iter()
        .filter(|e| e.path.starts_with("/api/v3/"))
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(
        asked,
        [
            "/api/v3/repos/alta3/demo",
            "/api/v3/repos/alta3/demo/commits?per_page=1"
        ]
    );
}

/// Network failures in words (issue 24 #15): a closed port is "connection refused", a
/// server whose certificate nobody vouches for is "certificate not trusted".
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn network_errors_say_what_failed_in_words() {
    let w = World::start(vec![token("t", LIVE, None)]);
    w.add("t", &["--repo", "labs", "--no-expiry"], LIVE).ok();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = std::fs::read_to_string(w.env.config_path()).unwrap();
    w.env.write_config(&text.replace(
        &w.server.api_base(),
        &format!("https://127.0.0.1:{port}/api/v3"),
    ));
    let closed = w.env.run(&["check", "--online", &w.url("labs")], b"");
    assert_eq!(closed.status, 1, "{}", closed.stderr);
    assert_has(&closed.stderr, "connection refused by 127.0.0.1");
    assert_lacks(&closed.stderr, "uncategorized");
    assert_lacks(&closed.stderr, "(ConnectionRefused)");

    // The server's own certificate, but the helper not told to trust its CA.
    let mut untrusted = World::start(vec![token("t", LIVE, None)]);
    untrusted
        .add("t", &["--repo", "labs", "--no-expiry"], LIVE)
        .ok();
    untrusted.env.extra.retain(|(k, _)| k != "GIT_SSL_CAINFO");
    let out = untrusted
        .env
        .run(&["check", "--online", &untrusted.url("labs")], b"");
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_has(&out.stderr, "certificate not trusted: unknown issuer");
    assert_lacks(&out.stderr, "uncategorized");
}
