//! Reading at a glance: `list` grouped by host and owner, soonest expiry first; color and
//! emphasis on a terminal (expired red, expiring yellow, ok green, the fix command bold) —
//! shown through a real pseudo-terminal (`openpty`) — and none in a pipe, with `NO_COLOR`,
//! or on git's own protocol path, even when `CLICOLOR_FORCE` asks for it.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::{assert_has, assert_lacks, Env, NOW};

const TOKEN: &str =
    "github_pat_11GLANCE0000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

const ESC: &str = "\x1b[";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";

/// Tokens in each state, for two owners, added out of order.
fn registry() -> Env {
    let env = Env::new().at(NOW);
    let add = |args: &[&str], n: u32| {
        env.add(args, &format!("{TOKEN}{n}")).ok();
    };
    add(
        &["late", "--owner", "o", "--repo", "a", "--expires-in", "60d"],
        1,
    );
    add(
        &["alta3", "--owner", "alta3", "--repo", "labs", "--no-expiry"],
        2,
    );
    add(
        &["soon", "--owner", "o", "--repo", "b", "--expires-in", "3d"],
        3,
    );
    add(
        &["mid", "--owner", "o", "--repo", "c", "--expires-in", "30d"],
        4,
    );
    add(
        &[
            "old",
            "--owner",
            "o",
            "--repo",
            "d",
            "--expires",
            "2027-01-01",
        ],
        5,
    );
    env
}

/// Which of the child's streams is the terminal; the other goes to a pipe.
#[derive(Clone, Copy)]
enum Tty {
    Stdout,
    Stderr,
}

struct Seen {
    status: i32,
    /// What the terminal showed (its CR LF turned back into LF).
    tty: String,
    /// The other stream.
    piped: String,
}

/// Runs the helper with one stream on a fresh pseudo-terminal, `TERM=xterm` and `vars`.
fn on_pty(env: &Env, args: &[&str], stdin: &[u8], tty: Tty, vars: &[(&str, &str)]) -> Seen {
    let (mut master, slave) = crate::support::openpty();
    let mut c: Command = env.command(crate::support::BIN);
    c.args(args).env("TERM", "xterm");
    for (k, v) in vars {
        c.env(k, v);
    }
    let term = Stdio::from(slave.try_clone().unwrap());
    match tty {
        Tty::Stdout => c.stdout(term).stderr(Stdio::piped()),
        Tty::Stderr => c.stderr(term).stdout(Stdio::piped()),
    };
    c.stdin(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    drop(c);
    drop(slave);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends with EIO once the child's side is closed.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
    }
    let mut piped = String::new();
    match tty {
        Tty::Stdout => child.stderr.take().unwrap().read_to_string(&mut piped),
        Tty::Stderr => child.stdout.take().unwrap().read_to_string(&mut piped),
    }
    .unwrap();
    let status = child.wait().unwrap().code().unwrap_or(-1);
    let tty = String::from_utf8_lossy(&reader.join().unwrap()).replace("\r\n", "\n");
    Seen { status, tty, piped }
}

