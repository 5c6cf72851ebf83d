//! `unreject NAME`: clear the mark left when the server rejected a token (git's `erase`
//! after an HTTP 401), so `get` sends it again.

use std::io::Write;

use super::shared::require;
use super::{CliResult, EXIT_OK};
use crate::context::Context;
use crate::registry::state;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The token's name
    pub name: String,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
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
