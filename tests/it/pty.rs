//! What a person at a terminal sees: the program on a real pseudo-terminal (`openpty`) as
//! its controlling terminal — stdin, stdout and stderr on it, in its own session, so the
//! hidden prompt opens `/dev/tty` and a typed ^C is the terminal's SIGINT. Each test reads
//! the screen as the person would and the terminal's modes afterwards.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::Env;

/// A program running on a pseudo-terminal, and everything it has written to it so far.
pub struct Pty {
    master: std::fs::File,
    child: Child,
    seen: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Pty {
    /// Runs `program ARGS` from `env` with the terminal as its controlling terminal.
    pub fn spawn(env: &Env, program: &str, args: &[&str]) -> Pty {
        let (master, slave) = crate::support::openpty();
        let mut c: Command = env.command(program);
        c.args(args).env("TERM", "dumb");
        c.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()));
        // SAFETY: only async-signal-safe calls between fork and exec: a new session, and
        // the terminal on fd 0 made its controlling terminal.
        unsafe {
            c.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = c.spawn().expect("spawn on a pty");
        drop(c);
        drop(slave);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut from = master.try_clone().unwrap();
        let into = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the child's side is closed.
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                into.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            child,
            seen,
            reader: Some(reader),
        }
    }

    /// The screen so far, as text (`\r\n` as `\n`).
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).replace("\r\n", "\n")
    }

    /// Waits until the screen shows `text`; fails after 20 s.
    pub fn expect(&self, text: &str) {
        let start = Instant::now();
        while !self.screen().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {text:?}; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `bytes` at the terminal.
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }

    /// Whether the terminal echoes what is typed (its ECHO flag, read through the master,
    /// which shares the terminal's modes).
    pub fn echoes(&self) -> bool {
        // SAFETY: a zeroed termios is a valid buffer for tcgetattr to fill.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: the descriptor is open for the life of self.
        let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut t) };
        assert_eq!(rc, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        t.c_lflag & libc::ECHO != 0
    }

    /// Waits until the terminal has stopped echoing (the hidden prompt prints its text
    /// first, then turns echo off); fails after 20 s.
    pub fn wait_hidden(&self) {
        let start = Instant::now();
        while self.echoes() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "echo never went off; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the program to end (20 s at most); its exit code (-signal when killed by
    /// one) and the whole screen.
    pub fn finish(mut self) -> (i32, String) {
        use std::os::unix::process::ExitStatusExt;
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("still running after 20 s; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        let code = status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0));
        (code, self.screen())
    }
}

/// Issue 24 #3: `remove` at a terminal asks first; anything but yes keeps the token.
#[test]
fn remove_at_a_terminal_asks_first() {
    let env = Env::new();
    env.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    let mut p = Pty::spawn(&env, crate::support::BIN, &["remove", "t"]);
    p.expect("[y/N] ");
    p.send(b"n\n");
    let (code, screen) = p.finish();
    assert_eq!(code, 2, "{screen}");
    crate::support::assert_has(
        &screen,
        "Remove token 't' and its secret in the file store?",
    );
    crate::support::assert_has(&screen, "nothing removed");
    assert_eq!(env.stored_secrets().len(), 1);
    let mut p = Pty::spawn(&env, crate::support::BIN, &["remove", "t"]);
    p.expect("[y/N] ");
    p.send(b"y\n");
    let (code, screen) = p.finish();
    assert_eq!(code, 0, "{screen}");
    crate::support::assert_has(&screen, "removed token 't'");
    assert!(env.stored_secrets().is_empty());
}

const TOKEN: &str = "github_pat_11PTYTEST00000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";

/// Issue 24 #6: ^C at the hidden token prompt ends `add` by SIGINT with the terminal's
/// echo back on, and nothing registered.
#[test]
fn ctrl_c_at_the_hidden_prompt_gives_the_echo_back() {
    let env = Env::new();
    let mut p = Pty::spawn(
        &env,
        crate::support::BIN,
        &["add", "t", "--owner", "o", "--repo", "r"],
    );
    p.expect("(input hidden): ");
    p.wait_hidden();
    p.send(b"github_pat_11half");
    p.send(b"\x03");
    let echoes_after = {
        let start = Instant::now();
        while p.child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        p.echoes()
    };
    let (code, screen) = p.finish();
    assert_eq!(code, -libc::SIGINT, "{screen}");
    assert!(echoes_after, "echo is off after ^C; the screen:\n{screen}");
    assert!(!screen.contains("github_pat_11half"), "{screen}");
    assert!(
        !env.config_path().exists()
            || !std::fs::read_to_string(env.config_path())
                .unwrap()
                .contains("name = \"t\"")
    );
}

/// Runs one command of a session at a fresh terminal, typing `typed` once `prompt` shows
/// (when given); appends `$ COMMAND` and the screen to `transcript`; the exit code.
fn session_step(
    env: &Env,
    transcript: &mut String,
    args: &[&str],
    prompt: Option<(&str, &[u8])>,
) -> (i32, String) {
    let mut p = Pty::spawn(env, "git", args);
    if let Some((prompt, typed)) = prompt {
        p.expect(prompt);
        p.wait_hidden();
        p.send(typed);
    }
    let (code, screen) = p.finish();
    transcript.push_str(&format!("$ git {}\n{screen}", args.join(" ")));
    (code, screen)
}

/// Issue 24 "Must show": README's Quickstart as a person lives it on a machine with no
/// keyring (no desktop session), at a terminal: add refuses before the prompt and names the
/// file store; with it, the hidden prompt takes the token and check is green. Then a ^C at
/// the prompt. The transcript is printed (`--nocapture` shows it).
#[test]
fn quickstart_at_a_terminal_without_a_keyring() {
    let mut env = Env::new().at(crate::support::NOW);
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let mut t = String::new();
    let (code, _) = session_step(&env, &mut t, &["credential-scoped", "setup"], None);
    assert_eq!(code, 0, "{t}");
    let url = [
        "credential-scoped",
        "new-token-url",
        "--owner",
        "alta3",
        "--repo",
        "labs,demo",
    ];
    assert_eq!(session_step(&env, &mut t, &url, None).0, 0, "{t}");
    let add = [
        "credential-scoped",
        "add",
        "alta3",
        "--owner",
        "alta3",
        "--repo",
        "labs,demo",
        "--expires-in",
        "90d",
    ];
    let (code, screen) = session_step(&env, &mut t, &add, None);
    assert_eq!(code, 2, "{t}");
    assert!(
        !screen.contains("(input hidden)"),
        "asked before finding out:\n{t}"
    );
    crate::support::assert_has(&screen, "hint: add --secret-store file");
    let mut file = add.to_vec();
    file.extend(["--secret-store", "file"]);
    let typed = format!("{TOKEN}\r");
    let (code, screen) = session_step(
        &env,
        &mut t,
        &file,
        Some(("(input hidden): ", typed.as_bytes())),
    );
    assert_eq!(code, 0, "{t}");
    assert!(!screen.contains(TOKEN), "the token was echoed:\n{t}");
    let check = [
        "credential-scoped",
        "check",
        "https://github.com/alta3/labs",
        "https://github.com/alta3/demo",
    ];
    let (code, screen) = session_step(&env, &mut t, &check, None);
    assert_eq!(code, 0, "{t}");
    assert_eq!(screen.matches("ok ").count(), 2, "{t}");
    // And a ^C at the prompt: the shell gets its terminal back, echoing.
    let again = [
        "credential-scoped",
        "add",
        "x",
        "--owner",
        "o",
        "--repo",
        "r",
        "--secret-store",
        "file",
    ];
    let mut p = Pty::spawn(&env, "git", &again);
    p.expect("(input hidden): ");
    p.wait_hidden();
    p.send(b"github_pat_\x03");
    while p.child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let echoes = p.echoes();
    let (code, screen) = p.finish();
    t.push_str(&format!(
        "$ git {}\n{screen}^C (exit {code}; terminal echo on: {echoes})\n",
        again.join(" ")
    ));
    assert!(echoes, "{t}");
    println!("--- transcript ---\n{t}--- end ---");
}

/// Issue 24 #14: a mistyped command at a terminal says what was meant; on git's protocol
/// path (stdin not a terminal, one word) an unknown action stays silent, as git requires.
#[test]
fn a_mistyped_command_at_a_terminal_says_did_you_mean() {
    let env = Env::new();
    for (typed, meant) in [
        (&["chek"][..], "check"),
        (&["lsit"], "list"),
        (&["help", "rotat"], "rotate"),
    ] {
        let p = Pty::spawn(&env, crate::support::BIN, typed);
        let (code, screen) = p.finish();
        assert_eq!(code, 2, "{screen}");
        crate::support::assert_has(&screen, &format!("hint: did you mean '{meant}'?\n"));
    }
    let p = Pty::spawn(&env, crate::support::BIN, &["zzzzzz"]);
    let (_, screen) = p.finish();
    crate::support::assert_has(
        &screen,
        "hint: git credential-scoped --help lists the commands",
    );
    let git = env.run(&["chek"], b"protocol=https\nhost=github.com\n\n");
    assert_eq!(
        (git.status, git.stdout.as_str(), git.stderr.as_str()),
        (0, "", "")
    );
}

/// Issue 24 #13: in an interactive zsh, `git credential-scoped show al<TAB>` offers the
/// token names, through zsh's own git completion (which calls `_git-credential-scoped`).
#[test]
fn zsh_completes_token_names_through_gits_completion() {
    if !std::path::Path::new("/usr/bin/zsh").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "zsh is missing (Debian package zsh)"
        );
        eprintln!("zsh is not installed: not run");
        return;
    }
    let mut env = Env::new();
    for (name, n) in [("alta3", 1), ("alta3-infra", 2), ("client-x", 3)] {
        env.add(
            &[name, "--owner", "o", "--repo", "r"],
            &format!("{TOKEN}{n}"),
        )
        .ok();
    }
    let dir = env.tmp.path().join("zsh");
    std::fs::create_dir_all(dir.join("comp")).unwrap();
    let script = env.run(&["completions", "zsh"], b"").ok().stdout.clone();
    std::fs::write(dir.join("comp/_git-credential-scoped"), script).unwrap();
    std::fs::write(
        dir.join(".zshrc"),
        format!(
            "fpath=({} $fpath)\nautoload -Uz compinit && compinit -u -d {}\nPS1='%% '\n",
            dir.join("comp").display(),
            dir.join("zcompdump").display()
        ),
    )
    .unwrap();
    env.set("ZDOTDIR", dir.to_str().unwrap());
    let mut p = Pty::spawn(&env, "zsh", &["-i"]);
    p.expect("% ");
    p.send(b"git credential-scoped show al\t\t");
    p.expect("alta3-infra");
    // ^U clears the line; then the shell ends.
    p.send(b"\x15exit\n");
    let (_, screen) = p.finish();
    assert!(!screen.contains("client-x"), "{screen}");
}
