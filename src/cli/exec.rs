//! `exec --repo OWNER/REPO [--env VAR]... -- COMMAND [ARGS]`: run a tool that needs the
//! token itself (`gh`, `curl`, Terraform's GitHub provider) with the token `get` would give
//! for that repository in its environment — `GH_TOKEN` and `GITHUB_TOKEN`, or the variables
//! named; for a host other than github.com also `GH_ENTERPRISE_TOKEN` and
//! `GITHUB_ENTERPRISE_TOKEN`, which gh reads there instead, and `GH_HOST` when it is not
//! set (`gh help environment`) — and nowhere else: not on any command line, not on stdout. The decision is `get`'s
//! own ([`super::handout`]); when it refuses, COMMAND is not run and the exit status is 1.
//!
//! On Unix the program replaces this process (`execvp`), so COMMAND's exit status and any
//! signal reach the caller unchanged, signals sent to this process reach COMMAND, and no
//! copy of the secret stays behind in a waiting parent. Elsewhere it is spawned, waited for,
//! and its exit code passed on. As with `env(1)`, a COMMAND that cannot be found exits 127
//! and one that cannot be run 126.

use std::ffi::OsString;
use std::process::Command;

use super::handout::{secret_for, target, Pick};
use super::{report, CliResult, EXIT_PROBLEMS};
use crate::context::Context;
use crate::secret::Secret;
use crate::secrets::valid_env_name;

const DEFAULT_VARS: [&str; 2] = ["GH_TOKEN", "GITHUB_TOKEN"];
/// What gh reads for a GitHub Enterprise host instead of `GH_TOKEN`.
const ENTERPRISE_VARS: [&str; 2] = ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"];

#[derive(clap::Args, Debug)]
#[command(after_help = "\
COMMAND runs with the token in GH_TOKEN and GITHUB_TOKEN (gh, Terraform's GitHub provider and
most GitHub tools read one of them), or only in the variables given with --env. For a host
other than github.com also in GH_ENTERPRISE_TOKEN and GITHUB_ENTERPRISE_TOKEN (what gh reads
for GitHub Enterprise), with GH_HOST set to the host unless it is set already. Nothing is
added to COMMAND's arguments and nothing is printed on stdout. When get would refuse the token
or give nothing, COMMAND is not run: the reason goes to stderr and the exit status is 1.
Otherwise the exit status is COMMAND's (127 when it cannot be found, 126 when it cannot run).

Examples:
  git credential-scoped exec --repo alta3/labs -- gh release download v1.2 --repo alta3/labs
  git credential-scoped exec --repo alta3/infra --env TF_VAR_github_token -- terraform plan
  git credential-scoped exec --repo alta3/labs -- sh -c \\
    'printf \"Authorization: Bearer %s\\n\" \"$GH_TOKEN\" | curl -fsS -H @- https://api.github.com/repos/alta3/labs'
(printf is built into sh, so the token reaches curl through a pipe, not its command line.)")]
pub struct Args {
    /// The repository whose token COMMAND gets: OWNER/REPO or a URL (or an SSH remote) [default: the current checkout's origin remote]
    #[arg(long, value_name = "OWNER/REPO|URL")]
    pub repo: Option<String>,
    #[command(flatten)]
    pub pick: Pick,
    /// Put the token in this environment variable instead of GH_TOKEN and GITHUB_TOKEN (repeatable)
    #[arg(long = "env", value_name = "VAR")]
    pub vars: Vec<String>,
    /// The program to run, and its arguments (after --)
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    if let Some(v) = a.vars.iter().find(|v| !valid_env_name(v)) {
        return Err(format!(
            "--env '{}' is not an environment variable name (letters, digits and '_', not starting with a digit)",
            crate::protocol::escape(v.as_bytes())
        )
        .into());
    }
    let t = target(ctx, a.repo.as_deref(), &a.pick)?;
    let Some(secret) = secret_for(ctx, &t, a.pick.write, &mut std::io::stderr().lock())? else {
        return Ok(EXIT_PROBLEMS);
    };
    let value = env_value(&secret).ok_or(
        "refused: the token's secret holds bytes an environment variable cannot carry (not text, or control characters)\nhint: check the secret store it comes from",
    )?;
    let enterprise = !t.host.eq_ignore_ascii_case(crate::registry::GITHUB);
    let vars: Vec<&str> = match (a.vars.is_empty(), enterprise) {
        (true, false) => DEFAULT_VARS.to_vec(),
        (true, true) => DEFAULT_VARS
            .iter()
            .chain(&ENTERPRISE_VARS)
            .copied()
            .collect(),
        (false, _) => a.vars.iter().map(String::as_str).collect(),
    };
    let (program, args) = a
        .command
        .split_first()
        .ok_or("exec needs a COMMAND after --")?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    for var in vars {
        cmd.env(var, &value);
    }
    if enterprise && a.vars.is_empty() && std::env::var_os("GH_HOST").is_none() {
        cmd.env("GH_HOST", &t.host);
    }
    drop(secret);
    Ok(run_command(cmd, program))
}

/// The secret as an environment value: text without control characters (a token is).
fn env_value(secret: &Secret) -> Option<OsString> {
    let text = std::str::from_utf8(secret.expose()).ok()?;
    if text.is_empty() || text.chars().any(char::is_control) {
        return None;
    }
    Some(OsString::from(text))
}

/// Replaces this process with COMMAND; returns only when that fails.
#[cfg(unix)]
fn run_command(mut cmd: Command, program: &OsString) -> i32 {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    cannot_run(program, &e)
}

/// Spawns COMMAND and passes its exit code on.
#[cfg(not(unix))]
fn run_command(mut cmd: Command, program: &OsString) -> i32 {
    match cmd.status() {
        Ok(status) => status.code().unwrap_or(super::EXIT_ERROR),
        Err(e) => cannot_run(program, &e),
    }
}

fn cannot_run(program: &OsString, e: &std::io::Error) -> i32 {
    let name = crate::protocol::escape(program.to_string_lossy().as_bytes());
    let (code, why) = match e.kind() {
        std::io::ErrorKind::NotFound => (127, "not found (is it on PATH?)".to_string()),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
        _ => (126, e.to_string()),
    };
    report(&format!("could not run '{name}': {why}"));
    code
}
