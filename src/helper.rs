//! The credential-helper side: read one request, decide, answer. Generic over its input,
//! output and diagnostics streams so tests drive it with byte buffers.
//!
//! `get` for a GitHub host goes through [`resolve`]; everything else (and a GitHub repository
//! no registered token covers) is answered by the generic store, which follows git's own
//! matching rules. `store` and `erase` never touch a registered token's secret: a token git
//! hands back is only recorded as used, and one the server rejected is marked, not deleted.

use std::io::{BufRead, Write};

use crate::context::{Context, HelperError};
use crate::generic::{self, Credential};
use crate::messages::{self, PREFIX};
use crate::protocol::{decode, encode, escape, Answer, Request};
use crate::registry::credentials::Pattern;
use crate::registry::state::{self, Rejection};
use crate::registry::{Expiry, Registry, SecretSource, Token};
use crate::remote::owner_repo;
use crate::resolve::{resolve, Choice, Query, Resolution};
use crate::secret::{fingerprint_of, Secret};

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
    match action {
        Action::Get => get(ctx, &request, out, diag),
        Action::Store => store(ctx, &request, diag),
        Action::Erase => erase(ctx, &request, diag),
    }
}

pub fn say(diag: &mut impl Write, line: &str) {
    let _ = writeln!(diag, "{PREFIX}{line}");
}

fn get(
    ctx: &Context,
    req: &Request,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> Result<(), HelperError> {
    // A missing protocol or host is never a wildcard on get.
    let (Some(protocol), Some(host)) = (req.protocol.as_deref(), req.host.as_deref()) else {
        return Ok(());
    };
    // With a path, only that owner's tokens can matter; without one, the host's.
    let owner = req.path.as_deref().and_then(owner_repo).map(|(o, _)| o);
    let reg = ctx.registry_for(host, owner.as_deref())?;
    if reg.github_host(host).is_none() {
        return answer_generic(ctx, pattern(protocol, host, req.path.as_deref(), req), out)
            .map(|_| ());
    }
    let state = ctx.state()?;
    let q = Query {
        protocol,
        host,
        path: req.path.as_deref(),
        username: req.username.as_deref(),
        need_write: false,
    };
    match resolve(&q, &reg, &state, ctx.now) {
        Resolution::NotGitHub | Resolution::NotARepository => {
            answer_generic(ctx, pattern(protocol, host, req.path.as_deref(), req), out)
        }
        Resolution::InsecureProtocol => {
            say(
                diag,
                &format!(
                    "refused: {} is a GitHub host and takes tokens over https only, not {}",
                    escape(host.as_bytes()),
                    escape(protocol.as_bytes())
                ),
            );
            Ok(false)
        }
        Resolution::NoPath {
            default,
            host_has_tokens,
        } => {
            if host_has_tokens {
                say(diag, &messages::no_path_line(host));
            }
            match default {
                Some(choice) => answer_choice(ctx, &choice, out, diag),
                None => answer_generic(ctx, pattern(protocol, host, None, req), out),
            }
        }
        Resolution::Chosen(choice) => answer_choice(ctx, &choice, out, diag),
        Resolution::Uncovered {
            remote,
            owner_covers,
        } => {
            let path = remote.full_name();
            if answer_generic(
                ctx,
                pattern(protocol, host, Some(path.as_bytes()), req),
                out,
            )? {
                return Ok(());
            }
            if let Some(covers) = owner_covers {
                say(
                    diag,
                    &messages::uncovered_line(&path, &remote.owner, &covers),
                );
            }
            Ok(false)
        }
    }
    .map(|_| ())
}

fn pattern<'a>(
    protocol: &'a str,
    host: &'a str,
    path: Option<&'a [u8]>,
    req: &'a Request,
) -> Pattern<'a> {
    Pattern {
        protocol,
        host,
        path,
        username: req.username.as_deref(),
    }
}

/// Answers from the generic store; true when something was answered.
fn answer_generic(ctx: &Context, p: Pattern, out: &mut impl Write) -> Result<bool, HelperError> {
    let Some(Credential {
        username,
        password,
        expiry,
        refresh_token,
    }) = generic::find(ctx, &p)?
    else {
        return Ok(false);
    };
    let answer = Answer {
        username,
        password: Some(password),
        password_expiry_utc: expiry,
        oauth_refresh_token: refresh_token,
        quit: false,
    };
    encode(&answer, out)?;
    Ok(true)
}

fn answer_choice(
    ctx: &Context,
    choice: &Choice,
    out: &mut impl Write,
    diag: &mut impl Write,
) -> Result<bool, HelperError> {
    for line in messages::verdict_lines(choice, ctx.now) {
        say(diag, &line);
    }
    if !choice.verdict.serves() {
        encode(
            &Answer {
                quit: true,
                ..Answer::default()
            },
            out,
        )?;
        return Ok(true);
    }
    let secret = token_secret(ctx, choice.token)?;
    let expiry = match choice.token.expires {
        Expiry::At(at) if at > 0 => Some(at as u64),
        _ => None,
    };
    let answer = Answer {
        username: Some(choice.username.clone()),
        password: Some(secret),
        password_expiry_utc: expiry,
        oauth_refresh_token: None,
        quit: false,
    };
    encode(&answer, out)?;
    Ok(true)
}

