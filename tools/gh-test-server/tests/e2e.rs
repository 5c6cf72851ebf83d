//! End-to-end tests: real git (and a raw TLS client) against the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;

use gh_test_server::{Contents, LogEntry, TestServer, TokenSpec};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

// Secrets shaped like fine-grained tokens; the canary check looks for each of them.
const READ: &str = "github_pat_11READ0000000000000000_canaryREADsecret";
const WRITE: &str = "github_pat_11WRITE000000000000000_canaryWRITEsecret";
const NARROW: &str = "github_pat_11NARROW00000000000000_canaryNARROWsecret";
const NOCONTENTS: &str = "github_pat_11NONE0000000000000000_canaryNONEsecret";
const PENDING: &str = "github_pat_11PENDING000000000000_canaryPENDINGsecret";
const EXPIRED: &str = "github_pat_11EXPIRED000000000000_canaryEXPIREDsecret";
const UNKNOWN: &str = "github_pat_11UNKNOWN000000000000_canaryUNKNOWNsecret";
const ALL_SECRETS: &[&str] = &[READ, WRITE, NARROW, NOCONTENTS, PENDING, EXPIRED, UNKNOWN];

fn tokens() -> Vec<TokenSpec> {
    let mut read = TokenSpec::new("read", READ, "alta3");
    read.expiration_header = Some("2026-12-31 12:00:00 UTC".into());
    let mut write = TokenSpec::new("write", WRITE, "alta3");
    write.contents = Contents::Write;
    write.expiration_header = Some("2026-12-31 12:00:00 +0200".into());
    let mut narrow = TokenSpec::new("narrow", NARROW, "Alta3");
    narrow.repos = Some(vec!["LABS".into(), "enchilada".into()]);
    let mut none = TokenSpec::new("nocontents", NOCONTENTS, "alta3");
    none.contents = Contents::None;
    let mut pending = TokenSpec::new("pending", PENDING, "alta3");
    pending.approved = false;
    let mut expired = TokenSpec::new("expired", EXPIRED, "alta3");
    expired.expired = true;
    vec![read, write, narrow, none, pending, expired]
}

struct Fixture {
    dir: tempfile::TempDir,
    server: TestServer,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), tokens()).unwrap();
    for (o, r) in [("alta3", "labs"), ("alta3", "demo"), ("other", "labs")] {
        server.create_repo(o, r).unwrap();
    }
    Fixture { dir, server }
}

