//! `token URL|OWNER/REPO`: print the secret `get` would give git for that repository, for the
//! tools that need the token itself (`curl`, an installer script, `gh auth login
//! --with-token`). stdout carries the secret and nothing else; when `get` would refuse or
//! answer nothing, stdout stays empty, the reason goes to stderr exactly as `get` says it,
//! and the exit status is 1. The decision is `get`'s own ([`super::handout`]).

use std::io::Write;

use super::handout::{secret_for, target, Pick};
use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints the secret followed by a newline on stdout, and nothing else; reasons and warnings go to
stderr. The decision is get's: the narrowest token covering the repository, refused (exit 1,
nothing on stdout) when it has expired, was rejected by the server, has no contents
permission, or with --write cannot push; a repository no token covers gets a credential
stored for it by git, if any. For a GitHub host the repository path is always used (as with
credential.useHttpPath, which setup turns on).

Examples (the token goes through a pipe, never onto a command line, where other users see it):
  git credential-scoped token alta3/labs | gh auth login --with-token
  git credential-scoped token alta3/labs | sed 's/^/Authorization: Bearer /' \\
    | curl -fsS -H @- https://api.github.com/repos/alta3/labs

To hand it to a program in its environment instead, use `git credential-scoped exec`.

Exit codes: 0 printed, 1 get would refuse or give nothing, 2 usage or environment error.")]
pub struct Args {
    /// The repository: a URL (https://github.com/OWNER/REPO, or an SSH remote) or OWNER/REPO [default: the current checkout's origin remote]
    #[arg(value_name = "URL|OWNER/REPO")]
    pub repository: Option<String>,
    #[command(flatten)]
    pub pick: Pick,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let t = target(ctx, a.repository.as_deref(), &a.pick)?;
    let mut diag = std::io::stderr().lock();
    let Some(secret) = secret_for(ctx, &t, a.pick.write, &mut diag)? else {
        return Ok(EXIT_PROBLEMS);
    };
    let mut out = std::io::stdout().lock();
    out.write_all(secret.expose())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(EXIT_OK)
}
