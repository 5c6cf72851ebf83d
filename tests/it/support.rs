//! A hermetic environment for driving the binary and real git: a fresh temp HOME, a cleared
//! environment (this machine's /etc/gitconfig and GIT_SSL_CAINFO never leak in), a fixed
//! clock when a test asks for one, and the `file` secret store unless a test opts into the
//! keyring with a private Secret Service.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_git-credential-scoped");

/// 2027-01-15T00:00:00Z, the fixed "now" of tests that set a clock.
pub const NOW: i64 = 1_799_971_200;
pub const DAY: i64 = 86_400;

// Where the binary keeps its files under this HOME by default (the dirs crate, SPEC §6).
#[cfg(target_os = "macos")]
const CONFIG_DIR: &str = "Library/Application Support/git-credential-scoped";
#[cfg(target_os = "macos")]
const DATA_DIR: &str = CONFIG_DIR;
// Windows' known folders do not follow HOME: Env::command names these two explicitly.
#[cfg(windows)]
const CONFIG_DIR: &str = "AppData/Roaming/git-credential-scoped";
#[cfg(windows)]
const DATA_DIR: &str = CONFIG_DIR;
#[cfg(not(any(target_os = "macos", windows)))]
const CONFIG_DIR: &str = ".config/git-credential-scoped";
#[cfg(not(any(target_os = "macos", windows)))]
const DATA_DIR: &str = ".local/share/git-credential-scoped";

