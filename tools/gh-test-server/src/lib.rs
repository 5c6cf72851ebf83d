//! An in-process HTTPS server that behaves like GitHub towards fine-grained personal access
//! tokens, for end-to-end tests in which real `git clone`, `fetch` and `push` talk to it.
//!
//! * Git smart HTTP (protocol v0/v1/v2) is served by `$(git --exec-path)/git-http-backend`
//!   run as CGI over bare repositories at `ROOT/repos/<owner>/<repo>.git`.
//! * A few REST endpoints under `/api/v3` (`GET /repos/{o}/{r}` and
//!   `GET /repos/{o}/{r}/commits`) answer like api.github.com / GitHub Enterprise Server.
//! * Each [`TokenSpec`] is checked the way GitHub checks a fine-grained token: 401 for no,
//!   unknown, revoked or expired credentials; 404 `Repository not found.` when the token does not
//!   cover the repository, its org approval is pending, or it has no `contents` permission; 403
//!   `Permission to OWNER/REPO.git denied to USER.` on push with `contents: read`.
//! * GitHub's own reasons, with its message texts ([`OwnerPolicy`], [`TokenSpec`]): an owner's
//!   lifetime limit against the token's lifetime, classic tokens banned, an IP allow list,
//!   rate limiting, approval pending, a renamed repository (301, REST and git), a public
//!   repository, a redirect to another origin, and a hostile server that echoes the
//!   `Authorization` header into the headers a client reads.
//!
//! The server binds `127.0.0.1:0` only, uses a throw-away CA whose certificate is at
//! [`TestServer::ca_cert_path`], runs one thread per connection, stops on drop (and by itself
//! after ten minutes), and never logs or prints a token secret.
//!
//! Set `GH_TEST_SERVER_DEBUG=1` to get one line per request (and git-http-backend's stderr) on
//! stderr; secrets are redacted there too.
//!
//! ```no_run
//! use gh_test_server::{Contents, TestServer, TokenSpec};
//!
//! let dir = std::env::temp_dir().join("example");
//! let mut token = TokenSpec::new("ci", "github_pat_11AAAA_secret", "alta3");
//! token.repos = Some(vec!["labs".into()]);
//! token.contents = Contents::Write;
//! token.expiration_header = Some("2026-12-31 12:00:00 UTC".into());
//! let server = TestServer::start(&dir, vec![token])?;
//! server.create_repo("alta3", "labs")?;
//!
//! // A git client isolated from the machine, trusting the server's CA.
//! let home = dir.join("home");
//! let status = server
//!     .git_client_command(&home)?
//!     .args(["-c", "credential.helper="])
//!     .args(["-c", "credential.helper=!f() { echo username=x; echo password=github_pat_11AAAA_secret; }; f"])
//!     .args(["clone", "-q", &server.url("alta3", "labs")])
//!     .arg(dir.join("labs"))
//!     .status()?;
//! assert!(status.success());
//! assert!(server.log().iter().any(|e| e.token.as_deref() == Some("ci") && e.status == 200));
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(missing_docs)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

mod auth;
mod cgi;
mod files;
mod http;
mod policy;
mod route;

pub use policy::OwnerPolicy;
mod tls;

pub use files::FileServer;

/// How long an idle or stalled connection is kept.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The server shuts itself down after this long, whatever the test does.
const WATCHDOG: Duration = Duration::from_secs(600);

/// The `contents` repository permission of a fine-grained token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// No access to contents: clone and fetch get 404, `GET .../commits` gets 403.
    None,
    /// `contents: read`: clone and fetch work, push gets 403.
    Read,
    /// `contents: write`: clone, fetch and push work.
    Write,
}

