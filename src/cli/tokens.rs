//! `remove`, `rotate`, `unreject`, and what `add` shares with them: expiry options, storing a
//! secret, the summary printed after a change, and a token's state label.

use std::io::Write;

use super::secret_input::{read_secret, shape_warnings};
use super::{CliResult, EXIT_OK};
use crate::context::Context;
use crate::helper::say;
use crate::policy::{judge, Refusal, Verdict};
use crate::registry::state::{self, State};
use crate::registry::{config, Expiry, Registry, SecretSource, Settings, Token};
use crate::secret::Secret;
use crate::secrets::StoreKind;
use crate::time::{self, format_date, relative};

#[derive(clap::Args, Debug, Default)]
pub struct ExpiryArgs {
    /// When the token expires: a date (2027-01-31, start of that day UTC) or a time (2027-01-31T12:00:00Z)
    #[arg(long, value_name = "DATE", conflicts_with_all = ["expires_in", "no_expiry"])]
    pub expires: Option<String>,
    /// Expires this long from now, like 90d or 12w
    #[arg(long, value_name = "DAYS", conflicts_with = "no_expiry")]
    pub expires_in: Option<String>,
    /// The token never expires
    #[arg(long)]
    pub no_expiry: bool,
}

impl ExpiryArgs {
    pub fn given(&self) -> bool {
        self.expires.is_some() || self.expires_in.is_some() || self.no_expiry
    }

    pub fn resolve(&self, now: i64) -> Result<Expiry, String> {
        if self.no_expiry {
            return Ok(Expiry::Never);
        }
        if let Some(d) = &self.expires {
            return time::parse_timestamp(d).map(Expiry::At).ok_or_else(|| {
                "--expires must be a date like 2027-01-31 or a time like 2027-01-31T12:00:00Z"
                    .to_string()
            });
        }
        if let Some(d) = &self.expires_in {
            return time::parse_duration_days(d)
                .map(|s| Expiry::At(now + s))
                .ok_or_else(|| {
                    "--expires-in must be a number of days like 90d (or weeks: 12w)".to_string()
                });
        }
        Ok(Expiry::Unknown)
    }
}

pub fn store_secret(
    ctx: &Context,
    kind: StoreKind,
    token: &Token,
    secret: &Secret,
) -> Result<(), crate::secrets::SecretError> {
    ctx.stores.open(kind)?.set(&token.secret_key(), secret)
}

pub fn expiry_text(e: Expiry, now: i64) -> String {
    match e {
        Expiry::Never => "never".into(),
        Expiry::Unknown => "unknown".into(),
        Expiry::At(at) => format!("{} ({})", format_date(at), relative(at, now)),
    }
}

/// ok / expiring / expired / rejected / no-contents, from the same policy `get` uses.
pub fn state_label(t: &Token, state: &State, now: i64, settings: &Settings) -> &'static str {
    match judge(t, state, now, settings, false) {
        Verdict::Serve => "ok",
        Verdict::Expiring { .. } => "expiring",
        Verdict::ExpiredAllowed { .. } | Verdict::Refuse(Refusal::Expired { .. }) => "expired",
        Verdict::Refuse(Refusal::Rejected(_)) => "rejected",
        Verdict::Refuse(Refusal::NoContents) => "no-contents",
        Verdict::Refuse(Refusal::NoWrite) => "ok",
    }
}

pub fn summary(t: &Token, now: i64, default_permissions: bool) -> Vec<String> {
    let perms = if default_permissions {
        format!(
            "{} (the default: no --permission given)",
            t.permissions_text()
        )
    } else {
        t.permissions_text()
    };
    let mut lines = vec![
        format!("host:         {}", t.host),
        format!("owner:        {}", t.owner),
        format!("repositories: {}", t.repos.describe()),
        format!("permissions:  {perms}"),
        format!("expires:      {}", expiry_text(t.expires, now)),
        format!(
            "secret:       {}{}",
            t.source.describe(),
            t.fingerprint
                .as_ref()
                .map(|f| format!(", fingerprint {f}"))
                .unwrap_or_default()
        ),
    ];
    if t.expires == Expiry::Unknown {
        lines.push(
            "note: expiry unknown; pass --expires or --expires-in so expiry can be warned about"
                .into(),
        );
    }
    if t.default {
        lines.push("default:      used for this host when git sends no repository path".into());
    }
    lines
}