#[test]
fn list_groups_by_host_and_owner_soonest_expiry_first() {
    let env = registry();
    let out = env.run(&["list"], b"");
    let fp =
        |n: u32| git_credential_scoped::secret::fingerprint_of(format!("{TOKEN}{n}").as_bytes());
    assert_eq!(
        out.ok().stdout,
        format!(
            "  NAME   REPOSITORIES  PERMISSIONS    EXPIRES                   STATE     FINGERPRINT
github.com/alta3
  alta3  labs          contents=read  never                     ok        {}
github.com/o
  old    d             contents=read  2027-01-01 (14 days ago)  expired   {}
  soon   b             contents=read  2027-01-18 (in 3 days)    expiring  {}
  mid    c             contents=read  2027-02-14 (in 30 days)   ok        {}
  late   a             contents=read  2027-03-16 (in 60 days)   ok        {}
",
            fp(2),
            fp(5),
            fp(3),
            fp(4),
            fp(1)
        )
    );
    // The JSON keeps the registry's order and shape.
    let json = env.run(&["list", "--json"], b"").ok().stdout.clone();
    assert!(json.starts_with(r#"{"tokens":[{"name":"late","#), "{json}");
}

#[test]
fn a_terminal_gets_color_a_pipe_and_no_color_do_not() {
    let env = registry();
    let seen = on_pty(&env, &["list"], b"", Tty::Stdout, &[]);
    assert_eq!(seen.status, 0);
    let line = |name: &str| {
        seen.tty
            .lines()
            .find(|l| l.starts_with(&format!("  {name} ")))
            .unwrap_or_else(|| panic!("{name}: {}", seen.tty))
            .to_string()
    };
    assert_has(&line("old"), &format!("{RED}expired\x1b[0m"));
    assert_has(&line("soon"), &format!("{YELLOW}expiring\x1b[0m"));
    assert_has(&line("mid"), &format!("{GREEN}ok\x1b[0m"));
    assert_has(&seen.tty, &format!("{BOLD}github.com/o\x1b[0m"));
    // The same words as in a pipe, once the styles are taken out.
    let plain = env.run(&["list"], b"");
    assert_lacks(&plain.stdout, ESC);
    assert_eq!(strip(&seen.tty), plain.stdout);

    let no_color = on_pty(&env, &["list"], b"", Tty::Stdout, &[("NO_COLOR", "1")]);
    assert_eq!(no_color.tty, plain.stdout);
    let both = on_pty(
        &env,
        &["list"],
        b"",
        Tty::Stdout,
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    );
    assert_lacks(&both.tty, ESC);
    let dumb = on_pty(&env, &["list"], b"", Tty::Stdout, &[("TERM", "dumb")]);
    assert_lacks(&dumb.tty, ESC);
    // CLICOLOR_FORCE asks for color even into a pipe.
    let mut forced = env.command(crate::support::BIN);
    forced.arg("list").env("CLICOLOR_FORCE", "1");
    let forced = crate::support::run_with_stdin(forced, b"");
    assert_has(&forced.stdout, RED);
}

#[test]
fn check_and_doctor_color_their_states_and_bold_the_fix() {
    let env = registry();
    env.use_http_path();
    let seen = on_pty(&env, &["check", "--all"], b"", Tty::Stderr, &[]);
    assert_eq!(seen.status, 1);
    assert_lacks(&seen.piped, ESC);
    assert_has(
        &seen.tty,
        &format!("then run: {BOLD}git credential-scoped rotate old --expires-in 90d\x1b[0m\n"),
    );
    assert_has(
        &seen.tty,
        &format!("git-credential-scoped: {RED}refused\x1b[0m to send token 'old'"),
    );
    let seen = on_pty(&env, &["check", "--all"], b"", Tty::Stdout, &[]);
    assert_has(&seen.tty, &format!("{RED}expired\x1b[0m"));
    assert_has(&seen.tty, &format!("{YELLOW}expiring\x1b[0m"));
    assert_has(&seen.tty, &format!("{GREEN}ok\x1b[0m"));
    assert_lacks(&seen.piped, ESC);
    let url = on_pty(
        &env,
        &["check", "https://github.com/o/d"],
        b"",
        Tty::Stdout,
        &[],
    );
    assert_eq!(url.status, 1);
    assert!(
        url.tty.starts_with(&format!("{RED}refused\x1b[0m ")),
        "{}",
        url.tty
    );

    let doctor = on_pty(&env, &["doctor"], b"", Tty::Stdout, &[]);
    assert_has(
        &doctor.tty,
        &format!("{RED}error\x1b[0m: token 'old' expired"),
    );
    assert_has(
        &doctor.tty,
        "  link: https://github.com/settings/personal-access-tokens/new?name=old&",
    );
    assert_has(
        &doctor.tty,
        &format!("  fix: {BOLD}git credential-scoped rotate old --expires-in 90d\x1b[0m"),
    );
    let plain = env.run(&["doctor"], b"");
    assert_lacks(&plain.stdout, ESC);
}

#[test]
fn warnings_and_refusals_of_management_commands_are_colored_on_a_terminal() {
    let env = Env::new().at(NOW);
    let classic = "ghp_GLANCE0123456789abcdefghijklmnopqrstu";
    let seen = on_pty(
        &env,
        &["add", "c", "--owner", "o", "--repo", "r"],
        format!("{classic}\n").as_bytes(),
        Tty::Stderr,
        &[],
    );
    assert_eq!(seen.status, 0, "{}{}", seen.tty, seen.piped);
    assert_has(
        &seen.tty,
        &format!("git-credential-scoped: {YELLOW}warning:\x1b[0m this is a classic personal access token"),
    );
    assert_lacks(&seen.tty, classic);
    let refused = on_pty(&env, &["show", classic], b"", Tty::Stderr, &[]);
    assert_eq!(refused.status, 2);
    assert_has(
        &refused.tty,
        &format!("git-credential-scoped: {RED}refused\x1b[0m: a token was given"),
    );
}

#[test]
fn git_s_own_calls_stay_plain_even_on_a_terminal_with_clicolor_force() {
    let env = registry();
    env.use_http_path();
    // `soon` expires in 3 days: get warns, one line, plain.
    let seen = on_pty(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=o/b\n\n",
        Tty::Stderr,
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_eq!(seen.status, 0);
    assert!(
        seen.piped.contains(&format!("password={TOKEN}3\n")),
        "{}",
        seen.piped
    );
    assert_has(
        &seen.tty,
        "git-credential-scoped: token 'soon' expires 2027-01-18 (in 3 days)",
    );
    assert_eq!(seen.tty.lines().count(), 1, "{}", seen.tty);
    assert_lacks(&seen.tty, ESC);
    // A refusal too, and through `git credential fill` as git runs the helper.
    let seen = on_pty(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=o/d\n\n",
        Tty::Stderr,
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_eq!(seen.piped, "quit=1\n");
    assert_has(&seen.tty, "refused to send token 'old'");
    assert_lacks(&seen.tty, ESC);
    let mut git = env.command("git");
    git.args([
        "-c",
        "credential.helper=",
        "-c",
        "credential.helper=scoped",
        "credential",
        "fill",
    ])
    .env("CLICOLOR_FORCE", "1");
    let filled = crate::support::run_with_stdin(git, b"url=https://github.com/o/b\n\n");
    assert_has(&filled.stderr, "token 'soon' expires");
    assert_lacks(&filled.stderr, ESC);
}

/// The text without its ANSI styles.
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(ESC) {
        out.push_str(&rest[..i]);
        let after = &rest[i + ESC.len()..];
        let end = after.find('m').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
