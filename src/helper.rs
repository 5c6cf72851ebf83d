//! The credential-helper side, a thin executor: read one request, gather what the decision
//! needs (the part of the registry it concerns, the usage state), take the decision from
//! [`crate::resolve`], and carry it out — print the answer, say its lines, apply its effect.
//! Generic over its input, output and diagnostics streams, so tests drive it with byte
//! buffers. Nothing here decides anything the decision does not already say.
//!
//! When carrying out a decision fails, the error says what git should do next
//! ([`HelperError::next`]): a `get` that cannot be answered safely — the config or the data
//! directory is damaged or unsafe, a chosen token's secret cannot be read — answers
//! `quit=1`, so git stops with the reason instead of prompting or asking another helper.

use std::io::{BufRead, Write};

use crate::context::{Context, HelperError, Next};
use crate::diag::say;
use crate::generic::{self, Credential};
use crate::protocol::{decode, encode, Answer as Reply, Request};
use crate::registry::cache::Want;
use crate::registry::state::{self, Rejection};
use crate::registry::Token;
use crate::remote::owner_repo;
use crate::resolve::{
    recognise, resolve, resolve_erase, resolve_store, unfingerprinted, Answer, Erase, Query, Route,
    Store,
};
use crate::secret::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Get,
    Store,
    Erase,
}

pub fn run(
    action: Action,
    ctx: &Context,
    input: &mut impl BufRead,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> Result<(), HelperError> {
    let request = decode(input)?;
    let result = match action {
        Action::Get => get(ctx, &request, out, diag),
        Action::Store => store(ctx, &request),
        Action::Erase => erase(ctx, &request, diag),
    };
    for w in ctx.stores.take_warnings() {
        say(diag, &w);
    }
    if action == Action::Get && result.as_ref().is_err_and(|e| e.next() == Next::Stop) {
        encode(&quit(), out)?;
    }
    result
}

fn query(req: &Request) -> Query<'_> {
    Query {
        protocol: req.protocol.as_deref(),
        host: req.host.as_deref(),
        path: req.path.as_deref(),
        username: req.username.as_deref(),
        need_write: false,
    }
}

fn quit() -> Reply {
    Reply {
        quit: true,
        ..Reply::default()
    }
}

