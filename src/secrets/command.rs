//! `secret_command`: a command such as `pass show work/token` or `op read ...` prints the
//! token on stdout. It runs through `sh -c` (on Windows `cmd /S /C`; the user wrote it in their
//! own config), with stdin closed and a time limit, and only its first line is used.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::SecretError;
use crate::secret::Secret;

const LIMIT: Duration = Duration::from_secs(30);

pub fn run_secret_command(command: &str, token: &str) -> Result<Secret, SecretError> {
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
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.by_ref().take(1 << 16).read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!("did not finish within {} s", LIMIT.as_secs())));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(fail(format!("could not be waited for: {e}"))),
        }
    };
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
    let mut c = Command::new("sh");
    c.arg("-c").arg(command);
    c
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
