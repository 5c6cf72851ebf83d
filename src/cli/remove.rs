//! `remove NAME`: forget a token and delete its stored secret — the registry entry first,
//! the secret after, both under the config's lock (so a concurrent `add` of the same name
//! never loses its new secret), and nothing at all when the secret's store is unreachable.

use std::io::Write;

use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::registry::SecretSource;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The token's name
    pub name: String,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let token = change::remove(ctx, &a.name)?;
    let what = match token.source {
        SecretSource::Store(kind) => format!("and its secret from the {} store", kind.name()),
        _ => format!(
            "(its secret stays where it came from: {})",
            token.source.describe()
        ),
    };
    writeln!(std::io::stdout(), "removed token '{}' {what}", token.name)?;
    Ok(EXIT_OK)
}