impl Fixture {
    /// Runs git as a client with a credential helper that answers `password=secret`.
    fn git(&self, secret: Option<&str>, cwd: &Path, args: &[&str]) -> Output {
        let home = self.dir.path().join("client-home");
        let mut cmd = self.server.git_client_command(&home).unwrap();
        cmd.current_dir(cwd).arg("-c").arg("credential.helper=");
        if let Some(s) = secret {
            cmd.arg("-c").arg(format!(
                "credential.helper=!f() {{ echo username=x-access-token; echo password={s}; }}; f"
            ));
        }
        cmd.args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn clone(&self, secret: Option<&str>, url: &str, dest: &str) -> Output {
        self.git(secret, self.dir.path(), &["clone", "--quiet", url, dest])
    }

    fn path(&self, p: &str) -> std::path::PathBuf {
        self.dir.path().join(p)
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The canary: nothing the server logged (nor anything git printed) contains a secret.
fn assert_no_secret(log: &[LogEntry], outputs: &[&Output]) {
    let text = format!("{log:?}");
    for s in ALL_SECRETS {
        assert!(!text.contains(s), "a secret leaked into the log");
    }
    for o in outputs {
        for s in ALL_SECRETS {
            assert!(!stderr(o).contains(s) && !String::from_utf8_lossy(&o.stdout).contains(s));
        }
    }
}

#[test]
fn clone_and_fetch_with_a_valid_token() {
    let f = fixture();
    let out = f.clone(Some(READ), &f.server.url("alta3", "labs"), "labs");
    assert!(out.status.success(), "clone failed: {}", stderr(&out));
    let readme = std::fs::read_to_string(f.path("labs/README.md")).unwrap();
    assert!(readme.contains("alta3/labs"));

    let fetch = f.git(Some(READ), &f.path("labs"), &["fetch", "--quiet", "origin"]);
    assert!(fetch.status.success(), "fetch failed: {}", stderr(&fetch));

    // Without `.git` and in another case, the same repository.
    let url = format!("https://{}/ALTA3/Labs", f.server.host());
    let out2 = f.clone(Some(NARROW), &url, "labs2");
    assert!(out2.status.success(), "clone failed: {}", stderr(&out2));

    let log = f.server.log();
    // git's first request carries no credentials and gets 401; then the token works.
    assert_eq!(log[0].token, None);
    assert_eq!(log[0].status, 401);
    assert_eq!(
        log[0].path,
        "/alta3/labs.git/info/refs?service=git-upload-pack"
    );
    assert!(log.iter().any(|e| e.method == "POST"
        && e.path == "/alta3/labs.git/git-upload-pack"
        && e.status == 200
        && e.token.as_deref() == Some("read")));
    assert!(log.iter().any(|e| e.path.starts_with("/ALTA3/Labs/")
        && e.token.as_deref() == Some("narrow")
        && e.status == 200));
    assert_no_secret(&log, &[&out, &fetch, &out2]);
}

#[test]
fn outside_scope_is_repository_not_found() {
    let f = fixture();
    let cases = [
        (NARROW, f.server.url("alta3", "demo")), // repository not selected
        (READ, f.server.url("other", "labs")),   // another owner
        (NOCONTENTS, f.server.url("alta3", "labs")), // no contents permission
        (PENDING, f.server.url("alta3", "labs")), // org approval pending
        (READ, f.server.url("alta3", "missing")), // no such repository
    ];
    let mut outs = Vec::new();
    for (i, (secret, url)) in cases.iter().enumerate() {
        let out = f.clone(Some(secret), url, &format!("c{i}"));
        assert!(!out.status.success(), "{url} should fail");
        assert!(
            stderr(&out).contains("remote: Repository not found."),
            "{url}: {}",
            stderr(&out)
        );
        outs.push(out);
    }
    let log = f.server.log();
    let not_found: Vec<_> = log.iter().filter(|e| e.status == 404).collect();
    assert_eq!(not_found.len(), cases.len());
    let labels: Vec<_> = not_found.iter().map(|e| e.token.clone().unwrap()).collect();
    assert_eq!(labels, ["narrow", "read", "nocontents", "pending", "read"]);
    assert_no_secret(&log, &outs.iter().collect::<Vec<_>>());
}

#[test]
fn revoked_expired_and_unknown_tokens_get_401() {
    let f = fixture();
    let url = f.server.url("alta3", "labs");
    let ok = f.clone(Some(READ), &url, "before");
    assert!(ok.status.success(), "{}", stderr(&ok));
    f.server.revoke("read");
    let revoked = f.clone(Some(READ), &url, "after");
    let expired = f.clone(Some(EXPIRED), &url, "expired");
    let unknown = f.clone(Some(UNKNOWN), &url, "unknown");
    let anonymous = f.clone(None, &url, "anonymous");
    for o in [&revoked, &expired, &unknown] {
        assert!(!o.status.success());
        assert!(stderr(o).contains("Authentication failed"), "{}", stderr(o));
    }
    assert!(!anonymous.status.success());
    let log = f.server.log();
    let rejected: Vec<_> = log
        .iter()
        .filter(|e| e.status == 401 && e.token.is_some())
        .map(|e| e.token.clone().unwrap())
        .collect();
    assert_eq!(rejected, ["read", "expired", "<unknown>"]);
    assert_no_secret(&log, &[&ok, &revoked, &expired, &unknown, &anonymous]);
}

/// Deterministic incompressible bytes.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn push_needs_contents_write() {
    let f = fixture();
    let url = f.server.url("alta3", "labs");
    let out = f.clone(Some(WRITE), &url, "w");
    assert!(out.status.success(), "{}", stderr(&out));
    let wt = f.path("w");
    // A pack larger than http.postBuffer makes git send a chunked request body.
    std::fs::write(wt.join("big.bin"), noise(300_000, 7)).unwrap();
    assert!(f.git(None, &wt, &["add", "big.bin"]).status.success());
    assert!(f
        .git(None, &wt, &["commit", "-q", "-m", "big"])
        .status
        .success());
    let push = f.git(
        Some(WRITE),
        &wt,
        &[
            "-c",
            "http.postBuffer=65536",
            "push",
            "-q",
            "origin",
            "main",
        ],
    );
    assert!(push.status.success(), "push failed: {}", stderr(&push));

    // The server's copy has the new commit.
    let head = f.git(None, &wt, &["rev-parse", "HEAD"]);
    let remote = f.git(Some(READ), &wt, &["ls-remote", &url, "refs/heads/main"]);
    assert!(remote.status.success(), "{}", stderr(&remote));
    assert_eq!(
        String::from_utf8_lossy(&remote.stdout)
            .split('\t')
            .next()
            .unwrap(),
        String::from_utf8_lossy(&head.stdout).trim()
    );

    // A read-only token can clone but not push.
    let out = f.clone(Some(READ), &url, "r");
    assert!(out.status.success(), "{}", stderr(&out));
    let rt = f.path("r");
    std::fs::write(rt.join("file.txt"), "x\n").unwrap();
    assert!(f.git(None, &rt, &["add", "file.txt"]).status.success());
    assert!(f
        .git(None, &rt, &["commit", "-q", "-m", "x"])
        .status
        .success());
    let denied = f.git(Some(READ), &rt, &["push", "-q", "origin", "main"]);
    assert!(!denied.status.success());
    assert!(
        stderr(&denied).contains("Permission to alta3/labs.git denied to x-access-token."),
        "{}",
        stderr(&denied)
    );
    assert!(stderr(&denied).contains("403"), "{}", stderr(&denied));

    let log = f.server.log();
    assert!(log.iter().any(|e| e.method == "POST"
        && e.path == "/alta3/labs.git/git-receive-pack"
        && e.status == 200
        && e.token.as_deref() == Some("write")));
    assert!(log.iter().any(
        |e| e.path == "/alta3/labs.git/info/refs?service=git-receive-pack"
            && e.status == 403
            && e.token.as_deref() == Some("read")
    ));
    assert_no_secret(&log, &[&push, &denied, &remote]);
}

// ---- a raw HTTPS client for the REST API and malformed requests ----

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn tls_connect(server: &TestServer) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(server.ca_cert_path()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

/// Sends raw bytes, reads everything until the server closes, returns all responses.
fn raw(server: &TestServer, request: &[u8]) -> Vec<u8> {
    let mut s = tls_connect(server);
    s.write_all(request).unwrap();
    s.flush().unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_string(), v.to_string())
        })
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(server: &TestServer, path: &str, auth: Option<&str>) -> Reply {
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.host()
    );
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    parse_reply(&raw(server, req.as_bytes()))
}

