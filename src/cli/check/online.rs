//! `check --online`: asks the host about the token `get` would send for a repository
//! (SPEC §7, [`crate::github`]), records what it learns — the server's expiry in the config,
//! a 401 as a rejected mark in the state file, any other answer about the token clearing
//! that mark, an owner's lifetime limit and an approval seen pending in the learned facts —
//! and turns the answer into the verdict; [`super::reasons`] words each reason.

use std::collections::HashMap;

use crate::change;
use crate::context::Context;
use crate::github::{Client, Probe, Problem, Refused, RepoAccess, ServerExpiry};
use crate::registry::learned::{self, Limit};
use crate::registry::state::{self, Rejection, State};
use crate::registry::{Expiry, Registry, Repos, Token};

use super::outcome::{expiry_words, Online, Outcome, TokenVerdict, Verdict};
pub use super::reasons::problem_lines;

/// The answers already had, by token name and lowercased repository.
#[derive(Default)]
pub struct Probes {
    pub done: HashMap<(String, String), Online>,
}

/// Asks the host and records the answer in the config and the state file.
pub fn ask(ctx: &Context, reg: &mut Registry, state: &State, token: &Token, repo: &str) -> Online {
    let mut online = Online {
        token: token.name.clone(),
        ..Online::default()
    };
    // The API base is known before anything is asked (and shown even when it cannot be reached).
    if let Some(decl) = reg.github_host(&token.host) {
        online.api = crate::github::api_base(&decl);
    }
    let result = probe(ctx, reg, token, repo).and_then(|(api, probe)| {
        online.api = api;
        online.expiry_recorded = record_expiry(ctx, reg, token, &probe)?;
        record_rejection(ctx, state, token, repo, &probe, &mut online)?;
        record_learned(ctx, token, repo, &probe)?;
        online.probe = Some(probe);
        Ok(())
    });
    if let Err(e) = result {
        online.error = Some(e.to_string());
    }
    online
}

fn probe(
    ctx: &Context,
    reg: &Registry,
    token: &Token,
    repo: &str,
) -> Result<(String, Probe), Box<dyn std::error::Error>> {
    let decl = reg
        .github_host(&token.host)
        .ok_or_else(|| format!("{} is no longer a GitHub host in the config", token.host))?;
    let client = Client::new(&decl)?;
    let api = client.api.clone();
    let secret = ctx.stores.token_secret(token)?;
    let Some((owner, name)) = repo.split_once('/') else {
        return Ok((api, client.probe_token(&token.name, &secret)?));
    };
    let username = token.username.as_deref().unwrap_or("x-access-token");
    let probe = client.probe_repo(&token.name, username, &secret, owner, name, selected(token))?;
    Ok((api, probe))
}

/// The token's selected repositories (none for a token of all of them).
pub fn selected(token: &Token) -> &[String] {
    match &token.repos {
        Repos::List(list) => list,
        Repos::All => &[],
    }
}

/// Keeps what the answer taught about the token's owner and approval (issue 23).
pub fn record_learned(
    ctx: &Context,
    token: &Token,
    repo: &str,
    probe: &Probe,
) -> Result<(), Box<dyn std::error::Error>> {
    let now = ctx.now;
    let was_pending = ctx.state()?.learned.pending(&token.name).is_some();
    match probe.problem() {
        Some(Problem::Refused(Refused::Lifetime {
            owner, kind, days, ..
        })) => learned::update(&ctx.data_dir, |l| {
            l.set_limit(Limit {
                host: token.host.clone(),
                owner: token.owner.clone(),
                days,
                kind: kind.word().into(),
                by: owner,
                seen: now,
            });
            let fp = token.fingerprint.as_deref();
            l.set_exceeds(&token.name, fp, &token.host, &token.owner, now);
        })?,
        Some(Problem::ApprovalPending) => learned::update(&ctx.data_dir, |l| {
            l.set_pending(&token.name, Some(repo), now)
        })?,
        _ if was_pending
            && matches!(probe.repo, RepoAccess::Visible | RepoAccess::Renamed { .. }) =>
        {
            learned::update(&ctx.data_dir, |l| l.set_pending(&token.name, None, now))?
        }
        _ => {}
    }
    Ok(())
}

