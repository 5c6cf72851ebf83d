//! `import --from gh`: the token the GitHub CLI holds, registered with the owner and
//! repositories given on the command line (gh does not know them). gh knows where its token
//! is — the system keyring since gh 2.40, or `hosts.yml` — and hands it over itself:
//! `gh auth token --hostname HOST [--user LOGIN]` prints it on stdout. So we ask gh, and
//! read none of its files. The token is read from gh's stdout as a [`Secret`] and held to the
//! rules of every other secret ([`crate::secret::token_problem`]).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::plan::{self, Plan, Proposed};
use super::{plan_and_apply, Args, Error};
use crate::cli::{paint, CliResult, EXIT_OK};
use crate::context::Context;
use crate::registry::{Access, Expiry, Registry, Repos, SecretSource, Token, GITHUB};
use crate::remote::{valid_name, valid_token_name};
use crate::secret::Secret;
use crate::secrets::StoreKind;

pub fn from_gh(ctx: &Context, reg: &Registry, store: StoreKind, a: &Args) -> CliResult {
    let (owner, host) = check_args(ctx, reg, a)?;
    let (secret, command) = ask_gh(&host, a.user.as_deref())?;
    let fingerprint = secret.fingerprint();
    let mut out = paint::stdout();
    if let Some(t) = reg
        .tokens
        .iter()
        .find(|t| t.fingerprint.as_deref() == Some(fingerprint.as_str()))
    {
        writeln!(out, "the token gh holds for {host} ({fingerprint}) is registered already, as token '{}'; nothing to import", t.name)?;
        return Ok(EXIT_OK);
    }
    let token = proposed(reg, a, (owner, host), store, fingerprint);
    let dry = if a.dry_run {
        "dry run, nothing is changed: "
    } else {
        ""
    };
    writeln!(
        out,
        "{dry}the token gh holds for {} ({command})",
        token.host
    )?;
    drop(out);
    let plan = Plan {
        tokens: vec![Proposed {
            token,
            secret,
            from: plan::From::Gh { command },
            notes: vec!["gh keeps its copy; `gh auth logout` removes it there".into()],
        }],
        skipped: Vec::new(),
    };
    plan_and_apply(ctx, reg, store, plan, &[], a)?;
    Ok(EXIT_OK)
}

/// The token to register: the scope given, the login given as its user name.
fn proposed(
    reg: &Registry,
    a: &Args,
    (owner, host): (String, String),
    store: StoreKind,
    fingerprint: String,
) -> Token {
    let name = match &a.name {
        Some(n) => n.clone(),
        None => plan::free_name(&owner, reg, &Plan::default()),
    };
    Token {
        name,
        host,
        owner,
        repos: if a.all_repos {
            Repos::All
        } else {
            Repos::List(a.repos.clone())
        },
        contents: Access::Read,
        other_permissions: Vec::new(),
        expires: Expiry::Unknown,
        username: a.user.clone(),
        source: SecretSource::Store(store),
        default: false,
        fingerprint: Some(fingerprint),
    }
}

