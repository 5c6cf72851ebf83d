//! `remove NAME`: forget a token and delete its stored secret — the registry entry first,
//! the secret after, both under the config's lock (so a concurrent `add` of the same name
//! never loses its new secret), and nothing at all when the secret's store is unreachable.
//!
//! A stored secret is often its only copy (GitHub shows a token once), so `remove` asks at
//! a terminal first, as `gh auth logout` does; a script says `--yes`, and without it a
//! `remove` whose stdin is not a terminal is refused rather than taken as consent.

use std::io::{BufRead, IsTerminal, Write};

use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::protocol::escape;
use crate::registry::SecretSource;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The token's name
    pub name: String,
    /// Do not ask: remove at once (for scripts; without it, remove asks at a terminal and refuses elsewhere)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    if !a.yes {
        if let Some(token) = ctx.registry()?.token(&a.name) {
            let name = escape(a.name.as_bytes());
            let what = match token.source {
                SecretSource::Store(kind) => {
                    format!("token '{name}' and its secret in the {} store", kind.name())
                }
                _ => format!("token '{name}'"),
            };
            if !confirm(&what)? {
                return Err("nothing removed (not confirmed)".into());
            }
        }
    }
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

/// Asks on the terminal whether to remove `what`; refuses when there is no terminal to ask.
fn confirm(what: &str) -> Result<bool, Box<dyn std::error::Error>> {
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "refused: no terminal to confirm removing {what}\nhint: to remove it from a script, add --yes"
        )
        .into());
    }
    let mut err = std::io::stderr();
    write!(err, "Remove {what}? GitHub shows a token only once. [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
