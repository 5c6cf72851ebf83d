//! `check --online`: asks the host about the token `get` would send for a repository
//! (SPEC §7, [`crate::github`]), records what it learns — the server's expiry in the config,
//! a 401 as a rejected mark in the state file, any other answer clearing that mark — and
//! turns the answer into the verdict, with every reason a 404 can have spelled out.

use std::collections::HashMap;

use crate::change;
use crate::context::Context;
use crate::github::{Client, Probe, Problem, ServerExpiry};
use crate::messages::renewal_link;
use crate::registry::state::{self, Rejection, State};
use crate::registry::{Expiry, Registry, Token};

use super::outcome::{expiry_words, Online, Outcome, TokenVerdict, Verdict};

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
        record(ctx, reg, state, token, repo, &probe, &mut online)?;
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
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let username = token.username.as_deref().unwrap_or("x-access-token");
    let probe = client.probe_repo(&token.name, username, &secret, owner, name)?;
    Ok((api, probe))
}

fn record(
    ctx: &Context,
    reg: &mut Registry,
    state: &State,
    token: &Token,
    repo: &str,
    probe: &Probe,
    online: &mut Online,
) -> Result<(), Box<dyn std::error::Error>> {
    online.expiry_recorded = record_expiry(ctx, reg, token, probe)?;
    record_rejection(ctx, state, token, repo, probe, online)
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

/// The page where a user reviews their fine-grained tokens.
fn tokens_page(host: &str) -> String {
    format!("https://{host}/settings/personal-access-tokens")
}

/// The lines explaining a 404 for `repo` (SPEC §7: say all the reasons).
fn not_found_lines(
    token: &Token,
    repo: &str,
    git_can_read: bool,
    api: &str,
    then: &str,
) -> Vec<String> {
    let owner = repo.split('/').next().unwrap_or(repo);
    let mut lines = vec![format!(
        "the server cannot show {repo} to token '{}' (404): {} is not among the token's selected repositories, or the token belongs to another owner than {owner}, or an owner of {owner} has not approved the token yet, or there is no such repository",
        token.name,
        repo.split('/').nth(1).unwrap_or(repo),
    )];
    if git_can_read {
        lines.push(format!("note: git itself can read {repo} with this token, so the API at {api} may be the wrong one; check `api` of this host in the config"));
    }
    lines.push(format!(
        "hint: review the token's repository access at {} (organization owners approve tokens under the organization's Settings, Personal access tokens, Pending requests); or create a new token at {} then run: {then}",
        tokens_page(&token.host), renewal_link(token)
    ));
    lines
}

fn no_contents_lines(token: &Token, repo: &str, accepted: &str, then: &str) -> Vec<String> {
    vec![
        format!("the server says token '{}' may not read the contents of {repo} (403; it needs {accepted}), so git can neither clone nor fetch", token.name),
        format!("hint: create a token with contents=read at {} then run: {then}", renewal_link(token)),
    ]
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
        if let Some(ServerExpiry::Unreadable(v)) = &p.expiry {
            o.messages.push(format!("note: the server's expiration header '{v}' could not be read; the config keeps its expiry"));
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
    let verdict = match problem {
        Problem::NotFound { git_can_read: true } | Problem::Rejected => return,
        Problem::NotFound {
            git_can_read: false,
        } => Verdict::NotFound,
        Problem::Unexpected(_) => Verdict::Unverified,
        Problem::NoContents { .. } => Verdict::Token(TokenVerdict::NoContents),
    };
    o.verdict = verdict;
    o.serves = false;
}

/// What to run after creating a replacement token: `rotate` for a registered token (with
/// `--verify`, which records what the server says the new one may do), or `add` again for
/// one being registered (nothing was saved).
fn then_run(token: &Token, registered: bool) -> String {
    if registered {
        format!("{} --verify", crate::messages::rotate_command(token))
    } else {
        "the same `git credential-scoped add` again".to_string()
    }
}

/// The words for a problem the server reported about `repo` (`owner/repo`) for `token`;
/// `registered` is false for a token `add --verify` is about to register.
pub fn problem_lines(
    token: &Token,
    repo: &str,
    problem: &Problem,
    api: &str,
    registered: bool,
) -> Vec<String> {
    match problem {
        Problem::Rejected => vec![format!(
            "the server rejected token '{}' (401 Bad credentials): it is revoked, expired or mistyped",
            token.name
        )],
        Problem::NotFound { git_can_read } => {
            not_found_lines(token, repo, *git_can_read, api, &then_run(token, registered))
        }
        Problem::Unexpected(s) => vec![format!(
            "the server answered HTTP {s} about {repo}; nothing could be verified for token '{}' (rate limit or server trouble?): try again later",
            token.name
        )],
        Problem::NoContents { accepted } => {
            no_contents_lines(token, repo, accepted, &then_run(token, registered))
        }
    }
}
