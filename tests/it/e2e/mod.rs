//! End to end: real `git clone`, `fetch` and `push` over HTTPS on loopback, against
//! gh-test-server (a local server that treats fine-grained tokens the way GitHub does), with
//! the helper configured the way a user configures it — in the hermetic global gitconfig:
//!
//! ```text
//! [credential "https://127.0.0.1:PORT"]
//!     helper =
//!     helper = scoped
//!     useHttpPath = true
//! ```
//!
//! and the server declared in the helper's `config.toml` as a `[[host]]`. git finds
//! `git-credential-scoped` on PATH (the build directory) and calls it by itself; nothing in
//! these tests talks to the helper on git's behalf. Each test gets its own server, HOME and
//! registry ([`World`]); what the server received is read from its log, which names the token
//! by label and never holds a secret.

mod clients;
mod installer;
mod push;
mod reasons;
mod refusals;
mod rejected;
mod routing;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gh_test_server::{LogEntry, TestServer, TokenSpec};

use crate::support::{run_with_stdin, Env, Out};

/// A token-shaped secret (`github_pat_11` + 20 + `_` + 59 characters) carrying `tag`, so each
/// test's secrets are distinct and easy to look for in files and output.
pub fn pat(tag: &str) -> String {
    assert!(tag.len() <= 20 && tag.bytes().all(|b| b.is_ascii_alphanumeric()));
    format!("github_pat_11{tag:0<20}_{tag:x<59}")
}

/// One test's world: a GitHub-like server and a user's machine (HOME, gitconfig, registry).
/// `server` is declared first so it stops before the temp dir holding its files is removed.
pub struct World {
    pub server: TestServer,
    pub env: Env,
}

impl World {
    /// Starts a server for `tokens` with `repos` (owner, name) under `env`'s temp dir, writes
    /// the user's gitconfig and declares the server as a GitHub host for the helper.
    pub fn start(env: Env, tokens: Vec<TokenSpec>, repos: &[(&str, &str)]) -> World {
        let server = TestServer::start(&env.tmp.path().join("server"), tokens).expect("server");
        for (owner, repo) in repos {
            server.create_repo(owner, repo).expect("create repo");
        }
        let world = World { server, env };
        world.configure_git();
        world.env.write_config(&format!(
            "version = 1\n\n[[host]]\nname = \"{}\"\napi = \"{}\"\nallow_http = false\n",
            world.server.host(),
            world.server.api_base()
        ));
        world
    }

    /// What `git credential-scoped setup --host 127.0.0.1:PORT --global` amounts to, written
    /// with `git config --global` as a user would.
    fn configure_git(&self) {
        let section = format!("credential.https://{}", self.server.host());
        let (helper, use_http_path) = (
            format!("{section}.helper"),
            format!("{section}.useHttpPath"),
        );
        let settings = [
            vec!["--add", &helper, ""],
            vec!["--add", &helper, "scoped"],
            vec![&use_http_path, "true"],
            vec!["user.name", "E2E Tester"],
            vec!["user.email", "e2e@example.com"],
            vec!["init.defaultBranch", "main"],
        ];
        for args in settings {
            let mut c = self.env.command("git");
            c.args(["config", "--global"]).args(args);
            let out = run_with_stdin(c, b"");
            out.ok();
        }
    }

    /// `https://127.0.0.1:PORT/owner/repo.git`
    pub fn url(&self, owner: &str, repo: &str) -> String {
        self.server.url(owner, repo)
    }

    /// Registers a token for this server's host: `add NAME --host 127.0.0.1:PORT ARGS...`.
    pub fn add(&self, name: &str, args: &[&str], secret: &str) {
        let host = self.server.host();
        let mut all = vec![name, "--host", &host];
        all.extend_from_slice(args);
        self.env.add(&all, secret).ok();
    }

    /// Runs a management command of the helper.
    pub fn helper(&self, args: &[&str]) -> Out {
        self.env.run(args, b"")
    }

    /// Real git in the hermetic environment, trusting the server's certificate (this machine
    /// sets GIT_SSL_CAINFO globally; the Env clears it).
    pub fn git(&self, args: &[&str]) -> Out {
        self.git_with_input(args, b"")
    }

    pub fn git_with_input(&self, args: &[&str], stdin: &[u8]) -> Out {
        let mut c = self.env.command("git");
        c.env("GIT_SSL_CAINFO", self.server.ca_cert_path());
        c.args(args);
        run_with_stdin(c, stdin)
    }

    /// Where clone `name` goes.
    pub fn dest(&self, name: &str) -> PathBuf {
        self.env.tmp.path().join("clones").join(name)
    }

    /// `git clone URL clones/NAME`.
    pub fn clone(&self, url: &str, name: &str) -> Out {
        let dest = self.dest(name);
        self.git(&["clone", "--quiet", url, &dest.to_string_lossy()])
    }

    /// `git -C clones/NAME ARGS...`.
    pub fn git_in(&self, name: &str, args: &[&str]) -> Out {
        let dest = self.dest(name);
        let mut all = vec!["-C", dest.to_str().expect("UTF-8 temp path")];
        all.extend_from_slice(args);
        self.git(&all)
    }

    /// Like [`World::clone`], also measuring how long git took.
    pub fn timed_clone(&self, url: &str, name: &str) -> (Out, Duration) {
        let start = Instant::now();
        let out = self.clone(url, name);
        (out, start.elapsed())
    }

    /// The state column of `list` for token `name`.
    pub fn state_of(&self, name: &str) -> String {
        let list = self.helper(&["list"]);
        list.ok();
        let row = list
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("token {name} is not listed:\n{}", list.stdout));
        let states = ["ok", "expiring", "expired", "rejected", "no-contents"];
        row.split_whitespace()
            .find(|w| states.contains(w))
            .unwrap_or_else(|| panic!("no state in row: {row}"))
            .to_string()
    }
}

/// Log entries in which the server received the token labelled `label`.
pub fn received<'a>(log: &'a [LogEntry], label: &str) -> Vec<&'a LogEntry> {
    log.iter()
        .filter(|e| e.token.as_deref() == Some(label))
        .collect()
}

/// The labels of every token the server received, in order of first appearance.
pub fn labels(log: &[LogEntry]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in log {
        if let Some(t) = &e.token {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    out
}

/// Whether the server served `owner/repo` (any git path under it) with 200 to `label`.
pub fn served(log: &[LogEntry], label: &str, owner: &str, repo: &str) -> bool {
    let prefix = format!("/{owner}/{repo}").to_ascii_lowercase();
    log.iter().any(|e| {
        let path = e.path.to_ascii_lowercase();
        e.token.as_deref() == Some(label)
            && e.status == 200
            && path
                .strip_prefix(&prefix)
                .is_some_and(|rest| rest.starts_with(".git/") || rest.starts_with('/'))
    })
}