/// One fine-grained personal access token known to the server.
#[derive(Clone)]
pub struct TokenSpec {
    /// Name used in the log ([`LogEntry::token`]); the secret is never logged.
    pub label: String,
    /// The token value clients send as the Basic-auth password (or as a Bearer token to the
    /// REST API).
    pub secret: String,
    /// The resource owner (user or organization), matched case-insensitively.
    pub owner: String,
    /// The selected repositories (plain names, case-insensitive, an optional `.git` is
    /// ignored); `None` means all of the owner's repositories.
    pub repos: Option<Vec<String>>,
    /// The `contents` permission.
    pub contents: Contents,
    /// An expired token: every request with it gets 401, as on GitHub.
    pub expired: bool,
    /// `false` = organization approval pending: the token cannot see any (private) repository
    /// of the owner, so git and REST get 404.
    pub approved: bool,
    /// Value of the `GitHub-Authentication-Token-Expiration` header sent on every
    /// authenticated response to this token, e.g. `"2026-12-31 12:00:00 UTC"` or
    /// `"2026-12-31 12:00:00 +0200"`; `None` = a token without expiry (no header).
    pub expiration_header: Option<String>,
    /// The token's lifetime in days (its expiry minus its creation), measured against an
    /// owner's [`OwnerPolicy::max_lifetime_days`]; `None` = no expiry.
    pub lifetime_days: Option<u32>,
    /// The number in the token's settings page, `https://github.com/settings/personal-access-tokens/ID`.
    pub settings_id: u64,
    /// A personal access token (classic), refused by owners with [`OwnerPolicy::classic_banned`].
    pub classic: bool,
    /// Rate limited: every REST answer is a 403 with `X-RateLimit-Remaining: 0` and
    /// `Retry-After` of this many seconds.
    pub rate_limited: Option<u64>,
}

impl TokenSpec {
    /// A live, approved token for all of `owner`'s repositories with `contents: read` and no
    /// expiration header; adjust the public fields as needed.
    pub fn new(label: &str, secret: &str, owner: &str) -> TokenSpec {
        TokenSpec {
            label: label.to_string(),
            secret: secret.to_string(),
            owner: owner.to_string(),
            repos: None,
            contents: Contents::Read,
            expired: false,
            approved: true,
            expiration_header: None,
            lifetime_days: Some(90),
            settings_id: 12885303,
            classic: false,
            rate_limited: None,
        }
    }
}

/// Debug output never shows the secret.
impl std::fmt::Debug for TokenSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSpec")
            .field("label", &self.label)
            .field("secret", &"<redacted>")
            .field("owner", &self.owner)
            .field("repos", &self.repos)
            .field("contents", &self.contents)
            .field("expired", &self.expired)
            .field("approved", &self.approved)
            .field("expiration_header", &self.expiration_header)
            .field("lifetime_days", &self.lifetime_days)
            .field("classic", &self.classic)
            .field("rate_limited", &self.rate_limited)
            .finish()
    }
}

/// One request the server answered (or gave up on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The request method (`GET`, `POST`, ...); empty when the request line was unreadable.
    pub method: String,
    /// The request target as sent, path plus `?query` (e.g.
    /// `/o/r.git/info/refs?service=git-upload-pack`), with any token secret replaced by
    /// `<redacted>`; empty when the request line was unreadable.
    pub path: String,
    /// The label of the token presented; `Some("<unknown>")` for a credential that matches no
    /// token or cannot be read; `None` when no `Authorization` header was sent. Never a
    /// secret.
    pub token: Option<String>,
    /// The HTTP status answered; `0` when the client went away before an answer (for example
    /// in the middle of a request body).
    pub status: u16,
}

/// Mutable state of one token.
struct TokenState {
    spec: TokenSpec,
    revoked: bool,
}

/// Live connections: their sockets (to shut them down on stop) and threads (to join them).
#[derive(Default)]
struct Conns {
    next_id: u64,
    live: HashMap<u64, TcpStream>,
    handles: Vec<JoinHandle<()>>,
}

/// State shared by the accept loop, the connection threads and the watchdog.
pub(crate) struct Shared {
    pub(crate) port: u16,
    pub(crate) repos_dir: PathBuf,
    home: PathBuf,
    git_config_global: PathBuf,
    path_env: OsString,
    pub(crate) http_backend: PathBuf,
    tls: Arc<ServerConfig>,
    tokens: Mutex<Vec<TokenState>>,
    log: Mutex<Vec<LogEntry>>,
    pub(crate) stopping: AtomicBool,
    conns: Mutex<Conns>,
    /// `true` once the owner has dropped the server (wakes the watchdog).
    dropped: (Mutex<bool>, Condvar),
    debug: bool,
    started: Instant,
    /// Milliseconds every REST answer waits before it is made (see `delay_api`).
    pub(crate) api_delay_ms: std::sync::atomic::AtomicU64,
    /// Owner policies, renamed and public repositories, echoing (see [`policy`]).
    pub(crate) extras: Mutex<policy::Extras>,
}