fn basic(user: &str, secret: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let data = format!("{user}:{secret}").into_bytes();
    let mut out = String::from("Basic ");
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn rest_api_like_github() {
    let f = fixture();
    let s = &f.server;
    assert_eq!(
        s.api_base(),
        format!("https://127.0.0.1:{}/api/v3", s.port())
    );
    let repo = "/api/v3/repos/alta3/labs";
    let commits = "/api/v3/repos/alta3/labs/commits?per_page=1";

    // The three ways to present a token.
    for auth in [
        format!("Bearer {READ}"),
        format!("token {READ}"),
        basic("x", READ),
    ] {
        let r = get(s, repo, Some(&auth));
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("\"full_name\":\"alta3/labs\""),
            "{}",
            r.body
        );
        assert!(r.body.contains("\"private\":true"));
        assert_eq!(
            r.header("GitHub-Authentication-Token-Expiration"),
            Some("2026-12-31 12:00:00 UTC")
        );
        assert!(r
            .header("Content-Type")
            .unwrap()
            .starts_with("application/json"));
    }
    // Case-insensitive, canonical names in the answer; numeric offset; no header without expiry.
    let r = get(
        s,
        "/api/v3/repos/ALTA3/Labs",
        Some(&format!("Bearer {WRITE}")),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("\"full_name\":\"alta3/labs\""));
    assert_eq!(
        r.header("GitHub-Authentication-Token-Expiration"),
        Some("2026-12-31 12:00:00 +0200")
    );
    let r = get(s, repo, Some(&format!("Bearer {NARROW}")));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("GitHub-Authentication-Token-Expiration"), None);

    // Metadata is readable without contents; commits are not.
    let r = get(s, repo, Some(&format!("Bearer {NOCONTENTS}")));
    assert_eq!(r.status, 200);
    let r = get(s, commits, Some(&format!("Bearer {NOCONTENTS}")));
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains("Resource not accessible by personal access token"));
    assert_eq!(
        r.header("X-Accepted-GitHub-Permissions"),
        Some("contents=read")
    );
    let r = get(s, commits, Some(&format!("token {READ}")));
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with("[{\"sha\":\""), "{}", r.body);
    assert_eq!(
        r.header("GitHub-Authentication-Token-Expiration"),
        Some("2026-12-31 12:00:00 UTC")
    );

    // Not covered, pending approval, missing, or no token at all: 404.
    for (path, auth) in [
        ("/api/v3/repos/alta3/demo", Some(format!("Bearer {NARROW}"))),
        ("/api/v3/repos/other/labs", Some(format!("Bearer {READ}"))),
        (repo, Some(format!("Bearer {PENDING}"))),
        (
            "/api/v3/repos/alta3/missing",
            Some(format!("Bearer {READ}")),
        ),
        (
            "/api/v3/repos/alta3/demo/commits",
            Some(format!("Bearer {NARROW}")),
        ),
        (repo, None),
    ] {
        let r = get(s, path, auth.as_deref());
        assert_eq!(r.status, 404, "{path}");
        assert!(r.body.contains("\"message\":\"Not Found\""), "{}", r.body);
    }
    // Dead tokens: 401 Bad credentials, and no expiration header.
    for auth in [
        format!("Bearer {EXPIRED}"),
        format!("Bearer {UNKNOWN}"),
        "Bearer".to_string(),
    ] {
        let r = get(s, repo, Some(&auth));
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Bad credentials"));
        assert_eq!(r.header("GitHub-Authentication-Token-Expiration"), None);
    }
    s.revoke("read");
    let r = get(s, repo, Some(&format!("Bearer {READ}")));
    assert_eq!(r.status, 401);

    // A secret in the URL never reaches the log.
    let r = get(
        s,
        &format!("/api/v3/repos/alta3/labs?access_token={WRITE}"),
        Some(&format!("Bearer {WRITE}")),
    );
    assert_eq!(r.status, 200);
    let log = s.log();
    assert!(log
        .iter()
        .any(|e| e.path == "/api/v3/repos/alta3/labs?access_token=<redacted>"));
    assert!(log
        .iter()
        .any(|e| e.token.as_deref() == Some("<unknown>") && e.status == 401));
    assert_no_secret(&log, &[]);
}

