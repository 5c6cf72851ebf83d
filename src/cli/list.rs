//! `list`: every registered token with its scope, expiry countdown, state and fingerprint.
//! Reads only the config and the state file: it never opens the keyring.

use std::io::Write;

use super::json::Json;
use super::shared::{expiry_text, state_label};
use super::{CliResult, EXIT_OK};
use crate::context::Context;
use crate::registry::state::State;
use crate::registry::{Expiry, Repos, Settings, Token};
use crate::time;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON: {"tokens":[{name, host, owner, repositories, permissions, expires, state, fingerprint, ...}]}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let state = ctx.state()?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let tokens = reg
            .tokens
            .iter()
            .map(|t| token_json(t, &state, ctx.now, &reg.settings))
            .collect();
        writeln!(
            out,
            "{}",
            Json::Obj(vec![("tokens", Json::Arr(tokens))]).render()
        )?;
        return Ok(EXIT_OK);
    }
    if reg.tokens.is_empty() {
        writeln!(out, "no tokens registered in {}\nadd one: git credential-scoped add NAME --owner OWNER --repo REPO --expires-in 90d", ctx.config_path.display())?;
        return Ok(EXIT_OK);
    }
    let header = [
        "NAME",
        "HOST",
        "OWNER",
        "REPOSITORIES",
        "PERMISSIONS",
        "EXPIRES",
        "STATE",
        "FINGERPRINT",
    ]
    .map(String::from);
    let mut rows = vec![header.to_vec()];
    for t in &reg.tokens {
        rows.push(vec![
            t.name.clone(),
            t.host.clone(),
            t.owner.clone(),
            t.repos.describe(),
            t.permissions_text(),
            expiry_text(t.expires, ctx.now),
            state_label(t, &state, ctx.now, &reg.settings).to_string(),
            t.fingerprint
                .clone()
                .unwrap_or_else(|| format!("({})", t.source.describe())),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(EXIT_OK)
}

/// The documented JSON shape of one token (also used by `show --json`).
pub fn token_json(t: &Token, state: &State, now: i64, settings: &Settings) -> Json {
    let repos = match &t.repos {
        Repos::All => Json::str("all"),
        Repos::List(l) => Json::Arr(l.iter().map(|r| Json::str(r.as_str())).collect()),
    };
    let mut perms = vec![Json::Obj(vec![
        ("name", Json::str("contents")),
        ("access", Json::str(t.contents.name())),
    ])];
    for (k, v) in &t.other_permissions {
        perms.push(Json::Obj(vec![
            ("name", Json::str(k.as_str())),
            ("access", Json::str(v.name())),
        ]));
    }
    let (expires, days_left) = match t.expires {
        Expiry::Never => (Json::str("never"), Json::Null),
        Expiry::Unknown => (Json::Null, Json::Null),
        Expiry::At(at) => (
            Json::str(time::format_datetime(at)),
            Json::Num((at - now).div_euclid(time::DAY)),
        ),
    };
    let st = state.get(&t.name);
    let rejected = st
        .and_then(|s| s.rejected.as_ref())
        .map_or(Json::Null, |r| {
            Json::Obj(vec![
                ("at", Json::str(time::format_datetime(r.at))),
                ("repository", Json::opt_str(r.repo.clone())),
            ])
        });
    Json::Obj(vec![
        ("name", Json::str(t.name.as_str())),
        ("host", Json::str(t.host.as_str())),
        ("owner", Json::str(t.owner.as_str())),
        ("repositories", repos),
        ("permissions", Json::Arr(perms)),
        ("expires", expires),
        ("days_left", days_left),
        ("state", Json::str(state_label(t, state, now, settings))),
        ("username", Json::opt_str(t.username.clone())),
        ("secret_source", Json::str(t.source.describe())),
        ("default", Json::Bool(t.default)),
        ("fingerprint", Json::opt_str(t.fingerprint.clone())),
        (
            "last_used",
            Json::opt_str(st.and_then(|s| s.last_used).map(time::format_datetime)),
        ),
        ("rejected", rejected),
    ])
}