pub struct Env {
    pub tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub now: Option<i64>,
    pub store: &'static str,
    pub extra: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("temp dir");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        Env {
            tmp,
            home,
            now: None,
            store: "file",
            extra: Vec::new(),
        }
    }

    pub fn at(mut self, now: i64) -> Env {
        self.now = Some(now);
        self
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.extra.push((key.to_string(), value.to_string()));
    }

    pub fn config_path(&self) -> PathBuf {
        self.home.join(CONFIG_DIR).join("config.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.join(DATA_DIR)
    }

    pub fn write_config(&self, text: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }

    /// A command with the hermetic environment applied.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear();
        let bin_dir = Path::new(BIN).parent().unwrap();
        #[cfg(unix)]
        c.env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
        );
        #[cfg(windows)]
        {
            // Git for Windows lives wherever it was installed: keep the caller's PATH after
            // ours, and the variables Windows' own libraries expect.
            let rest = std::env::var_os("PATH").unwrap_or_default();
            let mut path = vec![bin_dir.to_path_buf()];
            path.extend(std::env::split_paths(&rest));
            c.env("PATH", std::env::join_paths(path).expect("PATH"));
            for k in ["SystemRoot", "windir", "TEMP", "TMP"] {
                if let Some(v) = std::env::var_os(k) {
                    c.env(k, v);
                }
            }
            c.env("GIT_CREDENTIAL_SCOPED_CONFIG", self.config_path());
            c.env("GIT_CREDENTIAL_SCOPED_DATA_DIR", self.data_dir());
        }
        c.env("HOME", &self.home);
        c.env("LANG", "C");
        c.env("GIT_CONFIG_NOSYSTEM", "1");
        c.env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"));
        c.env("GIT_TERMINAL_PROMPT", "0");
        c.env("GIT_CREDENTIAL_SCOPED_SECRET_STORE", self.store);
        if let Some(now) = self.now {
            c.env("GIT_CREDENTIAL_SCOPED_TEST_NOW", now.to_string());
        }
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c.current_dir(&self.home);
        c
    }

    /// Runs the helper binary with `args` and `stdin`.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Out {
        let mut c = self.command(BIN);
        c.args(args);
        run_with_stdin(c, stdin)
    }

    /// Runs git with the helper list reset to exactly `scoped`.
    pub fn git(&self, args: &[&str], stdin: &[u8]) -> Out {
        let mut c = self.command("git");
        c.args(["-c", "credential.helper=", "-c", "credential.helper=scoped"]);
        c.args(args);
        run_with_stdin(c, stdin)
    }

    /// `git credential fill` for a URL, as git itself would ask with useHttpPath on.
    pub fn fill(&self, url: &str) -> Out {
        self.git(
            &["-c", "credential.useHttpPath=true", "credential", "fill"],
            format!("url={url}\n\n").as_bytes(),
        )
    }

    /// `add` with the secret on stdin.
    pub fn add(&self, args: &[&str], secret: &str) -> Out {
        let mut all = vec!["add"];
        all.extend_from_slice(args);
        self.run(&all, format!("{secret}\n").as_bytes())
    }

    /// Sets git up in the test's ~/.gitconfig as `setup` does: this helper (`scoped`) and
    /// `credential.useHttpPath`: git then asks it with the repository path, and `check`
    /// (which asks git whether it would) sees both.
    pub fn use_http_path(&self) {
        for (key, value) in [
            ("credential.helper", "scoped"),
            ("credential.useHttpPath", "true"),
        ] {
            let out = self
                .command("git")
                .args(["config", "--global", key, value])
                .output()
                .expect("git");
            assert!(
                out.status.success(),
                "git config: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// The file secret store's directory.
    pub fn secrets_dir(&self) -> PathBuf {
        self.data_dir().join("secrets.d")
    }

    /// The file store's secrets by key (file names unescaped).
    pub fn stored_secrets(&self) -> Vec<(String, Vec<u8>)> {
        let Ok(dir) = std::fs::read_dir(self.secrets_dir()) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<u8>)> = dir
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (unescape(&name), std::fs::read(e.path()).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    /// Every file under the temp dir, with its content (for the canary tests).
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.tmp.path(), &mut out);
        out
    }
}

/// Whether a test's prerequisite (a program, root, an installed file) is here. When it is
/// not, the test says so on stderr and returns without asserting; with `CI` set (as every CI
/// runner sets it) a missing prerequisite fails the test instead, so that in CI every test
/// runs or the run is red. Use it as `if !prerequisite("shellcheck", found) { return; }`.
pub fn prerequisite(what: &str, available: bool) -> bool {
    prerequisite_with(what, available, std::env::var("CI").ok().as_deref())
}

/// [`prerequisite`] with the value of `CI` given (its test cannot set the process's own
/// environment under tests running in parallel).
pub fn prerequisite_with(what: &str, available: bool, ci: Option<&str>) -> bool {
    if available {
        return true;
    }
    let in_ci = ci.is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    assert!(!in_ci, "missing prerequisite, and CI is set: {what}");
    eprintln!("NOT RUN (a prerequisite is missing; with CI set this fails): {what}");
    false
}

/// A file store file name back to its key (`%XX` escapes).
pub fn unescape(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&name[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
}

pub struct Out {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> &Out {
        assert_eq!(
            self.status, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.status, self.stdout, self.stderr
        );
        self
    }
}

pub fn run_with_stdin(mut c: Command, stdin: &[u8]) -> Out {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    let _ = writer.join();
    Out {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A private D-Bus session with an unlocked gnome-keyring Secret Service, for keyring tests.
/// Stopped on drop. Needs `dbus-daemon` and `gnome-keyring-daemon` (Debian: dbus,
/// gnome-keyring); `scripts/test.sh` installs them. Linux only: the Secret Service is Linux's
/// keyring (macOS and Windows: os_keyring.rs).
#[cfg(target_os = "linux")]
pub struct SecretService {
    pub address: String,
    bus_pid: u32,
    _dir: tempfile::TempDir,
}

#[cfg(target_os = "linux")]
impl SecretService {
    pub fn start() -> SecretService {
        let dir = tempfile::tempdir().unwrap();
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .env("HOME", dir.path())
            .output()
            .expect(
                "dbus-daemon must be installed (Debian package dbus); scripts/test.sh installs it",
            );
        let text = String::from_utf8_lossy(&bus.stdout).into_owned();
        let mut lines = text.lines();
        let address = lines.next().expect("bus address").trim().to_string();
        let bus_pid = lines
            .next()
            .and_then(|p| p.trim().parse().ok())
            .expect("bus pid");
        let mut keyring = Command::new("gnome-keyring-daemon");
        keyring
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", dir.path());
        let out = run_with_stdin(keyring, b"test-password");
        assert_eq!(
            out.status, 0,
            "gnome-keyring-daemon (Debian package gnome-keyring) failed: {}",
            out.stderr
        );
        SecretService {
            address,
            bus_pid,
            _dir: dir,
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.bus_pid.to_string()).status();
    }
}

/// The stdout of `get` for `github.com/PATH` (owner/repo).
#[cfg(unix)] // used by docs.rs only
pub fn run_get(env: &Env, path: &str) -> String {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={path}\n\n").as_bytes(),
    )
    .stdout
}

/// Asserts that `text` contains `needle`, showing `text` when it does not.
#[track_caller]
pub fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// Asserts that `text` does not contain `needle`, showing `text` when it does.
#[track_caller]
pub fn assert_lacks(text: &str, needle: &str) {
    assert!(
        !text.contains(needle),
        "did not expect {needle:?} in:\n{text}"
    );
}

/// The installer scenario's six repositories of `alta3` (SPEC §1).
pub const SIX: [&str; 6] = [
    "labs",
    "alta3-ansible",
    "enchilada",
    "infrastructure",
    "demo",
    "gutenberg",
];

#[test]
fn a_missing_prerequisite_fails_the_test_when_ci_is_set() {
    assert!(prerequisite_with("here", true, Some("true")));
    assert!(!prerequisite_with("gone", false, None));
    assert!(!prerequisite_with("gone", false, Some("false")));
    for ci in ["true", "1", "yes"] {
        let failed = std::panic::catch_unwind(|| prerequisite_with("gone", false, Some(ci)));
        assert!(failed.is_err(), "CI={ci} let a missing prerequisite pass");
    }
}

/// A fresh pseudo-terminal: its master end, and the slave end for a child's streams.
#[cfg(unix)]
pub fn openpty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty writes two descriptors it opened into m and s; the null arguments
    // are allowed (no name, default termios and window size).
    let rc = unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are open and owned by nobody else.
    unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(m)),
            OwnedFd::from_raw_fd(s),
        )
    }
}