/// Locks a mutex, ignoring poisoning (a panicking thread must not take the server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Gives a git child process a clean environment: nothing of the machine's or the user's
    /// configuration leaks in.
    pub(crate) fn isolate(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", &self.path_env)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &self.git_config_global)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
    }

    /// Replaces every known token secret in `s` by `<redacted>`.
    pub(crate) fn redact(&self, s: &str) -> String {
        let mut out = s.to_string();
        for t in lock(&self.tokens).iter() {
            if !t.spec.secret.is_empty() && out.contains(&t.spec.secret) {
                out = out.replace(&t.spec.secret, "<redacted>");
            }
        }
        out
    }

    /// Prints a diagnostic line when `GH_TEST_SERVER_DEBUG` is set (secrets redacted).
    pub(crate) fn debug(&self, msg: &str) {
        if self.debug {
            let t = self.started.elapsed();
            eprintln!(
                "gh-test-server[{}] {}.{:03}s: {}",
                self.port,
                t.as_secs(),
                t.subsec_millis(),
                self.redact(msg)
            );
        }
    }

    fn record(&self, method: &str, target: &str, token: Option<String>, status: u16) {
        let entry = LogEntry {
            method: method.to_string(),
            path: self.redact(target),
            token,
            status,
        };
        self.debug(&format!(
            "{} {} token={} -> {}",
            entry.method,
            entry.path,
            entry.token.as_deref().unwrap_or("-"),
            entry.status
        ));
        lock(&self.log).push(entry);
    }

    /// Stops accepting, and cuts every live connection.
    fn stop(&self) {
        {
            let conns = lock(&self.conns);
            self.stopping.store(true, Ordering::SeqCst);
            for s in conns.live.values() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        // Wake the accept loop.
        let _ =
            TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(1));
    }
}

