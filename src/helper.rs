//! The credential-helper side, a thin executor: read one request, load the registry (from
//! its snapshot) and the usage state, take the decision from [`crate::resolve`], and carry
//! it out — print the reply, say its lines, apply its effect.
//! Generic over its input, output and diagnostics streams, so tests drive it with byte
//! buffers. Nothing here decides anything the decision does not already say.
//!
//! When carrying out a decision fails, the error says what git should do next
//! ([`HelperError::next`]): a `get` that cannot be answered safely — the config or the data
//! directory is damaged or unsafe, a chosen token's secret cannot be read — answers
//! `quit=1`, so git stops with the reason instead of prompting or asking another helper.
//!
//! A `get` that serves a token names it in `state[]` (with its secret's fingerprint) when
//! git offers `capability[]=state` (2.46+); git hands that back with the `store` or `erase`
//! of the same credential, which then touch neither `config.toml` nor any secret. Older git
//! sends no state: the token is recognised by the fingerprint the registry records, or by
//! fetching the secrets of the covering tokens that record none.

use std::io::{BufRead, Write};

use crate::context::{Context, HelperError, Next};
use crate::diag::say;
use crate::generic::{self, Credential, Place};
use crate::protocol::{decode, encode, Reply, Request};
use crate::registry::cache::Cached;
use crate::registry::credentials::Pattern;
use crate::registry::state::{self, Rejection};
use crate::registry::{Token, View};
use crate::resolve::{
    decide_erase, decide_store, recall, recognise, resolve, served_state, unfingerprinted,
    EraseDecision, Handed, Query, StoreDecision,
};
use crate::secret::Secret;
use crate::secrets::default_kind;

/// Which of git's three requests the helper answers.
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
    let mut reply = serve(ctx, &query(req), diag)?;
    if !req.capability.iter().any(|c| c == "state") {
        reply.state = None;
    }
    if reply.is_empty() {
        return Ok(());
    }
    Ok(encode(&reply, out)?)
}

/// Carries out the decision for `q` the way `get` does — the registry, the usage state,
/// [`resolve`], its lines said on `diag`, the secret read or the generic store asked — and
/// returns the reply: empty (nothing), `quit=1`, or a credential (with the `state[]` that
/// names a served token). `get` encodes it for git; `token` and `exec` hand its secret to a
/// person or a program, so the three cannot differ.
pub fn serve(ctx: &Context, q: &Query, diag: &mut impl Write) -> Result<Reply, HelperError> {
    let reg = ctx.cached_registry()?;
    let state = ctx.state()?;
    let decision = resolve(q, &reg, &state, ctx.now)?;
    for line in &decision.lines {
        say(diag, line);
    }
    match (decision.choice(), &decision.lookup) {
        (Some(c), _) if c.verdict.serves() => {
            let secret = token_secret(ctx, &c.token)?;
            Ok(Reply {
                username: Some(c.username.clone()),
                state: Some(served_state(&c.token, &secret.fingerprint())),
                password: Some(secret),
                password_expiry_utc: crate::policy::expiry_to_send(&c.verdict, c.token.expires),
                ..Reply::default()
            })
        }
        (Some(_), _) => Ok(quit()),
        (None, Some(lookup)) => match generic::find(&ctx.data_dir, &ctx.stores, &lookup.pattern())?
        {
            Some(Credential {
                username,
                password,
                expiry,
                refresh_token,
            }) => Ok(Reply {
                username,
                password: Some(password),
                password_expiry_utc: expiry,
                oauth_refresh_token: refresh_token,
                ..Reply::default()
            }),
            None => {
                for line in &lookup.unanswered {
                    say(diag, line);
                }
                Ok(Reply::default())
            }
        },
        (None, None) => Ok(Reply::default()),
    }
}

fn token_secret(ctx: &Context, token: &Token) -> Result<Secret, HelperError> {
    ctx.stores
        .token_secret(token)
        .map_err(|e| HelperError::Unreadable {
            token: token.name.clone(),
            source: e,
        })
}

/// The fingerprints of the secrets of tokens that record none (environment, command), for
/// recognising one git hands back. A secret that cannot be had is simply not one of them.
fn live_fingerprints(ctx: &Context, tokens: Vec<Token>) -> Vec<(Token, String)> {
    tokens
        .into_iter()
        .filter_map(|t| {
            let fingerprint = ctx.stores.token_secret(&t).ok()?.fingerprint();
            Some((t, fingerprint))
        })
        .collect()
}

/// What a `store` or `erase` concerns, handed to `then` with the registry when it had to be
/// read: the token `get` named in `state[]` (no registry, no secret), else the registered
/// token recognised by the password's fingerprint.
fn with_handed<T>(
    ctx: &Context,
    req: &Request,
    then: impl FnOnce(Handed, Option<&Cached>) -> Result<T, HelperError>,
) -> Result<T, HelperError> {
    let fp = req.password.as_ref().map(Secret::fingerprint);
    if let Some(name) = fp.as_deref().and_then(|fp| recall(&req.state, fp)) {
        let handed = Handed::GitHub {
            secure: true,
            known: Some(&name),
        };
        return then(handed, None);
    }
    let reg = ctx.cached_registry()?;
    let q = query(req);
    let host = req.host.as_deref().unwrap_or_default();
    let known = match &fp {
        Some(fp) if reg.github_host(host).is_some() => match recognise(&reg, host, fp, &[])? {
            Some(t) => Some(t),
            None => {
                let live = live_fingerprints(ctx, unfingerprinted(&reg, host, q.path)?);
                recognise(&reg, host, fp, &live)?
            }
        },
        _ => None,
    };
    then(Handed::of(&q, &reg, known.as_ref()), Some(&reg))
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
    with_handed(ctx, req, |handed, reg| {
        match decide_store(&query(req), handed) {
            StoreDecision::Ignore => Ok(()),
            StoreDecision::Used(name) => Ok(state::record_use(&ctx.data_dir, &name, ctx.now)?),
            StoreDecision::Keep { path } => {
                let configured = reg.and_then(|r| r.settings().secret_store);
                let place = Place {
                    protocol,
                    host,
                    path,
                    kind: default_kind(configured).map_err(crate::generic::GenericError::from)?,
                };
                let cred = Credential {
                    username: req.username.clone(),
                    password: password.duplicate(),
                    expiry: req.password_expiry_utc,
                    refresh_token: req.oauth_refresh_token.as_ref().map(Secret::duplicate),
                };
                Ok(generic::save(&ctx.data_dir, &ctx.stores, place, cred)?)
            }
        }
    })
}

fn erase(ctx: &Context, req: &Request, diag: &mut impl Write) -> Result<(), HelperError> {
    let (Some(protocol), Some(host)) = (req.protocol.as_deref(), req.host.as_deref()) else {
        return Ok(());
    };
    with_handed(ctx, req, |handed, _| {
        match decide_erase(&query(req), handed) {
            EraseDecision::Ignore => Ok(()),
            EraseDecision::Reject { token, repo, line } => {
                let rejection = Rejection { at: ctx.now, repo };
                state::update(&ctx.data_dir, |s| {
                    s.entry(&token).rejected = Some(rejection)
                })?;
                say(diag, &line);
                Ok(())
            }
            EraseDecision::Forget { path } => {
                let p = Pattern {
                    protocol,
                    host,
                    path: path.as_deref(),
                    username: req.username.as_deref(),
                };
                Ok(generic::forget(
                    &ctx.data_dir,
                    &ctx.stores,
                    &p,
                    req.password.as_ref(),
                )?)
            }
        }
    })
}
