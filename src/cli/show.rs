//! `show NAME`: one token in detail, with its usage state and the renewal link.

use std::io::Write;

use super::list::token_json;
use super::shared::{state_label, summary};
use super::{CliResult, EXIT_OK};
use crate::context::Context;
use crate::messages::{renewal_link, shown};
use crate::time;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The token's name
    pub name: String,
    /// Print JSON (the same object as one entry of `list --json`)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let state = ctx.state()?;
    let Some(t) = reg.token(&a.name) else {
        return Err(format!(
            "no token named '{}'\nhint: `git credential-scoped list` shows the names",
            shown(&a.name)
        )
        .into());
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        crate::messages::write_json(&mut out, &token_json(t, &state, ctx.now, &reg.settings))?;
        writeln!(out)?;
        return Ok(EXIT_OK);
    }
    writeln!(
        out,
        "token '{}': {}",
        shown(&t.name),
        state_label(t, &state, ctx.now, &reg.settings)
    )?;
    for line in summary(t, ctx.now, false) {
        writeln!(out, "  {}", shown(&line))?;
    }
    if let Some(u) = &t.username {
        writeln!(out, "  username:     {}", shown(u))?;
    }
    let st = state.get(&t.name);
    match st.and_then(|s| s.last_used) {
        Some(at) => writeln!(out, "  last used:    {}", time::format_datetime(at))?,
        None => writeln!(out, "  last used:    never recorded")?,
    }
    if let Some(r) = st.and_then(|s| s.rejected.as_ref()) {
        let on = r
            .repo
            .as_deref()
            .map(|r| format!(" for {}", shown(r)))
            .unwrap_or_default();
        writeln!(out, "  rejected:     by the server{on} at {}; clear with: git credential-scoped unreject {}", time::format_datetime(r.at), t.name)?;
    }
    writeln!(out, "  renew at:     {}", renewal_link(t))?;
    Ok(EXIT_OK)
}