/// A running GitHub imitation. Dropping it stops the server and joins its threads.
pub struct TestServer {
    port: u16,
    ca_cert_path: PathBuf,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    watchdog: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("port", &self.port)
            .field("repos", &self.shared.repos_dir)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts a server on `127.0.0.1:0` serving the bare repositories at
    /// `root/repos/<owner>/<repo>.git` to the given tokens.
    ///
    /// `root` (made absolute, created if missing) also receives the server's own files in
    /// `root/.gh-test-server-<port>/`: the CA certificate and an empty home directory with the
    /// git configuration used for every git child process.
    pub fn start(root: &Path, tokens: Vec<TokenSpec>) -> io::Result<TestServer> {
        let root = std::path::absolute(root)?;
        let repos_dir = root.join("repos");
        std::fs::create_dir_all(&repos_dir)?;

        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();

        let state_dir = root.join(format!(".gh-test-server-{port}"));
        let home = state_dir.join("home");
        std::fs::create_dir_all(home.join(".config"))?;
        let git_config_global = home.join(".gitconfig");
        std::fs::write(
            &git_config_global,
            "# written by gh-test-server for its git child processes\n\
             [http]\n\treceivepack = true\n\
             [safe]\n\tdirectory = *\n\
             [init]\n\tdefaultBranch = main\n",
        )?;

        let path_env = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        let tls = tls::generate()?;
        let ca_cert_path = state_dir.join("ca.pem");
        std::fs::write(&ca_cert_path, &tls.ca_pem)?;

        let mut shared = Shared {
            port,
            repos_dir,
            home,
            git_config_global,
            path_env,
            http_backend: PathBuf::new(),
            tls: tls.config,
            tokens: Mutex::new(
                tokens
                    .into_iter()
                    .map(|spec| TokenState {
                        spec,
                        revoked: false,
                    })
                    .collect(),
            ),
            log: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            conns: Mutex::new(Conns::default()),
            dropped: (Mutex::new(false), Condvar::new()),
            debug: std::env::var_os("GH_TEST_SERVER_DEBUG").is_some_and(|v| !v.is_empty()),
            started: Instant::now(),
            api_delay_ms: std::sync::atomic::AtomicU64::new(0),
            extras: Mutex::new(policy::Extras::default()),
        };
        shared.http_backend = find_http_backend(&shared)?;
        let shared = Arc::new(shared);

        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("gh-test-server-{port}"))
                .spawn(move || accept_loop(shared, listener))?
        };
        let watchdog = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("gh-test-server-{port}-watchdog"))
                .spawn(move || watchdog(shared))?
        };
        Ok(TestServer {
            port,
            ca_cert_path,
            shared,
            accept: Some(accept),
            watchdog: Some(watchdog),
        })
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, as git sends it in the credential protocol's `host=`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The clone URL `https://127.0.0.1:PORT/owner/repo.git`.
    pub fn url(&self, owner: &str, repo: &str) -> String {
        format!("https://127.0.0.1:{}/{owner}/{repo}.git", self.port)
    }

    /// The REST API base `https://127.0.0.1:PORT/api/v3` (GitHub Enterprise Server style).
    pub fn api_base(&self) -> String {
        format!("https://127.0.0.1:{}/api/v3", self.port)
    }

    /// PEM file of the (self-signed) CA certificate that signed the server certificate: point
    /// `GIT_SSL_CAINFO` (and any other client) at it.
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }

    /// Creates the bare repository `root/repos/<owner>/<repo>.git` with one commit on `main`
    /// (a `README.md`), using git with an isolated environment. Fails if it exists already or
    /// a name is not a valid GitHub name.
    pub fn create_repo(&self, owner: &str, repo: &str) -> io::Result<()> {
        let valid = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
        };
        if !valid(owner) || !valid(repo) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("gh-test-server: invalid repository name {owner:?}/{repo:?}"),
            ));
        }
        let dir = self
            .shared
            .repos_dir
            .join(owner)
            .join(format!("{repo}.git"));
        if dir.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("gh-test-server: {} exists", dir.display()),
            ));
        }
        self.git(
            &["init", "--bare", "--quiet", "--initial-branch=main"],
            Some(&dir),
            None,
        )?;
        let readme = format!("# {owner}/{repo}\n\nCreated by gh-test-server.\n");
        let message = "Initial commit\n";
        let stream = format!(
            "commit refs/heads/main\n\
             author Test Author <author@example.com> 1700000000 +0000\n\
             committer Test Author <author@example.com> 1700000000 +0000\n\
             data {}\n{message}\n\
             M 100644 inline README.md\n\
             data {}\n{readme}\n\
             done\n",
            message.len(),
            readme.len(),
        );
        let mut git_dir = OsString::from("--git-dir=");
        git_dir.push(&dir);
        let git_dir = git_dir.into_string().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "gh-test-server: non-UTF-8 path",
            )
        })?;
        self.git(
            &[&git_dir, "fast-import", "--quiet", "--done"],
            None,
            Some(stream.as_bytes()),
        )
    }

    /// Runs git in the isolated environment; `dir` is appended as the last argument.
    fn git(&self, args: &[&str], dir: Option<&Path>, stdin: Option<&[u8]>) -> io::Result<()> {
        let mut cmd = Command::new("git");
        self.shared.isolate(&mut cmd);
        cmd.args(args);
        if let Some(d) = dir {
            cmd.arg(d);
        }
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("piped stdin");
            pipe.write_all(input)?;
        }
        let out = child.wait_with_output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "gh-test-server: git {} failed ({}): {}",
                args.first().copied().unwrap_or(""),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// Revokes every token with this label: from now on it gets 401 everywhere.
    pub fn revoke(&self, label: &str) {
        for t in lock(&self.shared.tokens).iter_mut() {
            if t.spec.label == label {
                t.revoked = true;
            }
        }
    }

    /// An owner approves every token with this label: from now on it sees its repositories.
    pub fn approve(&self, label: &str) {
        for t in lock(&self.shared.tokens).iter_mut() {
            if t.spec.label == label {
                t.spec.approved = true;
            }
        }
    }

    /// Makes every REST API answer wait this long (a slow server), so a test can change the
    /// registry while a client waits for an online check.
    pub fn delay_api(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared
            .api_delay_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets what `owner` enforces on tokens (lifetime limit, classic ban, IP allow list).
    pub fn set_owner_policy(&self, owner: &str, policy: OwnerPolicy) {
        lock(&self.shared.extras)
            .owners
            .insert(owner.to_ascii_lowercase(), policy);
    }

    /// Renames (or transfers) `owner/repo` to `new_owner/new_repo` on disk; requests for the
    /// old name get a 301 to the new one, REST and git alike, as on GitHub.
    pub fn rename_repo(
        &self,
        owner: &str,
        repo: &str,
        new_owner: &str,
        new_repo: &str,
    ) -> io::Result<()> {
        let dir = &self.shared.repos_dir;
        std::fs::create_dir_all(dir.join(new_owner))?;
        std::fs::rename(
            dir.join(owner).join(format!("{repo}.git")),
            dir.join(new_owner).join(format!("{new_repo}.git")),
        )?;
        for t in lock(&self.shared.tokens).iter_mut() {
            let covers = t.spec.owner.eq_ignore_ascii_case(owner);
            if let (true, Some(list)) = (covers, t.spec.repos.as_mut()) {
                for r in list.iter_mut().filter(|r| r.eq_ignore_ascii_case(repo)) {
                    *r = new_repo.to_string();
                }
            }
        }
        lock(&self.shared.extras).renamed.insert(
            (owner.to_ascii_lowercase(), repo.to_ascii_lowercase()),
            (new_owner.to_string(), new_repo.to_string()),
        );
        Ok(())
    }

    /// Makes the REST API answer questions about `owner/repo` with a 301 to `location`, an
    /// absolute URL (another server, for tests that a client does not follow it there).
    pub fn redirect_away(&self, owner: &str, repo: &str, location: &str) {
        lock(&self.shared.extras).away.insert(
            (owner.to_ascii_lowercase(), repo.to_ascii_lowercase()),
            location.to_string(),
        );
    }

    /// Makes `owner/repo` public: the REST API shows it to anyone, without a token.
    pub fn make_public(&self, owner: &str, repo: &str) {
        lock(&self.shared.extras)
            .public
            .push((owner.to_ascii_lowercase(), repo.to_ascii_lowercase()));
    }

    /// A hostile server: from now on it echoes the `Authorization` header it receives into
    /// `GitHub-Authentication-Token-Expiration` and `X-Accepted-GitHub-Permissions`.
    pub fn echo_authorization(&self) {
        lock(&self.shared.extras).echo_authorization = true;
    }

    /// Every request answered so far, in order.
    pub fn log(&self) -> Vec<LogEntry> {
        lock(&self.shared.log).clone()
    }

    /// A `git` command prepared to talk to this server as a client would, isolated from the
    /// machine: the environment is cleared and only `PATH` (this process's), `HOME` and
    /// `XDG_CONFIG_HOME` (= `home`, created if missing), `GIT_CONFIG_NOSYSTEM=1`,
    /// `GIT_CONFIG_GLOBAL` (= `home/.gitconfig`, created empty if missing),
    /// `GIT_TERMINAL_PROMPT=0`, `GIT_SSL_CAINFO` (= [`TestServer::ca_cert_path`]) and
    /// `LC_ALL=C` are set. No credential helper is configured: add e.g.
    /// `-c credential.helper= -c credential.helper=...` and any other `-c` options yourself.
    pub fn git_client_command(&self, home: &Path) -> io::Result<Command> {
        std::fs::create_dir_all(home.join(".config"))?;
        let global = home.join(".gitconfig");
        if !global.exists() {
            std::fs::write(&global, "")?;
        }
        let mut cmd = Command::new("git");
        cmd.env_clear()
            .env("PATH", &self.shared.path_env)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", &global)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_SSL_CAINFO", &self.ca_cert_path)
            .env("LC_ALL", "C");
        Ok(cmd)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop();
        {
            let (flag, cv) = &self.shared.dropped;
            *lock(flag) = true;
            cv.notify_all();
        }
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        if let Some(h) = self.watchdog.take() {
            let _ = h.join();
        }
        let handles = std::mem::take(&mut lock(&self.shared.conns).handles);
        for h in handles {
            let _ = h.join();
        }
    }
}

