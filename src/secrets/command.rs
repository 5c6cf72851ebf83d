//! `secret_command`: a command such as `pass show work/token` or `op read ...` prints the
//! token on stdout. It runs through `sh -c` (on Windows `cmd /S /C`; the user wrote it in their
//! own config), with stdin closed and a time limit, and only its first line is used.
//!
//! On Unix it runs in a process group of its own, and the whole group is killed when it
//! ends or runs out of time: a child it left behind (`sleep`, gpg under `pass`) would
//! otherwise hold our stderr — and git waiting on it — open. Daemons that detach into a
//! session of their own (gpg-agent) are not in the group and keep running.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::SecretError;
use crate::secret::Secret;

const LIMIT: Duration = Duration::from_secs(30);

pub fn run_secret_command(command: &str, token: &str) -> Result<Secret, SecretError> {
    run_with_limit(command, token, LIMIT)
}

fn run_with_limit(command: &str, token: &str, limit: Duration) -> Result<Secret, SecretError> {
    let fail = |problem: String| SecretError::Command {
        token: token.to_string(),
        problem,
    };
    let mut child = shell(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("could not start: {e}")))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail("has no stdout".into()))?;
    let reader = std::thread::Builder::new().spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.by_ref().take(1 << 16).read_to_end(&mut buf);
        buf
    });
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            kill_group(&mut child);
            let _ = child.wait();
            return Err(fail(format!("could not be read: {e}")));
        }
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                kill_group(&mut child);
                let _ = child.wait();
                let _ = reader.join();
                return Err(fail(format!(
                    "did not finish within {} s (it was stopped)",
                    limit.as_secs_f32()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                kill_group(&mut child);
                return Err(fail(format!("could not be waited for: {e}")));
            }
        }
    };
    // What the command left behind would keep the pipe (and git) waiting.
    kill_group(&mut child);
    let out = Secret::new(reader.join().unwrap_or_default());
    if !status.success() {
        return Err(fail(format!("failed ({status})")));
    }
    let first = out
        .expose()
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default()
        .to_vec();
    let secret = Secret::new(first).trimmed();
    if secret.is_empty() {
        return Err(fail("printed nothing".into()));
    }
    Ok(secret)
}

#[cfg(unix)]
fn shell(command: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new("sh");
    c.arg("-c").arg(command).process_group(0);
    c
}

/// Kills the command's whole process group (its id is the shell's pid).
#[cfg(unix)]
fn kill_group(child: &mut std::process::Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill has no memory-safety preconditions; a negative pid names the group
        // that `process_group(0)` created for this child, and nothing else.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// On Windows: `cmd /S /C "COMMAND"`, passed verbatim. Quoted as a normal argument, a
/// command with quotes of its own (`op read "op://vault/item"`) would reach cmd with them
/// escaped as `\"`, which cmd does not understand; with /S it strips only the outer pair.
#[cfg(windows)]
fn shell(command: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut c = Command::new("cmd");
    c.raw_arg(format!("/S /C \"{command}\""));
    c
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn first_line_of_stdout_is_the_secret() {
        let s = run_secret_command("printf 'tok\\nother\\n'", "t").unwrap();
        assert_eq!(s.expose(), b"tok");
    }

    fn alive(pid: i32) -> bool {
        // A zombie waiting for its reaper counts as gone.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
    }

    #[test]
    fn a_command_that_runs_too_long_is_stopped_with_its_children() {
        // Issue 12 #8: only sh was killed; its children lived on, holding the pipes.
        let tmp = tempfile::tempdir().unwrap();
        let pidfile = tmp.path().join("pid");
        let cmd = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
        let start = Instant::now();
        let e = run_with_limit(&cmd, "t", Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("did not finish"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(pid), "the command's child {pid} still runs");
    }

    #[test]
    fn a_child_left_behind_does_not_hold_the_answer() {
        let start = Instant::now();
        let s = run_with_limit("echo tok; sleep 60 &", "t", Duration::from_secs(30)).unwrap();
        assert_eq!(s.expose(), b"tok");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn failures_are_reported_without_output() {
        let e = run_secret_command("echo leaked; exit 3", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("failed") && !e.contains("leaked"), "{e}");
        assert!(run_secret_command("true", "t")
            .unwrap_err()
            .to_string()
            .contains("printed nothing"));
    }
}
