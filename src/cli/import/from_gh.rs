//! `import --from gh`: the token the GitHub CLI keeps in its `hosts.yml` (read by
//! [`super::gh`]), registered with the owner and repositories given on the command line,
//! since nothing in that file says them. When gh keeps the token in the system keyring, the
//! error names the command that hands it over on stdin instead.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::plan::{self, Plan, Proposed};
use super::{gh, plan_and_apply, read_user_file, Args, Error};
use crate::cli::{paint, CliResult, EXIT_OK};
use crate::context::Context;
use crate::files::FileError;
use crate::registry::{Access, Expiry, Registry, Repos, SecretSource, Token, GITHUB};
use crate::remote::{valid_name, valid_token_name};
use crate::secrets::StoreKind;

/// hosts.yml's place: `$GH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gh`, else (Windows)
/// `%AppData%\GitHub CLI`, else `~/.config/gh` — as gh itself looks.
fn default_gh_file() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("GH_CONFIG_DIR")
        .or_else(|| var("XDG_CONFIG_HOME").map(|x| x.join("gh")))
        .or_else(|| {
            if cfg!(windows) {
                dirs::config_dir().map(|d| d.join("GitHub CLI"))
            } else {
                dirs::home_dir().map(|h| h.join(".config").join("gh"))
            }
        })?;
    Some(dir.join("hosts.yml"))
}

pub fn from_gh(ctx: &Context, reg: &Registry, store: StoreKind, a: &Args) -> CliResult {
    let owner = a
        .owner
        .as_deref()
        .ok_or("--from gh needs --owner OWNER and --repo R... or --all-repos: hosts.yml does not say which owner and repositories the token was given")?;
    if !valid_name(owner) {
        return Err("--owner is not a GitHub account name".into());
    }
    if a.repos.is_empty() && !a.all_repos {
        return Err("--from gh needs --repo R... or --all-repos: hosts.yml does not say which repositories the token was given".into());
    }
    if let Some(r) = a.repos.iter().find(|r| !valid_name(r)) {
        return Err(format!(
            "--repo '{}' is not a repository name (give names without the owner)",
            crate::protocol::escape(r.as_bytes())
        )
        .into());
    }
    let host = a.host.as_deref().unwrap_or(GITHUB).to_ascii_lowercase();
    if reg.github_host(&host).is_none() {
        return Err(format!(
            "{host} is not a GitHub host\nhint: declare it in {} first",
            ctx.config_path.display()
        )
        .into());
    }
    let file = match &a.file {
        Some(f) => f.clone(),
        None => default_gh_file().ok_or(FileError::NoHome)?,
    };
    let bytes = read_user_file(&file)?;
    let root = gh::parse(bytes.expose()).map_err(|e| {
        format!(
            "{}, line {}: the line {}; it is not the shape gh writes, so nothing was read from it",
            file.display(),
            e.line,
            e.what
        )
    })?;
    let account = pick_account(gh::accounts(&root), &host, a.user.as_deref(), &file)?;
    let login = account.user.clone();
    let Some(secret) = account.secret else {
        let who = login
            .as_deref()
            .map(|u| format!(" --user {u}"))
            .unwrap_or_default();
        return Err(format!(
            "{} holds no token for {}{}: gh keeps it in the system keyring\nhint: hand it over on stdin instead: gh auth token --hostname {host}{who} | git credential-scoped add NAME --owner {owner} {}",
            file.display(),
            host,
            login.as_deref().map(|u| format!(" (login {u})")).unwrap_or_default(),
            repos_flag(a)
        )
        .into());
    };
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
    if !secret.expose().starts_with(b"github_pat_") {
        return Err(format!("the token gh holds for {host} is not a fine-grained token (github_pat_...): gh's own sign-in token (gho_...) reaches everything its account can, so there is nothing to route; nothing was imported").into());
    }
    let name = match &a.name {
        Some(n) if valid_token_name(n) => n.clone(),
        Some(n) => {
            return Err(format!(
                "'{}' is not a usable token name: use letters, digits, '-', '_', '.', '@'",
                crate::protocol::escape(n.as_bytes())
            )
            .into())
        }
        None => plan::free_name(owner, reg, &Plan::default()),
    };
    let token = Token {
        name,
        host,
        owner: owner.to_string(),
        repos: if a.all_repos {
            Repos::All
        } else {
            Repos::List(a.repos.clone())
        },
        contents: Access::Read,
        other_permissions: Vec::new(),
        expires: Expiry::Unknown,
        username: login.clone(),
        source: SecretSource::Store(store),
        default: false,
        fingerprint: Some(fingerprint),
    };
    writeln!(
        out,
        "{}the token gh holds for {} in {}",
        if a.dry_run {
            "dry run, nothing is changed: "
        } else {
            ""
        },
        token.host,
        file.display()
    )?;
    drop(out);
    let plan = Plan {
        tokens: vec![Proposed {
            token,
            secret,
            from: plan::From::Gh { user: login },
            notes: vec!["gh keeps its copy; `gh auth logout` removes it there".into()],
        }],
        skipped: Vec::new(),
    };
    plan_and_apply(ctx, reg, store, plan, &[file], a)?;
    Ok(EXIT_OK)
}

fn repos_flag(a: &Args) -> String {
    if a.all_repos {
        "--all-repos".into()
    } else {
        format!("--repo {}", a.repos.join(","))
    }
}

/// The one account of `host` to import: the one named by `--user`, else the only one.
fn pick_account(
    accounts: Vec<gh::Account>,
    host: &str,
    user: Option<&str>,
    file: &Path,
) -> Result<gh::Account, Error> {
    let mut on_host: Vec<gh::Account> = accounts
        .into_iter()
        .filter(|acc| acc.host.eq_ignore_ascii_case(host))
        .collect();
    if let Some(u) = user {
        return on_host
            .into_iter()
            .find(|acc| acc.user.as_deref() == Some(u))
            .ok_or_else(|| {
                format!(
                    "{} names no login '{}' for {host}",
                    file.display(),
                    crate::protocol::escape(u.as_bytes())
                )
                .into()
            });
    }
    match on_host.len() {
        0 => Err(format!(
            "{} holds no account for {host}\nhint: sign in with gh first, or give --host",
            file.display()
        )
        .into()),
        1 => Ok(on_host.remove(0)),
        _ => {
            let logins: Vec<String> = on_host.iter().filter_map(|acc| acc.user.clone()).collect();
            Err(format!(
                "{} holds several logins for {host} ({}); say which with --user LOGIN",
                file.display(),
                logins.join(", ")
            )
            .into())
        }
    }
}