fn get(
    ctx: &Context,
    req: &Request,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> Result<(), HelperError> {
    match serve(ctx, &query(req), diag)? {
        Served::Nothing => Ok(()),
        Served::Quit => Ok(encode(&quit(), out)?),
        Served::Credential(reply) => Ok(encode(&reply, out)?),
    }
}

/// What a `get` answers, carried out up to the bytes: nothing, `quit=1`, or a credential.
pub enum Served {
    Nothing,
    Quit,
    /// The chosen token's secret, or the generic credential found; `quit` is false.
    Credential(Reply),
}

/// Carries out the decision for `q` the way `get` does — the registry the decision needs,
/// the usage state, [`resolve`], its lines said on `diag`, the secret read or the generic
/// store asked — and returns what `get` would answer. `get` encodes it for git; `token` and
/// `exec` hand its secret to a person or a program, so the three cannot differ.
pub fn serve(ctx: &Context, q: &Query, diag: &mut impl Write) -> Result<Served, HelperError> {
    let Some(host) = q.host else {
        return Ok(Served::Nothing);
    };
    // The narrowest part of the registry that can decide: with `owner/repo`, the owner's
    // tokens that cover it; only when none does, all of the owner's (for the hint naming
    // what they cover); without a path, the host's.
    let repo = q.path.and_then(owner_repo);
    let want = match &repo {
        Some((owner, repo)) => Want::Repo { host, owner, repo },
        None => Want::Group { host, owner: None },
    };
    let reg = ctx.registry_for(want)?;
    let state = ctx.state()?;
    let first = resolve(q, &reg, &state, ctx.now);
    let wide;
    let decision = match (&first.route, &repo) {
        (Route::Uncovered { .. }, Some((owner, _))) => {
            wide = ctx.registry_for(Want::Group {
                host,
                owner: Some(owner),
            })?;
            resolve(q, &wide, &state, ctx.now)
        }
        _ => first,
    };
    for line in &decision.lines {
        say(diag, line);
    }
    Ok(match decision.answer() {
        Answer::Nothing => Served::Nothing,
        Answer::Quit(_) => Served::Quit,
        Answer::Token(c) => {
            let secret = ctx
                .stores
                .token_secret(c.token)
                .map_err(|e| HelperError::Unreadable {
                    token: c.token.name.clone(),
                    source: e,
                })?;
            Served::Credential(Reply {
                username: Some(c.username.clone()),
                password: Some(secret),
                password_expiry_utc: crate::policy::expiry_to_send(&c.verdict, c.token.expires),
                ..Reply::default()
            })
        }
        Answer::Stored(lookup) => match generic::find(ctx, &lookup.pattern())? {
            Some(Credential {
                username,
                password,
                expiry,
                refresh_token,
            }) => Served::Credential(Reply {
                username,
                password: Some(password),
                password_expiry_utc: expiry,
                oauth_refresh_token: refresh_token,
                quit: false,
            }),
            None => {
                for line in &lookup.unanswered {
                    say(diag, line);
                }
                Served::Nothing
            }
        },
    })
}

/// The fingerprints of the secrets of tokens that record none (environment, command), for
/// recognising one git hands back. A secret that cannot be had is simply not one of them.
fn live_fingerprints(ctx: &Context, tokens: &[&Token]) -> Vec<(String, String)> {
    tokens
        .iter()
        .filter_map(|t| {
            let secret = ctx.stores.token_secret(t).ok()?;
            Some((t.name.clone(), secret.fingerprint()))
        })
        .collect()
}

/// Loads what is needed to recognise the registered token whose secret git handed back,
/// and hands it to `then` with the token, if there is one.
fn with_known<T>(
    ctx: &Context,
    req: &Request,
    password: Option<&Secret>,
    then: impl FnOnce(&crate::registry::Registry, Option<&Token>) -> Result<T, HelperError>,
) -> Result<T, HelperError> {
    let host = req.host.as_deref().unwrap_or_default();
    let Some(password) = password else {
        let reg = ctx.registry_for(Want::Head)?;
        return then(&reg, None);
    };
    let fp = password.fingerprint();
    let reg = ctx.registry_for(Want::Fingerprint {
        host,
        fingerprint: &fp,
    })?;
    if let Some(t) = recognise(&reg, host, &fp, &[]) {
        return then(&reg, Some(t));
    }
    if reg.github_host(host).is_none() {
        return then(&reg, None);
    }
    let owner = req.path.as_deref().and_then(owner_repo).map(|(o, _)| o);
    let group = ctx.registry_for(Want::Group {
        host,
        owner: owner.as_deref(),
    })?;
    let live = live_fingerprints(ctx, &unfingerprinted(&group, host, req.path.as_deref()));
    then(&reg, recognise(&group, host, &fp, &live))
}

fn store(ctx: &Context, req: &Request) -> Result<(), HelperError> {
    let (Some(protocol), Some(host), Some(password)) = (
        req.protocol.as_deref(),
        req.host.as_deref(),
        req.password.as_ref(),
    ) else {
        return Ok(());
    };
    if req.ephemeral {
        return Ok(());
    }
    with_known(ctx, req, Some(password), |reg, known| {
        match resolve_store(&query(req), reg, known) {
            Store::Ignore => Ok(()),
            Store::Used(t) => Ok(state::record_use(&ctx.data_dir, &t.name, ctx.now)?),
            Store::Keep { path } => {
                let cred = Credential {
                    username: req.username.clone(),
                    password: password.duplicate(),
                    expiry: req.password_expiry_utc,
                    refresh_token: req.oauth_refresh_token.as_ref().map(Secret::duplicate),
                };
                Ok(generic::store(ctx, reg, protocol, host, path, cred)?)
            }
        }
    })
}

fn erase(ctx: &Context, req: &Request, diag: &mut impl Write) -> Result<(), HelperError> {
    let (Some(protocol), Some(host)) = (req.protocol.as_deref(), req.host.as_deref()) else {
        return Ok(());
    };
    with_known(
        ctx,
        req,
        req.password.as_ref(),
        |reg, known| match resolve_erase(&query(req), reg, known) {
            Erase::Ignore => Ok(()),
            Erase::Reject { token, repo, line } => {
                let rejection = Rejection { at: ctx.now, repo };
                state::update(&ctx.data_dir, |s| {
                    s.entry(&token.name).rejected = Some(rejection)
                })?;
                say(diag, &line);
                Ok(())
            }
            Erase::Forget { path } => {
                let p = crate::registry::credentials::Pattern {
                    protocol,
                    host,
                    path: path.as_deref(),
                    username: req.username.as_deref(),
                };
                Ok(generic::erase(ctx, &p, req.password.as_ref())?)
            }
        },
    )
}
