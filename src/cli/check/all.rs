//! `check --all [--within DAYS] [--json]`: every registered token judged by the policy `get`
//! uses, offline, for the jobs that watch a machine which must keep pulling long after the
//! token it was installed with was made — a cron line, a systemd timer, a CI schedule. Exit
//! 1 when any token is expired, expiring within DAYS (default `warn_days`), rejected,
//! without contents permission, or of unknown expiry (nothing would warn before it stops
//! working). Reads the config and the state file only: no secret store is opened — unless
//! `--online`, which asks the server about each token (its first repository, or only
//! whether it is alive for a token of all repositories) as `check --online` does, records
//! what it learns, and counts any of GitHub's refusals as a problem (issue 23).

use super::online::{ask, problem_lines, verdict_for};
use super::outcome::{Standing, TokenReport};
use super::report;
use crate::cli::shared::in_reading_order;
use crate::cli::{paint, CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::messages::verdict_lines;

use crate::registry::state::State;
use crate::registry::{Registry, Repos, Settings, Token};

pub fn run(ctx: &Context, within: Option<u16>, json: bool, online: bool) -> CliResult {
    let mut reg = ctx.registry()?;
    let asked = match online {
        true => ask_all(ctx, &mut reg)?,
        false => Vec::new(),
    };
    let state = ctx.state()?;
    let within = within.map_or(reg.settings.warn_days, i64::from);
    let mut reports = judge_all(&reg, &state, ctx.now, within, &ctx.config_path);
    for r in &mut reports {
        if let Some((_, word, lines)) = asked.iter().find(|(n, ..)| *n == r.token.name) {
            if r.standing.fine() || matches!(r.standing, Standing::UnknownExpiry) {
                r.standing = Standing::Server(word);
                r.messages = lines.clone();
            }
        }
    }
    let ok = reports.iter().all(|r| r.standing.fine());
    let mut out = paint::stdout();
    let mut err = paint::stderr();
    if json {
        report::write_all_json(&mut out, &reports, ok, within, ctx.now)?;
    } else if reports.is_empty() {
        std::io::Write::write_fmt(
            &mut out,
            format_args!(
                "no tokens registered in {}\n",
                crate::messages::shown_path(&ctx.config_path)
            ),
        )?;
    } else {
        report::write_all(&mut out, &mut err, &reports, ctx.now)?;
    }
    Ok(if ok { EXIT_OK } else { EXIT_PROBLEMS })
}

/// A token the server refused: its name, the verdict's word, the lines saying why.
type ServerSaid = (String, &'static str, Vec<String>);

/// `--online`: asks the server about every token and records what it says; returns, for
/// each token the server refused for a reason the policy does not already show, the word
/// and the lines saying why.
fn ask_all(
    ctx: &Context,
    reg: &mut Registry,
) -> Result<Vec<ServerSaid>, Box<dyn std::error::Error>> {
    let mut found = Vec::new();
    for token in reg.tokens.clone() {
        let repo = match &token.repos {
            Repos::List(list) if !list.is_empty() => format!("{}/{}", token.owner, list[0]),
            _ => token.owner.clone(),
        };
        let online = ask(ctx, reg, &ctx.state()?, &token, &repo);
        if let Some(e) = &online.error {
            found.push((
                token.name.clone(),
                "unverified",
                e.lines().map(str::to_string).collect(),
            ));
            continue;
        }
        let Some(probe) = &online.probe else { continue };
        let Some(problem) = probe.problem() else {
            continue;
        };
        let lines = problem_lines(&token, &repo, &problem, &probe.api, true);
        if let Some(v) = verdict_for(&problem) {
            found.push((token.name.clone(), v.name(), lines));
        }
    }
    Ok(found)
}

/// Every token, in the order `list` shows them, with its standing and what to do about it.
/// Pure: the registry, state and clock are arguments.
pub fn judge_all<'a>(
    reg: &'a Registry,
    state: &State,
    now: i64,
    within_days: i64,
    config: &std::path::Path,
) -> Vec<TokenReport<'a>> {
    let settings = Settings {
        warn_days: within_days,
        ..reg.settings.clone()
    };
    in_reading_order(&reg.tokens)
        .into_iter()
        .map(|t| {
            let standing = Standing::of(t, state, now, &settings);
            let messages = match &standing {
                Standing::Policy(v) => verdict_lines(t, None, v, now),
                Standing::UnknownExpiry => unknown_expiry_lines(t, config),
                Standing::Server(_) => Vec::new(),
            };
            TokenReport {
                token: t,
                standing,
                messages,
            }
        })
        .collect()
}

fn unknown_expiry_lines(t: &Token, config: &std::path::Path) -> Vec<String> {
    let repo = match &t.repos {
        Repos::List(list) => list.first().map_or("REPO", String::as_str),
        Repos::All => "REPO",
    };
    vec![
        format!(
            "token '{}' has no recorded expiry, so nothing warns before it stops working",
            t.name
        ),
        format!(
            "hint: to record the expiry GitHub reports, run: git credential-scoped check --online https://{}/{}/{repo} (or set `expires` for it in {})",
            t.host,
            t.owner,
            crate::messages::shown_path(config)
        ),
    ]
}