/// Writes the server's expiry into the config (and the loaded registry) when it differs
/// from the recorded one; `true` when it did.
fn record_expiry(
    ctx: &Context,
    reg: &mut Registry,
    token: &Token,
    probe: &Probe,
) -> Result<bool, Box<dyn std::error::Error>> {
    let new_expiry = match probe.expiry {
        Some(ServerExpiry::At(at)) => Some(Expiry::At(at)),
        Some(ServerExpiry::Never) => Some(Expiry::Never),
        _ => None,
    };
    let Some(e) = new_expiry.filter(|e| *e != token.expires) else {
        return Ok(false);
    };
    // Under the lock, against the registry as it is now: a token removed or rotated during
    // the network call is left alone.
    if !change::record_expiry(ctx, token, e)? {
        return Ok(false);
    }
    if let Some(t) = reg.tokens.iter_mut().find(|t| t.name == token.name) {
        t.expires = e;
    }
    Ok(true)
}

/// Marks a token the server rejected (unless it is expired anyway), and clears the mark
/// of one it accepted again.
fn record_rejection(
    ctx: &Context,
    state: &State,
    token: &Token,
    repo: &str,
    probe: &Probe,
    online: &mut Online,
) -> Result<(), Box<dyn std::error::Error>> {
    // A rate limit or a redirect elsewhere says nothing about the token.
    let silent = matches!(
        probe.repo,
        RepoAccess::RedirectedAway | RepoAccess::Refused(Refused::RateLimited { .. })
    );
    if silent {
        return Ok(());
    }
    let was_rejected = state.rejection(&token.name).is_some();
    let expired = matches!(token.expires, Expiry::At(at) if at <= ctx.now);
    if !probe.alive() && !was_rejected && !expired {
        let rejection = Rejection {
            at: ctx.now,
            repo: Some(repo.to_string()),
        };
        state::update(&ctx.data_dir, |s| {
            s.entry(&token.name).rejected = Some(rejection)
        })?;
        online.rejected_marked = true;
    } else if probe.alive() && was_rejected {
        state::update(&ctx.data_dir, |s| s.entry(&token.name).rejected = None)?;
        online.rejected_cleared = true;
    }
    Ok(())
}

impl Online {
    /// Turns what the server said into the verdict: a token that would be sent but cannot
    /// see or read the repository does not pass.
    pub fn amend(&self, o: &mut Outcome, token: &Token, now: i64) {
        if let Some(e) = &self.error {
            o.verdict = Verdict::Unverified;
            o.serves = false;
            o.messages.extend(e.lines().map(str::to_string));
            return;
        }
        let Some(p) = &self.probe else { return };
        if self.expiry_recorded {
            o.messages.push(format!(
                "recorded from the server: token '{}' {}",
                token.name,
                expiry_words(token.expires, now)
            ));
        }
        if let Some(ServerExpiry::Unreadable) = &p.expiry {
            o.messages.push("note: the server's expiration header could not be read; the config keeps its expiry".into());
        }
        if let Some(Problem::Refused(Refused::Lifetime {
            settings: Some(page),
            ..
        })) = p.problem()
        {
            let page = crate::protocol::escape(page.as_bytes());
            o.messages.push(format!(
                "note: GitHub names the token's settings page: {page}"
            ));
        }
        if o.serves {
            judge(o, p, token);
        }
    }
}

/// Refuses a token that would be sent but that the server says cannot see or read the
/// repository, or about which nothing could be verified.
fn judge(o: &mut Outcome, p: &Probe, token: &Token) {
    let repo = o.repository.clone().unwrap_or_default();
    let Some(problem) = p.problem() else {
        return;
    };
    o.messages
        .extend(problem_lines(token, &repo, &problem, &p.api, true));
    if let Some(v) = verdict_for(&problem) {
        o.verdict = v;
        o.serves = false;
    }
}

/// The verdict for what the server said; `None` where the policy decides (a 401 marks the
/// token rejected) or nothing is wrong with the token (git itself can read the repository).
pub fn verdict_for(problem: &Problem) -> Option<Verdict> {
    Some(match problem {
        Problem::NotFound { git_can_read: true } | Problem::Rejected => return None,
        Problem::NotFound {
            git_can_read: false,
        } => Verdict::NotFound,
        Problem::ApprovalPending => Verdict::ApprovalPending,
        Problem::Refused(Refused::Lifetime { .. }) => Verdict::Token(TokenVerdict::OverLifetime),
        Problem::Refused(Refused::ClassicBanned { .. } | Refused::IpAllowList { .. }) => {
            Verdict::Forbidden
        }
        Problem::Refused(Refused::RateLimited { .. } | Refused::Other { .. })
        | Problem::RedirectedAway
        | Problem::Unexpected(_) => Verdict::Unverified,
        Problem::Renamed { .. } => Verdict::Renamed,
        Problem::NoContents { .. } => Verdict::Token(TokenVerdict::NoContents),
    })
}
