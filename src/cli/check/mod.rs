//! `check [--online] [--write] [--json] URL...`: preflight for installer scripts and people.
//! For each remote URL, the token `get` would send and whether it would be sent, decided by
//! the very same [`resolve`](crate::resolve::resolve) call `get` makes (with `need_write`
//! for `--write`), so the two can never disagree. Offline it reads only the config, the
//! state file, the generic index, git's configuration (does git ask this helper?) and a
//! token's environment variable: no secret store is opened, no secret command run. `--online` takes the chosen
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
mod asked;
mod decide;
mod online;
pub(crate) mod outcome;
mod reasons;
mod report;
mod target;
mod verify;

pub use asked::config_flag;
pub use verify::{verify_edit, verify_found_token, verify_new_token, VerifyArgs};

use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::registry::credentials;
use crate::registry::Registry;
use asked::GitAsks;
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
              | \"insecure-protocol\" | \"no-path\" | \"not-asked\",
                                           not-asked: git's configuration does not ask this
                                           helper for the host (or passes another registry)
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
    /// Remote URLs, like https://github.com/alta3/labs.git, or OWNER/REPO on github.com
    #[arg(required_unless_present = "all", value_name = "URL|OWNER/REPO")]
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
        .map(|u| parse_target(&as_url(u)).map(Target::sent_by_git))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reg = ctx.registry()?;
    let mut probes = Probes::default();
    let asks = GitAsks::load();
    let mut outcomes = Vec::new();
    for t in &targets {
        let mut o = check_one(ctx, &mut reg, &mut probes, t, &a)?;
        if o.verdict == Verdict::NotGitHub && !o.serves {
            o.messages.extend(crate::messages::declare_host_hint(
                &t.host,
                &ctx.config_path,
            ));
        }
        not_asked(&asks, ctx, t, &mut o);
        outcomes.push(o);
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

/// A URL as given; `OWNER/REPO` as its github.com URL (the way every command names a
/// repository, [`crate::cli::shared::parse_repo`]). An SSH remote stays as it is, for
/// [`parse_target`]'s explanation.
fn as_url(arg: &str) -> String {
    match crate::cli::shared::parse_repo(arg) {
        Ok(r) if !arg.contains(':') => match r.owner {
            Some(owner) => format!("https://{}/{owner}/{}", crate::registry::GITHUB, r.repo),
            None => arg.to_string(),
        },
        _ => arg.to_string(),
    }
}

/// Where git would not ask this helper (or would ask it with another registry), git gets
/// nothing from it whatever the registry says: the outcome says so and what sets git up.
fn not_asked(asks: &GitAsks, ctx: &Context, t: &Target, o: &mut Outcome) {
    if o.verdict == Verdict::InsecureProtocol {
        return;
    }
    if let Some(line) = asks.why_not(&ctx.config_path, &t.protocol, &t.host) {
        // setup also turns useHttpPath on: one fix, not two.
        let no_path = crate::messages::no_path_line(Some(&t.protocol), &t.host);
        o.messages.retain(|m| *m != no_path);
        o.messages.insert(0, line);
        o.verdict = Verdict::NotAsked;
        o.serves = false;
    }
}

/// Decides one URL; with `--online`, asks the host about the chosen token, records what it
/// says, and decides again until the chosen token is one already asked about. A token that
/// would be sent from an environment variable is then checked for that variable.
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
    // No secret store is opened offline (a keyring may ask to be unlocked, a secret
    // command may be slow or ask for a passphrase): only an environment variable, which
    // is no store, is looked at.
    if let (true, Some(token)) = (o.serves, &o.token) {
        let env_secret = matches!(token.source, crate::registry::SecretSource::Env(_));
        if let Some(e) = env_secret
            .then(|| ctx.stores.availability(token).err())
            .flatten()
        {
            o.verdict = Verdict::Unavailable;
            o.serves = false;
            o.messages.push(format!("get would fail: {e}"));
        }
    }
    Ok(o)
}
