//! What `token` and `exec` share: handing the token `get` would give to something other
//! than git — a person's shell, `gh`, `curl`, Terraform. The repository is named on the
//! command line (a URL, or `OWNER/REPO` with `--host`), and the decision is made and carried
//! out by the very function `get` uses ([`crate::helper::serve`]): the same registry, the
//! same policy and refusals with the same lines on stderr, the same generic-store lookup.
//! Only the last step differs: the secret is handed over instead of encoded for git.
//!
//! git sends a repository path for a GitHub host only when `credential.useHttpPath` is on
//! (setup turns it on); `token` and `exec` are asked for a repository, so for a GitHub host
//! they always decide with the path, as `get` does behind `setup`. For any other host they
//! look the generic store up with what git would send for that URL (no path unless
//! useHttpPath is on for it), because that is how git stored the credential.

use std::io::Write;

use super::check::{parse_target, Target};
use crate::context::{Context, HelperError};
use crate::diag::say;
use crate::helper::serve;
use crate::messages::new_token_hint;
use crate::registry::View;
use crate::registry::GITHUB;
use crate::remote::{owner_repo, valid_host, Remote};
use crate::resolve::Query;
use crate::secret::Secret;

/// `--host` and `--write`, shared by `token` and `exec`.
#[derive(clap::Args, Debug)]
pub struct Pick {
    /// The GitHub host for an OWNER/REPO (a URL names its own), with :port if not 443
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Require push access (contents=write), as `check --write` does
    #[arg(long)]
    pub write: bool,
}

/// A usage error: the repository as typed cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadTarget(String);

/// What the command line names ([`crate::cli::shared::parse_repo`]: a URL, an SSH remote,
/// or `OWNER/REPO` on `--host`, default github.com), or without one the current checkout's
/// `origin` remote, as gh does.
pub fn target(ctx: &Context, arg: Option<&str>, pick: &Pick) -> Result<Target, BadTarget> {
    let bad = |m: String| BadTarget(m);
    let origin;
    let arg = match arg {
        Some(a) => a,
        None if pick.host.is_some() => {
            return Err(bad(
                "--host goes with OWNER/REPO; name the repository".into()
            ))
        }
        None => {
            origin = crate::cli::shared::origin_remote().map_err(bad)?;
            origin.as_str()
        }
    };
    let ssh = ["ssh://", "git+ssh://", "ssh+git://"]
        .iter()
        .any(|p| arg.to_ascii_lowercase().starts_with(p));
    let t = if arg.contains("://") && !ssh {
        if pick.host.is_some() {
            return Err(bad(
                "--host goes with OWNER/REPO; a URL names its own host".into()
            ));
        }
        parse_target(arg).map_err(bad)?
    } else {
        let r = crate::cli::shared::parse_repo(arg).map_err(bad)?;
        if r.host.is_some() && pick.host.is_some() {
            return Err(bad(
                "--host goes with OWNER/REPO; a remote names its own host".into(),
            ));
        }
        let host = r
            .host
            .or_else(|| pick.host.clone())
            .unwrap_or_else(|| GITHUB.into())
            .to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(bad(format!(
                "--host '{}' is not a host name (like github.com or ghe.example.com:8443)",
                crate::protocol::escape(host.as_bytes())
            )));
        }
        let Some(owner) = r.owner else {
            return Err(bad(format!(
                "'{}' names no owner; give it like alta3/labs or https://github.com/alta3/labs",
                crate::protocol::escape(arg.as_bytes())
            )));
        };
        let repo = r.repo;
        Target {
            shown: format!("https://{host}/{owner}/{repo}"),
            protocol: "https".into(),
            host,
            path: Some(format!("{owner}/{repo}").into_bytes()),
            username: None,
            path_withheld: false,
        }
    };
    let github = ctx
        .cached_registry()
        .map(|r| r.github_host(&t.host).is_some())
        .unwrap_or(true);
    if !github {
        return Ok(t.sent_by_git());
    }
    if t.path.as_deref().and_then(owner_repo).is_none() {
        return Err(bad(format!(
            "{} names no repository; give it like https://{}/OWNER/REPO",
            t.shown,
            crate::protocol::escape(t.host.as_bytes())
        )));
    }
    Ok(t)
}

/// The secret `get` would answer with for `t`, or `None` when it would answer nothing or
/// `quit=1` — the reason then said on `diag`, as `get` says it, plus a line of what to do
/// when `get` itself would have stayed silent.
pub fn secret_for(
    ctx: &Context,
    t: &Target,
    write: bool,
    diag: &mut impl Write,
) -> Result<Option<Secret>, HelperError> {
    let q = Query {
        protocol: Some(&t.protocol),
        host: Some(&t.host),
        path: t.path.as_deref(),
        username: t.username.as_deref(),
        need_write: write,
    };
    let mut said = Said {
        inner: diag,
        any: false,
    };
    let served = serve(ctx, &q, &mut said);
    for w in ctx.stores.take_warnings() {
        say(&mut said, &w);
    }
    match served {
        Ok(reply) if reply.quit => return Ok(None),
        Ok(reply) if reply.password.is_some() => return Ok(reply.password),
        Ok(_) => {}
        Err(HelperError::Unreadable { token, source }) => {
            say(
                &mut said,
                &format!("refused: the secret of token '{token}' could not be read: {source}"),
            );
            return Ok(None);
        }
        Err(e) => return Err(e),
    }
    if !said.any {
        say(said.inner, &silent_reason(ctx, t, write));
    }
    Ok(None)
}

/// Why nothing was given, when `get` would have said nothing (git then asks the next helper
/// or the user): no token of the owner at all, or nothing stored for another host.
fn silent_reason(ctx: &Context, t: &Target, write: bool) -> String {
    let host = crate::protocol::escape(t.host.as_bytes());
    let remote = t
        .path
        .as_deref()
        .and_then(owner_repo)
        .map(|(owner, repo)| Remote {
            host: t.host.clone(),
            owner,
            repo,
        });
    let github = ctx
        .cached_registry()
        .is_ok_and(|r| r.github_host(&t.host).is_some());
    match remote {
        Some(r) if github => format!(
            "no token for {} on {host} covers {}\n{}",
            r.owner,
            r.full_name(),
            new_token_hint(&r, write)
        ),
        _ => format!(
            "{host} is not a GitHub host, and no credential is stored for {}",
            t.shown
        ),
    }
}

/// A writer that remembers whether anything was said.
struct Said<'w, W: Write> {
    inner: &'w mut W,
    any: bool,
}

impl<W: Write> Write for Said<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.any |= !buf.is_empty();
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
