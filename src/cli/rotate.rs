//! `rotate NAME`: replace a token's secret, keeping its scope. The new secret is written
//! beside the old one, the registry switches to it in one write, and the old one is deleted
//! after ([`crate::change::rotate`]).

use std::io::Write;

use super::paint::say;
use super::secret_input::take_secret;
use super::shared::{require, summary, ExpiryArgs};
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::registry::{Expiry, SecretSource};
use crate::secrets::StoreKind;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "The new token is read from a hidden prompt, or from stdin when stdin is not a terminal.\n\nA new secret is a new token with its own expiry: give --expires or --expires-in (or --verify to take it from the server), else the expiry is recorded as unknown. A token whose secret comes from an environment variable or a command keeps its expiry unless one is given.\n\n--verify also records contents=read when the server lets a token registered without contents read them.\n\n--secret-store moves the token to that store: the secret is read again (the same token or a new one) and the old copy is deleted from where it was."
)]
pub struct Args {
    /// The token's name
    pub name: String,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Keep the secret in this store from now on (read again; the old copy is deleted)
    #[arg(long, value_parser = ["keyring", "file"])]
    pub secret_store: Option<String>,
    #[command(flatten)]
    pub verify: super::check::VerifyArgs,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let mut token = require(&reg, &a.name)?.clone();
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
    // A new secret is a new token with its own expiry; a secret kept elsewhere keeps its own.
    token.expires = match (&token.source, given) {
        (_, Some(e)) => e,
        (SecretSource::Store(_), None) => Expiry::Unknown,
        (_, None) => token.expires,
    };
    if let Some(store) = &a.secret_store {
        token.source = SecretSource::Store(StoreKind::parse(store).unwrap_or(StoreKind::Keyring));
    }
    if !matches!(token.source, SecretSource::Store(_)) {
        say(&mut super::paint::stderr(), &format!("token '{}' reads its secret from {}; update it there (only the expiry and marks change here)", token.name, token.source.describe()));
    }
    if matches!(token.source, SecretSource::Store(_)) {
        super::lifetime::check_new(ctx, &token)?;
    }
    let prompt = format!("New token for {} (input hidden): ", token.name);
    let secret = take_secret(ctx, &reg, &mut token, &a.verify, &prompt)?;
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