fn require<'r>(reg: &'r Registry, name: &str) -> Result<&'r Token, Box<dyn std::error::Error>> {
    reg.token(name).ok_or_else(|| {
        format!(
            "no token named '{}'\nhint: `git credential-scoped list` shows the names",
            crate::protocol::escape(name.as_bytes())
        )
        .into()
    })
}

#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    /// The token's name
    pub name: String,
}

pub fn remove(ctx: &Context, a: RemoveArgs) -> CliResult {
    let reg = ctx.registry()?;
    let token = require(&reg, &a.name)?.clone();
    config::edit(&ctx.config_path, |doc, _| {
        Ok(config::remove_token(doc, &token.name))
    })?;
    if let SecretSource::Store(kind) = token.source {
        ctx.stores.open(kind)?.delete(&token.secret_key())?;
    }
    state::update(&ctx.data_dir, |s| s.forget(&token.name))?;
    writeln!(
        std::io::stdout(),
        "removed token '{}' and its stored secret",
        token.name
    )?;
    Ok(EXIT_OK)
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "The new token is read from a hidden prompt, or from stdin when stdin is not a terminal."
)]
pub struct RotateArgs {
    /// The token's name
    pub name: String,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    #[command(flatten)]
    pub verify: super::check::VerifyArgs,
}

pub fn rotate(ctx: &Context, a: RotateArgs) -> CliResult {
    let reg = ctx.registry()?;
    let mut token = require(&reg, &a.name)?.clone();
    // A new secret is a new token with its own expiry; a secret kept elsewhere keeps its own.
    let expires = match (&token.source, a.expiry.given()) {
        (_, true) => a.expiry.resolve(ctx.now)?,
        (SecretSource::Store(_), false) => Expiry::Unknown,
        (_, false) => token.expires,
    };
    let mut err = std::io::stderr();
    token.expires = expires;
    let mut secret = None;
    match token.source {
        SecretSource::Store(_) => {
            let s = read_secret(&format!("New token for {} (input hidden): ", token.name))?;
            for w in shape_warnings(&s) {
                say(&mut err, &format!("warning: {w}"));
            }
            super::check::verify_new_token(ctx, &reg, &mut token, Some(&s), &a.verify)?;
            token.fingerprint = Some(s.fingerprint());
            secret = Some(s);
        }
        _ => {
            say(&mut err, &format!("token '{}' reads its secret from {}; update it there (only the expiry and marks change here)", token.name, token.source.describe()));
            super::check::verify_new_token(ctx, &reg, &mut token, None, &a.verify)?;
        }
    }
    // Secret and fingerprint change together under the config's lock, so two rotations of
    // the same token at once cannot leave one's secret with the other's fingerprint.
    config::edit(&ctx.config_path, |doc, now| {
        if now.token(&token.name).is_none() {
            return Err(config::ConfigError::Invalid {
                path: ctx.config_path.clone(),
                what: format!("token '{}' was removed meanwhile", token.name),
            });
        }
        if let (SecretSource::Store(kind), Some(s)) = (&token.source, &secret) {
            store_secret(ctx, *kind, &token, s)?;
        }
        config::put_token(doc, &token);
        Ok(())
    })?;
    state::update(&ctx.data_dir, |s| s.entry(&token.name).rejected = None)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "rotated token '{}'", token.name)?;
    for line in summary(&token, ctx.now, false) {
        writeln!(out, "  {line}")?;
    }
    Ok(EXIT_OK)
}

#[derive(clap::Args, Debug)]
pub struct UnrejectArgs {
    /// The token's name
    pub name: String,
}

pub fn unreject(ctx: &Context, a: UnrejectArgs) -> CliResult {
    let reg = ctx.registry()?;
    let token = require(&reg, &a.name)?;
    let had = state::update(&ctx.data_dir, |s| s.entry(&token.name).rejected.take())?;
    let mut out = std::io::stdout();
    match had {
        Some(_) => writeln!(
            out,
            "cleared the rejected mark of token '{}'; git will send it again",
            token.name
        )?,
        None => writeln!(out, "token '{}' was not marked rejected", token.name)?,
    }
    Ok(EXIT_OK)
}
