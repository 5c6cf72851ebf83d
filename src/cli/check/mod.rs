//! `check [--online] [--write] [--json] URL...`: preflight for installer scripts and people.
//! For each remote URL, the token `get` would send and whether it would be sent, decided by
//! the very same [`resolve`](crate::resolve::resolve) call `get` makes (with `need_write`
//! for `--write`), so the two can never disagree. Offline it reads only the config, the
//! state file and the generic index: the keyring stays closed. `--online` takes the chosen
//! token's secret and asks the host (SPEC §7, [`crate::github`]): the expiry it reports goes
//! into the config, a 401 marks the token rejected, any other answer clears such a mark, and
//! the decision is made again.
//!
//! Also home to `--verify` of `add` and `rotate`, which asks the same questions before a new
//! secret is saved.
//!
//! This file holds the arguments and the per-URL loop; [`target`] splits each URL,
//! [`decide`](mod@decide) describes the offline decision, [`online`] asks the host,
//! [`report`] prints the outcome for people or as JSON, and [`verify`] serves `--verify`.

mod all;
mod decide;
mod online;
mod outcome;
mod reasons;
mod report;
mod target;
mod verify;

pub use verify::{verify_edit, verify_found_token, verify_new_token, VerifyArgs};

use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::registry::credentials;
use crate::registry::Registry;
use decide::decide;
use online::{ask, Probes};
use outcome::{Outcome, Verdict};
pub use target::{parse_target, Target};

/// The `--json` shapes, shown by `check --help`; keep them in step with [`Outcome::json`]
/// and [`all`]'s report.
pub const JSON_HELP: &str = "\
Exit codes: 0 every URL would be served, 1 at least one would not, 2 usage or environment error.

--json prints one object (a stable shape; fields may be added, never renamed):
  {\"ok\": true|false,                      true when every URL would be served
   \"results\": [{
     \"url\": \"https://github.com/alta3/labs\",  as given, without any password
     \"host\": \"github.com\",
     \"repository\": \"alta3/labs\" | null,
     \"token\": \"alta3\" | null,            the token get would choose
     \"verdict\": \"ok\" | \"expiring\" | \"expired\" | \"no-contents\" | \"no-write\" | \"rejected\"
              | \"over-lifetime\" | \"not-found\" | \"approval-pending\" | \"forbidden\"
              | \"renamed\" | \"unverified\" | \"unavailable\" | \"uncovered\" | \"not-github\"
              | \"insecure-protocol\" | \"no-path\",
     \"serves\": true|false,                 whether get would answer (a token, or a credential
                                           from the generic store)
     \"expires\": \"2027-02-19T13:58:00Z\" | \"never\" | null,
     \"days_left\": 90 | null,
     \"messages\": [\"...\"],                 what is wrong and the command that fixes it
     \"online\": null | {                   with --online, when a token was chosen
       \"token\": \"alta3\", \"api\": \"https://api.github.com\",
       \"repository\": \"visible\" | \"renamed\" | \"not-found\" | \"approval-pending\"
                     | \"rejected\" | \"refused\" | \"redirected-away\" | \"unexpected\",
       \"status\": 200 | null,              HTTP status of an unexpected answer
       \"git_read\": 200 | null,            git's read probe, asked after a 404
       \"contents\": \"readable\" | \"empty\" | \"missing\" | \"refused\" | \"unexpected\" | null,
       \"expires\": \"2026-12-31T12:00:00Z\" | \"never\" | null,   as the server reports it
       \"expiry_recorded\": true|false,     the config was updated with it
       \"rejected_marked\": true|false, \"rejected_cleared\": true|false,
       \"error\": \"...\" | null}}]}