/// The secret of a registered token, from wherever it lives. Only called once a token has
/// been chosen: this is the first moment the keyring is opened.
pub fn token_secret(ctx: &Context, token: &Token) -> Result<Secret, HelperError> {
    match &token.source {
        SecretSource::Env(var) => Ok(crate::secrets::from_env(var, &token.name)?),
        SecretSource::Command(cmd) => Ok(crate::secrets::run_secret_command(cmd, &token.name)?),
        SecretSource::Store(kind) => {
            let store = ctx.stores.open(*kind)?;
            store
                .get(&token.secret_key())?
                .ok_or_else(|| HelperError::MissingSecret {
                    token: token.name.clone(),
                    store: kind.name(),
                })
        }
    }
}

/// The registered token on `host` whose secret is `password`, if any. Fingerprints decide
/// without opening any store; tokens whose secret comes from the environment or a command
/// (no fingerprint recorded) are asked only when they cover the repository.
fn registered_token<'r>(
    ctx: &Context,
    reg: &'r Registry,
    host: &str,
    repo: Option<&(String, String)>,
    password: &Secret,
) -> Option<&'r Token> {
    let fp = fingerprint_of(password.expose());
    let on_host = || {
        reg.tokens
            .iter()
            .filter(move |t| t.host.eq_ignore_ascii_case(host))
    };
    if let Some(t) = on_host().find(|t| t.fingerprint.as_deref() == Some(fp.as_str())) {
        return Some(t);
    }
    on_host()
        .filter(|t| t.fingerprint.is_none() && !matches!(t.source, SecretSource::Store(_)))
        .filter(|t| repo.is_none_or(|(o, r)| t.owner.eq_ignore_ascii_case(o) && t.repos.covers(r)))
        .find(|t| token_secret(ctx, t).is_ok_and(|s| s == *password))
}

fn store(ctx: &Context, req: &Request, diag: &mut impl Write) -> Result<(), HelperError> {
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
    let reg = ctx.registry_for(host, None)?;
    let mut path = req.path.clone();
    if let Some(decl) = reg.github_host(host) {
        if !(protocol == "https" || (protocol == "http" && decl.allow_http)) {
            return Ok(());
        }
        let repo = req.path.as_deref().and_then(owner_repo);
        if let Some(token) = registered_token(ctx, &reg, host, repo.as_ref(), password) {
            let now = ctx.now;
            state::update(&ctx.data_dir, |s| {
                s.entry(&token.name).last_used = Some(now)
            })?;
            return Ok(());
        }
        // A secret typed at a prompt: kept for that exact repository only.
        if let Some((o, r)) = repo {
            path = Some(format!("{o}/{r}").into_bytes());
        }
    }
    let _ = diag;
    let cred = Credential {
        username: req.username.clone(),
        password: password.duplicate(),
        expiry: req.password_expiry_utc,
        refresh_token: req.oauth_refresh_token.as_ref().map(Secret::duplicate),
    };
    generic::store(ctx, &reg, protocol, host, path, cred)
}

fn erase(ctx: &Context, req: &Request, diag: &mut impl Write) -> Result<(), HelperError> {
    // A blank pattern erases nothing: protocol and host are required.
    let (Some(protocol), Some(host)) = (req.protocol.as_deref(), req.host.as_deref()) else {
        return Ok(());
    };
    let reg = ctx.registry_for(host, None)?;
    let mut path = req.path.clone();
    if reg.github_host(host).is_some() {
        let repo = req.path.as_deref().and_then(owner_repo);
        if let Some(password) = &req.password {
            if let Some(token) = registered_token(ctx, &reg, host, repo.as_ref(), password) {
                let full = repo.as_ref().map(|(o, r)| format!("{o}/{r}"));
                let rejection = Rejection {
                    at: ctx.now,
                    repo: full.clone(),
                };
                state::update(&ctx.data_dir, |s| {
                    s.entry(&token.name).rejected = Some(rejection)
                })?;
                let on = full.map(|f| format!(" for {f}")).unwrap_or_default();
                say(diag, &format!("the server rejected token '{}'{on}; it is kept, and refused until `git credential-scoped check --online`, `rotate {}` or `unreject {}`", token.name, token.name, token.name));
                return Ok(());
            }
        }
        if let Some((o, r)) = repo {
            path = Some(format!("{o}/{r}").into_bytes());
        }
    }
    let p = Pattern {
        protocol,
        host,
        path: path.as_deref(),
        username: req.username.as_deref(),
    };
    generic::erase(ctx, &p, req.password.as_ref())
}