/// CRC-32 (IEEE) for the hand-made gzip stream below.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// gzip with a single stored (uncompressed) deflate block.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    let len = data.len() as u16;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[test]
fn raw_http_framing_gzip_and_malformed_requests() {
    let f = fixture();
    let s = &f.server;
    let auth = basic("x", READ);

    // Protocol v2 ls-refs, gzip'd, sent chunked with Expect: 100-continue.
    let body = gzip_stored(b"0014command=ls-refs\n0001000bunborn\n0000");
    let mut req = format!(
        "POST /alta3/labs.git/git-upload-pack HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/x-git-upload-pack-request\r\nAccept: application/x-git-upload-pack-result\r\n\
         Git-Protocol: version=2\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        s.host()
    )
    .into_bytes();
    let (a, b) = body.split_at(10);
    for part in [a, b] {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let reply = raw(s, &req);
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{text}"
    );
    assert!(text.contains("refs/heads/main"), "{text}");
    assert!(text.contains("GitHub-Authentication-Token-Expiration: 2026-12-31 12:00:00 UTC"));

    // Keep-alive: two requests on one connection, the second closes it.
    let two = format!(
        "GET /alta3/labs.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: h\r\nAuthorization: {auth}\r\n\r\n\
         GET /api/v3/repos/alta3/labs HTTP/1.1\r\nHost: h\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    );
    let reply = String::from_utf8_lossy(&raw(s, two.as_bytes())).into_owned();
    assert_eq!(reply.matches("HTTP/1.1 200 OK").count(), 2, "{reply}");

    // A rejected POST: its body is skipped and the connection stays usable...
    let two = format!(
        "POST /alta3/labs.git/git-upload-pack HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
         GET /api/v3/repos/alta3/labs HTTP/1.1\r\nHost: h\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    );
    let reply = String::from_utf8_lossy(&raw(s, two.as_bytes())).into_owned();
    assert!(
        reply.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{reply}"
    );
    assert!(reply.contains("WWW-Authenticate: Basic realm=\"GitHub\"\r\n"));
    assert!(reply.contains("HTTP/1.1 200 OK"), "{reply}");
    // ...unless it waits for 100-continue: then the final answer comes at once, and a close.
    let mut conn = tls_connect(s);
    conn.write_all(
        b"POST /alta3/labs.git/git-upload-pack HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    conn.flush().unwrap();
    let mut reply = Vec::new();
    let _ = conn.read_to_end(&mut reply);
    let reply = parse_reply(&reply);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("Connection"), Some("close"));

    // Malformed requests get 400 (or 4xx) and the server keeps going.
    for bad in [
        &b"NONSENSE\r\n\r\n"[..],
        b"GET /x HTTP/9\r\n\r\n",
        b"GET /%zz HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"POST /alta3/labs.git/git-upload-pack HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"\x16\x03\x01garbage\r\n\r\n",
    ] {
        let reply = raw(s, bad);
        assert!(reply.starts_with(b"HTTP/1.1 4"), "{:?}", String::from_utf8_lossy(&reply));
    }
    // Authorization junk is a 401, not a crash.
    for junk in ["Basic !!!", "Basic", "Digest abc", &basic("", READ)] {
        let r = get(
            s,
            "/alta3/labs.git/info/refs?service=git-upload-pack",
            Some(junk),
        );
        assert_eq!(r.status, 401, "{junk}");
        assert_eq!(r.header("WWW-Authenticate"), Some("Basic realm=\"GitHub\""));
    }
    // Plain HTTP or garbage instead of TLS: the server drops it or waits for more, and goes on.
    for junk in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        b"\x16\x03\x01\x00\x05hello",
        b"\0\0\0\0\0\0",
    ] {
        let mut tcp = TcpStream::connect(("127.0.0.1", s.port())).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        tcp.write_all(junk).unwrap();
        let mut sink = Vec::new();
        let _ = tcp.read_to_end(&mut sink);
    }

    let r = get(
        s,
        "/api/v3/repos/alta3/labs",
        Some(&format!("Bearer {READ}")),
    );
    assert_eq!(r.status, 200);
    assert_no_secret(&s.log(), &[]);
}

#[test]
fn drop_stops_the_server() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TestServer>();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), tokens()).unwrap();
    let port = server.port();
    assert_eq!(server.host(), format!("127.0.0.1:{port}"));
    assert_eq!(
        server.url("o", "r"),
        format!("https://127.0.0.1:{port}/o/r.git")
    );
    assert!(std::fs::read_to_string(server.ca_cert_path())
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    // An idle keep-alive connection must not keep the server alive.
    let mut idle = tls_connect(&server);
    idle.write_all(b"GET /api/v3/x HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    idle.flush().unwrap();
    let mut buf = [0u8; 12];
    idle.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 404");
    let started = std::time::Instant::now();
    drop(server);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The idle connection was cut (EOF or an error, not a timeout). (No check that the port is
    // refused: a server started by a parallel test may get the same port at once.)
    idle.sock
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    if let Err(e) = idle.read_to_end(&mut rest) {
        assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        );
    }
}