/// Locates `git-http-backend` through `git --exec-path`.
fn find_http_backend(shared: &Shared) -> io::Result<PathBuf> {
    let mut cmd = Command::new("git");
    shared.isolate(&mut cmd);
    let out = cmd
        .arg("--exec-path")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("gh-test-server: cannot run git: {e}")))?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let backend = Path::new(&dir).join("git-http-backend");
    if !out.status.success() || !backend.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("gh-test-server: no git-http-backend in {dir:?}"),
        ));
    }
    Ok(backend)
}

fn watchdog(shared: Arc<Shared>) {
    let deadline = Instant::now() + WATCHDOG;
    let (flag, cv) = &shared.dropped;
    let mut dropped = lock(flag);
    while !*dropped {
        let now = Instant::now();
        if now >= deadline {
            drop(dropped);
            shared.debug("watchdog: stopping after 10 minutes");
            shared.stop();
            return;
        }
        dropped = cv
            .wait_timeout(dropped, deadline - now)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        let mut conns = lock(&shared.conns);
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let id = conns.next_id;
        conns.next_id += 1;
        conns.live.insert(id, clone);
        conns.handles.retain(|h| !h.is_finished());
        let sh = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("gh-test-server-{}-conn{id}", shared.port))
            .spawn(move || {
                serve_connection(&sh, stream);
                lock(&sh.conns).live.remove(&id);
            });
        match spawned {
            Ok(h) => conns.handles.push(h),
            Err(_) => {
                if let Some(s) = conns.live.remove(&id) {
                    let _ = s.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

type Tls = StreamOwned<ServerConnection, TcpStream>;

/// Serves requests on one connection until it closes, fails, or the server stops.
fn serve_connection(shared: &Shared, tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(IO_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(IO_TIMEOUT));
    let Ok(conn) = ServerConnection::new(Arc::clone(&shared.tls)) else {
        return;
    };
    let mut stream = BufReader::new(StreamOwned::new(conn, tcp));
    while !shared.stopping.load(Ordering::SeqCst) {
        match serve_one(shared, &mut stream) {
            Ok(true) => continue,
            Ok(false) | Err(_) => break,
        }
    }
    let s = stream.get_mut();
    s.conn.send_close_notify();
    let _ = s.flush();
}

/// Serves one request; `Ok(true)` when the connection may carry another.
fn serve_one(shared: &Shared, stream: &mut BufReader<Tls>) -> io::Result<bool> {
    use http::ReadError;
    let req = match http::read_head(stream) {
        Ok(Some(r)) => r,
        Ok(None) | Err(ReadError::Io) => return Ok(false),
        Err(ReadError::Bad(status, what)) => {
            shared.record("", "", None, status);
            let resp = http::Response::text(status, &format!("Bad request: {what}\n"));
            http::write_response(stream.get_mut(), &resp, true, false)?;
            return Ok(false);
        }
    };
    if req.framing != http::Framing::None {
        shared.debug(&format!(
            "{} {}: body {:?}{}{}",
            req.method,
            req.target,
            req.framing,
            if req.expect_continue {
                ", Expect: 100-continue"
            } else {
                ""
            },
            match req.header("content-encoding") {
                Some(e) => format!(", Content-Encoding: {e}"),
                None => String::new(),
            }
        ));
    }
    let decision = route::decide(shared, &req);
    let mut close = req.close;
    let head_only = req.method == "HEAD";

    let body_error = |shared: &Shared, err: ReadError, stream: &mut BufReader<Tls>| {
        let status = match err {
            ReadError::Io => 0,
            ReadError::Bad(s, _) => s,
        };
        shared.record(&req.method, &req.target, decision.token.clone(), status);
        if status != 0 {
            let resp = http::Response::text(status, "Bad request body\n");
            let _ = http::write_response(stream.get_mut(), &resp, true, false);
        }
    };

    let mut resp = match decision.plan {
        route::Plan::Respond(ref resp) => {
            if req.framing != http::Framing::None {
                if req.expect_continue {
                    // The client has not sent the body; answer now and close instead.
                    close = true;
                } else if let Err(e) = http::read_body(stream, req.framing) {
                    body_error(shared, e, stream);
                    return Ok(false);
                }
            }
            resp.clone()
        }
        route::Plan::Backend {
            ref path_info,
            ref user,
        } => {
            if req.expect_continue {
                let s = stream.get_mut();
                s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                s.flush()?;
            }
            let body = match http::read_body(stream, req.framing) {
                Ok(b) => b,
                Err(e) => {
                    body_error(shared, e, stream);
                    return Ok(false);
                }
            };
            cgi::run_backend(shared, &req, path_info, user, body)
        }
    };
    if let Some(exp) = &decision.expiration {
        resp.headers
            .push(("GitHub-Authentication-Token-Expiration".into(), exp.clone()));
    }
    if lock(&shared.extras).echo_authorization {
        if let Some(auth) = req.header("authorization") {
            policy::echo(&mut resp, auth);
        }
    }
    shared.record(
        &req.method,
        &req.target,
        decision.token.clone(),
        resp.status,
    );
    http::write_response(stream.get_mut(), &resp, close, head_only)?;
    Ok(!close)
}
