//! `add`: register a fine-grained token with its scope. The secret comes from a hidden prompt
//! or stdin, goes to the chosen secret store, and only its fingerprint reaches the config.

use std::io::Write;

use super::secret_input::take_secret;
use super::shared::{summary, ExpiryArgs};
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::registry::{valid_permission_name, Access, Repos, SecretSource, Token};
use crate::remote::valid_token_name;
use crate::secrets::{default_kind, valid_env_name, StoreKind};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "The token itself is read from a hidden prompt, or from stdin when stdin is not a terminal:\n  git credential-scoped add alta3 --owner alta3 --repo labs,demo --expires-in 90d < token.txt"
)]
pub struct Args {
    /// A name for the token (letters, digits, - _ . @)
    pub name: String,
    /// The resource owner (user or organization) the token belongs to
    #[arg(long)]
    pub owner: String,
    /// Repositories the token was given: names, OWNER/REPO or URLs of the owner (repeat, or separate with commas)
    #[arg(
        long = "repo",
        value_name = "R[,R...]",
        value_delimiter = ',',
        required_unless_present = "all_repos",
        conflicts_with = "all_repos"
    )]
    pub repos: Vec<String>,
    /// The token covers all of the owner's repositories
    #[arg(long)]
    pub all_repos: bool,
    /// The GitHub host (github.com or a host declared in the config), with :port if not 443
    #[arg(long, default_value = "github.com")]
    pub host: String,
    /// A permission the token has, like contents=read or contents=write (repeatable) [default: contents=read]
    #[arg(long = "permission", value_name = "NAME=none|read|write")]
    pub permissions: Vec<String>,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// The login to send as user name (GitHub ignores it; default x-access-token)
    #[arg(long)]
    pub username: Option<String>,
    /// Where to keep the secret [default: $GIT_CREDENTIAL_SCOPED_SECRET_STORE, the config's secret_store, else keyring]
    #[arg(long, value_parser = ["keyring", "file"], conflicts_with_all = ["secret_env", "secret_command"])]
    pub secret_store: Option<String>,
    /// Read the secret from this environment variable each time it is used (nothing stored)
    #[arg(long, value_name = "VAR", conflicts_with = "secret_command")]
    pub secret_env: Option<String>,
    /// Run this command each time to print the secret (e.g. "pass show github/alta3")
    #[arg(long, value_name = "CMD")]
    pub secret_command: Option<String>,
    /// Use this token for the host when git sends no repository path (one per host)
    #[arg(long)]
    pub default: bool,
    #[command(flatten)]
    pub verify: super::check::VerifyArgs,
}

pub fn parse_permissions(given: &[String]) -> Result<(Access, Vec<(String, Access)>), String> {
    let mut contents = None;
    let mut other = Vec::new();
    for p in given {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("--permission '{p}' must look like contents=read"))?;
        let access = Access::parse(v)
            .ok_or_else(|| format!("--permission '{p}': the level must be none, read or write"))?;
        if k == "contents" {
            contents = Some(access);
        } else if valid_permission_name(k) {
            other.push((k.to_string(), access));
        } else {
            return Err(format!("--permission '{p}': unknown permission name"));
        }
    }
    Ok((contents.unwrap_or(Access::Read), other))
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let bad = |m: String| -> Box<dyn std::error::Error> { m.into() };
    if !valid_token_name(&a.name) {
        return Err(bad(format!(
            "'{}' is not a usable token name: use letters, digits, '-', '_', '.', '@'",
            crate::protocol::escape(a.name.as_bytes())
        )));
    }
    let host = a.host.to_ascii_lowercase();
    let repos = super::shared::repo_names(&a.repos, &host, &a.owner).map_err(bad)?;
    super::shared::check_owner_and_repos(&a.owner, &repos).map_err(bad)?;
    if let Some(v) = a.secret_env.as_deref().filter(|v| !valid_env_name(v)) {
        return Err(bad(format!(
            "--secret-env '{}' is not an environment variable name (letters, digits and '_', not starting with a digit)",
            crate::protocol::escape(v.as_bytes())
        )));
    }
    let reg = ctx.registry()?;
    if reg.github_host(&host).is_none() {
        let hint = crate::messages::declare_host_hint(&host, &ctx.config_path);
        return Err(bad(format!(
            "{} is not a GitHub host{}",
            crate::protocol::escape(host.as_bytes()),
            hint.map(|h| format!("\n{h}")).unwrap_or_default()
        )));
    }
    if reg.token(&a.name).is_some() {
        return Err(bad(format!("a token named '{}' exists already\nhint: use `git credential-scoped rotate {}` to replace its secret, or remove it first", a.name, a.name)));
    }
    if a.default {
        if let Some(other) = reg.defaults(&host).first() {
            return Err(bad(format!("token '{}' is already the default for {host}; a host has one default token (git sends no path only when useHttpPath is off)\nhint: leave out --default, or run first: git credential-scoped edit {} --no-default", other.name, other.name)));
        }
    }
    let (contents, other_permissions) = parse_permissions(&a.permissions).map_err(bad)?;
    let (expires, past) = a.expiry.resolve(ctx.now).map_err(bad)?;
    if let Some(w) = past {
        super::paint::say(&mut super::paint::stderr(), &w);
    }
    let source = match (&a.secret_env, &a.secret_command, &a.secret_store) {
        (Some(v), _, _) => SecretSource::Env(v.clone()),
        (_, Some(c), _) => SecretSource::Command(c.clone()),
        (_, _, Some(s)) => SecretSource::Store(StoreKind::parse(s).unwrap_or(StoreKind::Keyring)),
        _ => SecretSource::Store(default_kind(reg.settings.secret_store)?),
    };
    let mut token = Token {
        name: a.name.clone(),
        host,
        owner: a.owner.clone(),
        repos: if a.all_repos {
            Repos::All
        } else {
            Repos::List(super::shared::dedup(&repos))
        },
        contents,
        other_permissions,
        expires,
        username: a.username.clone(),
        source,
        default: a.default,
        fingerprint: None,
    };
    super::lifetime::check_new(ctx, &token)?;
    let prompt = format!("Token for {} (input hidden): ", token.name);
    let secret = take_secret(ctx, &reg, &mut token, &a.verify, &prompt)?;
    change::add(ctx, &token, secret.as_ref())?;
    super::lifetime::record_added(ctx, &token.name)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "added token '{}' to {}",
        token.name,
        crate::messages::shown_path(&ctx.config_path)
    )?;
    for line in summary(&token, ctx.now, a.permissions.is_empty()) {
        writeln!(out, "  {line}")?;
    }
    Ok(EXIT_OK)
}