/// The owner and host of the token to import, the arguments checked before gh is asked.
fn check_args(ctx: &Context, reg: &Registry, a: &Args) -> Result<(String, String), Error> {
    if a.file.is_some() {
        return Err("--from gh reads no file: gh hands its token over itself (gh auth token); give --host and --user to choose which".into());
    }
    let owner = a
        .owner
        .as_deref()
        .ok_or("--from gh needs --owner OWNER and --repo R... or --all-repos: gh does not know which owner and repositories the token was given")?;
    if !valid_name(owner) {
        return Err("--owner is not a GitHub account name".into());
    }
    if a.repos.is_empty() && !a.all_repos {
        return Err("--from gh needs --repo R... or --all-repos: gh does not know which repositories the token was given".into());
    }
    if let Some(r) = a.repos.iter().find(|r| !valid_name(r)) {
        return Err(format!(
            "--repo '{}' is not a repository name (give names without the owner)",
            crate::protocol::escape(r.as_bytes())
        )
        .into());
    }
    if let Some(u) = a.user.as_deref().filter(|u| !valid_name(u)) {
        return Err(format!(
            "--user '{}' is not a GitHub login",
            crate::protocol::escape(u.as_bytes())
        )
        .into());
    }
    if let Some(n) = a.name.as_deref().filter(|n| !valid_token_name(n)) {
        return Err(format!(
            "'{}' is not a usable token name: use letters, digits, '-', '_', '.', '@'",
            crate::protocol::escape(n.as_bytes())
        )
        .into());
    }
    let host = a.host.as_deref().unwrap_or(GITHUB).to_ascii_lowercase();
    if reg.github_host(&host).is_none() {
        return Err(format!(
            "{host} is not a GitHub host\nhint: declare it in {} first",
            crate::messages::shown_path(&ctx.config_path)
        )
        .into());
    }
    Ok((owner.to_string(), host))
}

/// Runs `gh auth token --hostname HOST [--user LOGIN]` (no shell: the words are ours and
/// checked) and returns the token it printed, and the command as shown to the user.
fn ask_gh(host: &str, user: Option<&str>) -> Result<(Secret, String), Error> {
    let mut args = vec!["auth", "token", "--hostname", host];
    args.extend(user.iter().flat_map(|u| ["--user", u]));
    let command = format!("gh {}", args.join(" "));
    let (status, secret, said) = run_gh(&args)?;
    if !status.success() {
        return Err(not_logged_in(host, user, &command, &said).into());
    }
    if let Some(why) = crate::secret::token_problem(&secret) {
        return Err(
            format!("what `{command}` printed {why}: not a token; nothing was imported").into(),
        );
    }
    if !secret.expose().starts_with(b"github_pat_") {
        return Err(format!("the token gh holds for {host} is not a fine-grained token (github_pat_...): gh's own sign-in token (gho_...) reaches everything its account can, so there is nothing to route; nothing was imported").into());
    }
    Ok((secret, command))
}

/// Runs gh with `args`: its exit status, its stdout (trimmed, as a secret) and the start of
/// its stderr.
fn run_gh(args: &[&str]) -> Result<(std::process::ExitStatus, Secret, Vec<u8>), Error> {
    let child = Command::new("gh")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("gh (the GitHub CLI) is not installed, or not on PATH; nothing was imported\nhint: install gh and sign in (gh auth login), or register the token by hand with the token on stdin: git credential-scoped add NAME --owner OWNER --repo REPO".into())
        }
        Err(e) => return Err(format!("could not run gh: {e}; nothing was imported").into()),
    };
    // stderr read beside stdout, so that neither pipe fills while the other is read.
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut said = Vec::new();
            let _ = err.by_ref().take(4096).read_to_end(&mut said);
            said
        })
    });
    let mut bytes = Vec::new();
    if let Some(out) = child.stdout.take() {
        out.take(crate::secret::MAX_SECRET as u64 + 1)
            .read_to_end(&mut bytes)?;
    }
    if bytes.len() > crate::secret::MAX_SECRET {
        let _ = child.kill();
    }
    let secret = Secret::new(bytes).trimmed();
    let said = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((child.wait()?, secret, said))
}

/// gh exits non-zero when it holds no token for the host (or login): "not logged in".
fn not_logged_in(host: &str, user: Option<&str>, command: &str, said: &[u8]) -> String {
    // gh's first line, escaped: it could echo anything it read.
    let first = said.split(|&b| b == b'\n').next().unwrap_or_default();
    let who = user.map(|u| format!(" as {u}")).unwrap_or_default();
    format!(
        "gh holds no token for {host}{who} (`{command}` failed: {}); nothing was imported\nhint: sign in first: gh auth login --hostname {host}",
        crate::protocol::escape(first)
    )
}
