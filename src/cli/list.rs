//! `list`: every registered token with its scope, expiry countdown, state and fingerprint.
//! Grouped by host and owner, soonest expiry first within an owner; `--json` keeps the
//! registry's order. Reads only the config and the state file: it never opens the keyring.

use std::io::Write;

use serde::Serialize;

use anstyle::Style;

use super::check::outcome::Standing;
use super::paint;
use super::shared::{expiry_text, in_reading_order, state_label};
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
    /// The names only, one a line (what tab completion offers)
    #[arg(long, hide = true, conflicts_with = "json")]
    pub names: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    if a.names {
        let mut out = std::io::stdout().lock();
        for t in &reg.tokens {
            writeln!(out, "{}", crate::protocol::escape(t.name.as_bytes()))?;
        }
        return Ok(EXIT_OK);
    }
    let state = ctx.state()?;
    let mut out = std::io::stdout().lock();
    if a.json {
        #[derive(Serialize)]
        struct Doc<'a> {
            tokens: Vec<TokenDoc<'a>>,
        }
        let tokens = reg
            .tokens
            .iter()
            .map(|t| token_json(t, &state, ctx.now, &reg.settings))
            .collect();
        serde_json::to_writer(&mut out, &Doc { tokens })?;
        writeln!(out)?;
        return Ok(EXIT_OK);
    }
    if reg.tokens.is_empty() {
        writeln!(out, "no tokens registered in {}\nadd one: git credential-scoped add NAME --owner OWNER --repo REPO --expires-in 90d", crate::messages::shown_path(&ctx.config_path))?;
        return Ok(EXIT_OK);
    }
    drop(out);
    print_table(&mut paint::stdout(), &reg, &state, ctx.now)?;
    Ok(EXIT_OK)
}

/// One group per host and owner (a heading `HOST/OWNER`), its tokens under it soonest
/// expiry first; the columns line up across groups, and the state is in color on a
/// terminal.
fn print_table(
    out: &mut impl Write,
    reg: &crate::registry::Registry,
    state: &State,
    now: i64,
) -> std::io::Result<()> {
    const HEADER: [&str; 6] = [
        "NAME",
        "REPOSITORIES",
        "PERMISSIONS",
        "EXPIRES",
        "STATE",
        "FINGERPRINT",
    ];
    let tokens = in_reading_order(&reg.tokens);
    let rows: Vec<(Style, [String; 6])> = tokens
        .iter()
        .map(|t| {
            let standing = Standing::of(t, state, now, &reg.settings);
            let cells = [
                t.name.clone(),
                t.repos.describe(),
                t.permissions_text(),
                expiry_text(t.expires, now),
                standing.name().to_string(),
                t.fingerprint
                    .clone()
                    .unwrap_or_else(|| format!("({})", t.source.describe())),
            ];
            let style = match &standing {
                Standing::Policy(verdict) => paint::verdict(verdict),
                _ => paint::WARN,
            };
            (style, cells)
        })
        .collect();
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|c| {
            rows.iter()
                .map(|(_, r)| r[c].chars().count())
                .chain([HEADER[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String], state: Option<Style>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = " ".repeat(w.saturating_sub(c.chars().count()));
                match state {
                    Some(style) if i == 4 => format!("{}{pad}", paint::paint(style, c)),
                    _ => format!("{c}{pad}"),
                }
            })
            .collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    writeln!(out, "{}", line(&HEADER.map(String::from), None))?;
    let mut group = None;
    for (t, (style, cells)) in tokens.iter().zip(&rows) {
        let this = (t.host.to_ascii_lowercase(), t.owner.to_ascii_lowercase());
        if group.as_ref() != Some(&this) {
            writeln!(
                out,
                "{}",
                paint::paint(paint::BOLD, &format!("{}/{}", t.host, t.owner))
            )?;
            group = Some(this);
        }
        writeln!(out, "{}", line(cells, Some(*style)))?;
    }
    for t in &tokens {
        if let Some(note) = crate::messages::pending_line(t, &state.learned) {
            writeln!(out, "note: {note}")?;
        }
    }
    Ok(())
}

/// The documented JSON shape of one token (also used by `show --json`); fields in order.
#[derive(Serialize)]
pub struct TokenDoc<'a> {
    name: &'a str,
    host: &'a str,
    owner: &'a str,
    repositories: Repositories<'a>,
    permissions: Vec<Permission<'a>>,
    expires: Option<String>,
    days_left: Option<i64>,
    state: &'static str,
    username: Option<&'a str>,
    secret_source: String,
    default: bool,
    fingerprint: Option<&'a str>,
    last_used: Option<String>,
    rejected: Option<Rejected<'a>>,
}

/// `"all"` or a list of names.
#[derive(Serialize)]
#[serde(untagged)]
enum Repositories<'a> {
    All(&'static str),
    List(&'a [String]),
}

#[derive(Serialize)]
struct Permission<'a> {
    name: &'a str,
    access: &'static str,
}

#[derive(Serialize)]
struct Rejected<'a> {
    at: String,
    repository: Option<&'a str>,
}

pub fn token_json<'a>(
    t: &'a Token,
    state: &'a State,
    now: i64,
    settings: &Settings,
) -> TokenDoc<'a> {
    let repositories = match &t.repos {
        Repos::All => Repositories::All("all"),
        Repos::List(l) => Repositories::List(l),
    };
    let mut permissions = vec![Permission {
        name: "contents",
        access: t.contents.name(),
    }];
    permissions.extend(t.other_permissions.iter().map(|(k, v)| Permission {
        name: k,
        access: v.name(),
    }));
    let (expires, days_left) = match t.expires {
        Expiry::Never => (Some("never".to_string()), None),
        Expiry::Unknown => (None, None),
        Expiry::At(at) => (
            Some(time::format_datetime(at)),
            Some(time::days_left(at, now)),
        ),
    };
    let st = state.get(&t.name);
    TokenDoc {
        name: &t.name,
        host: &t.host,
        owner: &t.owner,
        repositories,
        permissions,
        expires,
        days_left,
        state: state_label(t, state, now, settings),
        username: t.username.as_deref(),
        secret_source: t.source.describe(),
        default: t.default,
        fingerprint: t.fingerprint.as_deref(),
        last_used: st.and_then(|s| s.last_used).map(time::format_datetime),
        rejected: st.and_then(|s| s.rejected.as_ref()).map(|r| Rejected {
            at: time::format_datetime(r.at),
            repository: r.repo.as_deref(),
        }),
    }
}
