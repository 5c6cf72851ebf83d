//! `rotate NAME`: replace a token's secret, keeping its scope. The new secret is written
//! beside the old one, the registry switches to it in one write, and the old one is deleted
//! after ([`crate::change::rotate`]). `--secret-store`, `--secret-env` and
//! `--secret-command` move the token to another place for its secret: the secret is read
//! from there first, so the old copy is never deleted before the new place holds it.
//!
//! A new secret is a new token with its own expiry; the same secret given again (the same
//! fingerprint, as when moving a token off an unreachable keyring) keeps the known one.

use std::io::Write;

use super::paint::say;
use super::secret_input::take_secret;
use super::shared::{require, summary, ExpiryArgs};
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::registry::{Expiry, SecretSource, Token};
use crate::secrets::{valid_env_name, StoreKind};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "The new token is read from a hidden prompt, or from stdin when stdin is not a terminal.\n\nA new secret is a new token with its own expiry: give --expires or --expires-in (or --verify to take it from the server), else the expiry is recorded as unknown. The same token given again (the same fingerprint) keeps its expiry. A token whose secret comes from an environment variable or a command keeps its expiry unless one is given.\n\n--verify also records contents=read when the server lets a token registered without contents read them.\n\n--secret-store, --secret-env and --secret-command move the token there: the secret is read from its new place (the same token or a new one) and the old copy is deleted from where it was."
)]
pub struct Args {
    /// The token's name
    pub name: String,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Keep the secret in this store from now on (read again; the old copy is deleted)
    #[arg(long, value_parser = ["keyring", "file"], conflicts_with_all = ["secret_env", "secret_command"])]
    pub secret_store: Option<String>,
    /// Read the secret from this environment variable from now on (it must hold it now; a stored copy is deleted)
    #[arg(long, value_name = "VAR", conflicts_with = "secret_command")]
    pub secret_env: Option<String>,
    /// Run this command to print the secret from now on (it is run once now; a stored copy is deleted)
    #[arg(long, value_name = "CMD")]
    pub secret_command: Option<String>,
    #[command(flatten)]
    pub verify: super::check::VerifyArgs,
}

/// The place the token's secret comes from after the rotation.
fn new_source(a: &Args, old: &SecretSource) -> Result<SecretSource, String> {
    Ok(match (&a.secret_store, &a.secret_env, &a.secret_command) {
        (Some(s), _, _) => SecretSource::Store(StoreKind::parse(s).unwrap_or(StoreKind::Keyring)),
        (_, Some(v), _) if !valid_env_name(v) => {
            return Err(format!(
                "--secret-env '{}' is not an environment variable name (letters, digits and '_', not starting with a digit)",
                crate::protocol::escape(v.as_bytes())
            ))
        }
        (_, Some(v), _) => SecretSource::Env(v.clone()),
        (_, _, Some(c)) => SecretSource::Command(c.clone()),
        _ => old.clone(),
    })
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let old = require(&reg, &a.name)?.clone();
    let mut token = old.clone();
    let given = match a.expiry.given() {
        true => {
            let (e, past) = a.expiry.resolve(ctx.now)?;
            if let Some(w) = past {
                say(&mut super::paint::stderr(), &w);
            }
            Some(e)
        }
        false => None,
    };
    token.source = new_source(&a, &old.source)?;
    let moved = token.source != old.source;
    // A new secret is a new token with its own expiry; a secret kept elsewhere keeps its own.
    token.expires = match (&old.source, given, moved) {
        (_, Some(e), _) => e,
        (SecretSource::Store(_), None, _) | (_, None, true) => Expiry::Unknown,
        (_, None, false) => token.expires,
    };
    if !matches!(token.source, SecretSource::Store(_)) && !moved {
        say(&mut super::paint::stderr(), &format!("token '{}' reads its secret from {}; update it there (only the expiry and marks change here)", token.name, token.source.describe()));
    }
    if matches!(token.source, SecretSource::Store(_)) {
        super::lifetime::check_new(ctx, &token)?;
    }
    let prompt = format!("New token for {} (input hidden): ", token.name);
    let secret = take_secret(ctx, &reg, &mut token, &a.verify, &prompt)?;
    let fingerprint = match &secret {
        Some(s) => Some(s.fingerprint()),
        None if moved => Some(read_from_new_place(ctx, &token)?),
        None => None,
    };
    let same = fingerprint.is_some() && fingerprint == old.fingerprint;
    if given.is_none() && token.expires == Expiry::Unknown && same {
        // The same token again (moved off an unreachable keyring, say): its expiry holds.
        token.expires = old.expires;
    }
    let (expires, contents, source) = (token.expires, token.contents, token.source.clone());
    let written = change::rotate(ctx, &token.name, secret.as_ref(), |t| {
        t.expires = expires;
        t.contents = contents;
        t.source = source;
    })?;
    super::lifetime::record_added(ctx, &written.name)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "rotated token '{}'", written.name)?;
    for line in summary(&written, ctx.now, false) {
        writeln!(out, "  {line}")?;
    }
    Ok(EXIT_OK)
}

/// The fingerprint of the secret at the token's new environment variable or command, read
/// now: a place that does not give one is refused before the old copy is deleted.
fn read_from_new_place(ctx: &Context, token: &Token) -> Result<String, String> {
    ctx.stores
        .token_secret(token)
        .map(|s| s.fingerprint())
        .map_err(|e| format!("{e}; nothing was changed, the secret stays where it was"))
}