check --all looks at every registered token instead, offline (the config and the state file
only: no secret store is opened); with --online it also asks the server about each token
(its first repository) with its secret. Exit codes: 0 every token is fine, 1 at least one is
expired, expiring within --within DAYS, rejected, over its owner's lifetime limit, without
contents permission, of unknown expiry, or refused by the server (--online), 2 usage or
environment error. With --json:
  {\"ok\": true|false,                      true when every token is fine
   \"within_days\": 7,                     the window that counts as expiring
   \"tokens\": [{                          by host, owner, then soonest expiry
     \"name\": \"alta3\", \"host\": \"github.com\", \"owner\": \"alta3\",
     \"repositories\": [\"labs\", \"demo\"] | \"all\",
     \"state\": \"ok\" | \"expiring\" | \"expired\" | \"rejected\" | \"no-contents\"
              | \"over-lifetime\" | \"unknown-expiry\" | (--online) \"not-found\"
              | \"approval-pending\" | \"forbidden\" | \"renamed\" | \"unverified\",
     \"expires\": \"2027-02-19T13:58:00Z\" | \"never\" | null,
     \"days_left\": 90 | null,
     \"messages\": [\"...\"]}]}             what is wrong and the command that fixes it";

#[derive(clap::Args, Debug)]
#[command(after_long_help = JSON_HELP)]
pub struct Args {
    /// Remote URLs, like https://github.com/alta3/labs.git
    #[arg(required_unless_present = "all", value_name = "URL")]
    pub urls: Vec<String>,
    /// Every registered token instead of URLs, offline unless --online: exit 1 when any is expired, expiring within --within days, rejected, without contents, of unknown expiry, or (with --online) refused by the server for any reason (for cron, systemd timers, CI schedules)
    #[arg(long, conflicts_with_all = ["urls", "write"])]
    pub all: bool,
    /// With --all: count a token as expiring this many days ahead [default: the config's warn_days, 7 unless set]
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u16).range(0..=3660))]
    pub within: Option<u16>,
    /// Also ask the host: repository visible to the token, contents readable, expiry (recorded in the config), GitHub's reasons to refuse it; a 401 marks the token rejected
    #[arg(long)]
    pub online: bool,
    /// Require push access (contents=write)
    #[arg(long)]
    pub write: bool,
    /// Print JSON (shape in --help)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    if a.all {
        return all::run(ctx, a.within, a.json, a.online);
    }
    if a.within.is_some() {
        return Err("--within goes with --all (for URLs, the config's warn_days decides)".into());
    }
    let targets = a
        .urls
        .iter()
        .map(|u| parse_target(u).map(Target::sent_by_git))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reg = ctx.registry()?;
    let mut probes = Probes::default();
    let mut outcomes = Vec::new();
    for t in &targets {
        outcomes.push(check_one(ctx, &mut reg, &mut probes, t, &a)?);
    }
    let ok = outcomes.iter().all(|o| o.serves);
    let mut out = crate::cli::paint::stdout();
    report::write(
        &mut out,
        &mut crate::cli::paint::stderr(),
        &outcomes,
        ok,
        a.json,
        ctx.now,
    )?;
    Ok(if ok { EXIT_OK } else { EXIT_PROBLEMS })
}

/// Decides one URL; with `--online`, asks the host about the chosen token, records what it
/// says, and decides again until the chosen token is one already asked about. A token that
/// would be sent is then checked for what `get` needs: that its secret can be had.
fn check_one(
    ctx: &Context,
    reg: &mut Registry,
    probes: &mut Probes,
    t: &Target,
    a: &Args,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let index = credentials::load(&ctx.data_dir)?;
    let mut o = decide(t, reg, &ctx.state()?, &index, ctx.now, a.write);
    for _ in 0..=reg.tokens.len() {
        let (Some(token), Some(repo), true) = (o.token.clone(), o.repository.clone(), a.online)
        else {
            break;
        };
        let key = (token.name.clone(), repo.to_ascii_lowercase());
        if let Some(online) = probes.done.get(&key) {
            online.amend(&mut o, &token, ctx.now);
            o.online = Some(online.clone());
            break;
        }
        let state = ctx.state()?;
        let online = ask(ctx, reg, &state, &token, &repo);
        probes.done.insert(key, online);
        o = decide(t, reg, &ctx.state()?, &index, ctx.now, a.write);
    }
    let pending = o
        .token
        .as_ref()
        .and_then(|t| crate::messages::pending_line(t, &ctx.state().ok()?.learned));
    match pending {
        Some(note)
            if o.verdict != Verdict::ApprovalPending
                && !o.messages.iter().any(|m| m.contains(&note)) =>
        {
            o.messages.push(format!("note: {note}"))
        }
        _ => {}
    }
    if let (true, Some(token)) = (o.serves, &o.token) {
        if let Err(e) = ctx.stores.availability(token) {
            o.verdict = Verdict::Unavailable;
            o.serves = false;
            o.messages.push(format!("get would fail: {e}"));
        }
    }
    Ok(o)
}
