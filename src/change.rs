//! Changes of several steps to registered tokens — a secret and the registry entry that
//! points to it — applied whole or not at all, under the config's lock, in an order that
//! never loses a secret (SPEC §9 "Integrity"):
//!
//! - a new secret is written (under a key of its own: name and fingerprint) before the
//!   registry points to it, and deleted again if the registry cannot be written;
//! - an old secret is deleted only after the registry stopped pointing to it;
//! - every change re-reads the registry under the lock and changes only what it is about,
//!   so a slow step before it (a prompt, a network call) never undoes another process's
//!   change.

use crate::context::Context;
use crate::registry::config::ConfigError;
use crate::registry::document::{put_token, remove_token};
use crate::registry::state::{self, StateError};
use crate::registry::{Expiry, Registry, SecretSource, Token};
use crate::secret::Secret;
use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Conflict(String),
    #[error("removed token '{token}' from the registry, but its secret could not be deleted from the {store} store: {source}\nhint: the secret is no longer used; delete the entry '{key}' of service git-credential-scoped by hand (docs/GUIDE.md, \"Where secrets live\")")]
    SecretLeft {
        token: String,
        store: &'static str,
        key: String,
        source: Box<SecretError>,
    },
}

/// Registers `token`; `secret` goes to its store first (tokens whose secret comes from the
/// environment or a command have none). Refused when the name is taken by then.
pub fn add(ctx: &Context, token: &Token, secret: Option<&Secret>) -> Result<(), ChangeError> {
    add_all(ctx, &[(token, secret)])
}

/// Registers every token of `batch` whole or not at all (`import`): each secret goes to its
/// store first, then one write of the config adds every token; when a secret cannot be
/// stored, or a name is taken by then, or the config cannot be written, the secrets already
/// stored are deleted again and the registry is left as it was.
pub fn add_all(ctx: &Context, batch: &[(&Token, Option<&Secret>)]) -> Result<(), ChangeError> {
    let lock = ctx.lock_config()?;
    let mut stored: Vec<&Token> = Vec::new();
    for (token, secret) in batch {
        match store_new(ctx, token, *secret) {
            Ok(true) => stored.push(token),
            Ok(false) => {}
            Err(e) => {
                take_back(ctx, &stored);
                return Err(e);
            }
        }
    }
    let result = ctx.edit_locked(&lock, |doc, now| {
        for (i, (token, _)) in batch.iter().enumerate() {
            let twice = batch[..i].iter().any(|(t, _)| t.name == token.name);
            if now.token(&token.name).is_some() || twice {
                return Err(ConfigError::Change(format!(
                    "a token named '{}' exists already (added meanwhile?); nothing was added\nhint: use `git credential-scoped rotate {}` to replace its secret, or remove it first",
                    token.name, token.name
                )));
            }
        }
        for (token, _) in batch {
            put_token(doc, token)?;
        }
        Ok(())
    });
    let result = result.and_then(|()| {
        let now = ctx.registry()?;
        match batch.iter().find(|(t, _)| !names_secret_of(&now, t)) {
            Some((t, _)) => Err(not_shown(&t.name, "added")),
            None => Ok(()),
        }
    });
    if result.is_err() {
        take_back(ctx, &stored);
    }
    Ok(result?)
}

/// Whether `now` (the registry as read back after a write) holds the token named like
/// `token`, with its secret where `token` says.
fn names_secret_of(now: &Registry, token: &Token) -> bool {
    now.token(&token.name).is_some_and(|t| {
        t.source == token.source
            && t.fingerprint == token.fingerprint
            && t.secret_key() == token.secret_key()
    })
}

/// The registry read back after a write does not show the change it was to hold.
fn not_shown(name: &str, what: &str) -> ConfigError {
    ConfigError::Change(format!(
        "the config was written, but reading it back does not show token '{}' {what}; no secret was deleted\nhint: check the [[token]] tables of the config with `git credential-scoped list`",
        crate::protocol::escape(name.as_bytes())
    ))
}

/// Replaces the secret (when given) of the token named `name` and applies `change` (its
/// expiry, what `--verify` learned, another secret store) to the token as the registry
/// holds it now, keeping everything else. Returns the token as written.
pub fn rotate(
    ctx: &Context,
    name: &str,
    secret: Option<&Secret>,
    change: impl FnOnce(&mut Token),
) -> Result<Token, ChangeError> {
    let lock = ctx.lock_config()?;
    let old =
        ctx.registry()?.token(name).cloned().ok_or_else(|| {
            ChangeError::Conflict(format!("token '{name}' was removed meanwhile"))
        })?;
    let mut new = old.clone();
    change(&mut new);
    new.fingerprint = match (&new.source, secret) {
        (SecretSource::Store(_), Some(s)) => Some(s.fingerprint()),
        (SecretSource::Store(_), None) => new.fingerprint,
        _ => None,
    };
    let same_place = new.source == old.source && new.secret_key() == old.secret_key();
    let stored = store_new(ctx, &new, secret.filter(|_| !same_place))?;
    let result = ctx.edit_locked(&lock, |doc, now| {
        match now.token(name) {
            Some(t) if *t == old => {}
            _ => {
                return Err(ConfigError::Change(format!(
                    "token '{name}' changed meanwhile; nothing was changed, run the command again"
                )))
            }
        }
        put_token(doc, &new)
    });
    // The old secret goes only when the registry, read back, names the new one.
    let result = result.and_then(|()| match names_secret_of(&ctx.registry()?, &new) {
        true => Ok(()),
        false => Err(not_shown(name, "with its new secret")),
    });
    undo_on_error(ctx, &new, stored, result)?;
    if secret.is_some() && same_place {
        // The same key in the same store (the same secret typed again): rewriting it in
        // place is all there is.
        store_new(ctx, &new, secret)?;
    }
    state::update(&ctx.data_dir, |s| s.entry(name).rejected = None)?;
    if !same_place {
        // The registry no longer points to the old secret; a failure here leaves an unused
        // copy behind, never a token without its secret.
        let keep = if new.source == old.source {
            new.secret_key()
        } else {
            String::new()
        };
        let _ = delete_secret(ctx, &old, &keep);
    }
    Ok(new)
}

/// Edits the token named `name` without touching its secret: `change` gets the token as the
/// registry holds it now (under the lock, so a concurrent `rotate` or `edit` is built upon,
/// never undone) and the registry, and returns the token to write, or why not. Returns the
/// token before and after.
pub fn edit(
    ctx: &Context,
    name: &str,
    change: impl FnOnce(&Token, &Registry) -> Result<Token, String>,
) -> Result<(Token, Token), ChangeError> {
    let lock = ctx.lock_config()?;
    Ok(ctx
        .edit_locked(&lock, |doc, now| {
            let Some(current) = now.token(name) else {
                return Err(ConfigError::Change(format!(
                    "token '{}' was removed meanwhile; nothing was changed",
                    crate::protocol::escape(name.as_bytes())
                )));
            };
            let new = change(current, now).map_err(ConfigError::Change)?;
            // The secret, where it lives and the name stay: an edit never needs a new secret.
            let kept = Token {
                name: current.name.clone(),
                source: current.source.clone(),
                fingerprint: current.fingerprint.clone(),
                host: current.host.clone(),
                owner: current.owner.clone(),
                ..new
            };
            put_token(doc, &kept)?;
            Ok((current.clone(), kept))
        })
        .and_then(|(before, after)| match ctx.registry()?.token(name) {
            Some(t) if *t == after => Ok((before, after)),
            _ => Err(not_shown(name, "edited")),
        })?)
}

/// Removes the token named `name` and then its stored secret. Refused, with nothing
/// changed, when the store holding the secret cannot be reached.
pub fn remove(ctx: &Context, name: &str) -> Result<Token, ChangeError> {
    let lock = ctx.lock_config()?;
    let token = ctx.registry()?.token(name).cloned().ok_or_else(|| {
        ChangeError::Conflict(format!(
            "no token named '{}'\nhint: `git credential-scoped list` shows the names",
            crate::protocol::escape(name.as_bytes())
        ))
    })?;
    if let SecretSource::Store(kind) = token.source {
        ctx.stores.open(kind).map_err(|e| {
            ChangeError::Conflict(format!(
                "{e}\nnothing was changed: token '{name}' stays registered until its secret can be deleted too"
            ))
        })?;
    }
    ctx.edit_locked(&lock, |doc, _| remove_token(doc, name))?;
    // The secret goes only when the registry, read back, no longer lists the token.
    if ctx.registry()?.token(name).is_some() {
        return Err(not_shown(name, "removed").into());
    }
    state::update(&ctx.data_dir, |s| s.forget(name))?;
    delete_secret(ctx, &token, "")?;
    Ok(token)
}

/// Records the expiry the server reported for `token` — if the registry still holds that
/// token with that secret. Returns whether it was recorded.
pub fn record_expiry(ctx: &Context, token: &Token, expires: Expiry) -> Result<bool, ChangeError> {
    Ok(ctx.edit_config(|doc, now| {
        let Some(current) = now.token(&token.name) else {
            return Ok(false);
        };
        if current.fingerprint != token.fingerprint || current.expires == expires {
            return Ok(false);
        }
        let mut changed = current.clone();
        changed.expires = expires;
        put_token(doc, &changed)?;
        Ok(true)
    })?)
}

/// Writes `secret` under the token's key; `true` when something was written.
fn store_new(ctx: &Context, token: &Token, secret: Option<&Secret>) -> Result<bool, ChangeError> {
    match (&token.source, secret) {
        (SecretSource::Store(kind), Some(s)) => {
            ctx.stores.open(*kind)?.set(&token.secret_key(), s)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// When the registry could not be changed, the secret written for it is taken back.
fn undo_on_error<T>(
    ctx: &Context,
    token: &Token,
    stored: bool,
    result: Result<T, ConfigError>,
) -> Result<T, ChangeError> {
    if result.is_err() && stored {
        take_back(ctx, &[token]);
    }
    Ok(result?)
}

/// Deletes the secrets just written for `tokens`, which the registry does not point to.
fn take_back(ctx: &Context, tokens: &[&Token]) {
    for token in tokens {
        if let SecretSource::Store(kind) = token.source {
            if let Ok(store) = ctx.stores.open(kind) {
                let _ = store.delete(&token.secret_key());
            }
        }
    }
}

/// Deletes every key `token`'s secret may be kept under, except `keep`.
fn delete_secret(ctx: &Context, token: &Token, keep: &str) -> Result<(), ChangeError> {
    let SecretSource::Store(kind) = token.source else {
        return Ok(());
    };
    let left = |key: String, source| ChangeError::SecretLeft {
        token: token.name.clone(),
        store: kind.name(),
        key,
        source: Box::new(source),
    };
    let store = ctx
        .stores
        .open(kind)
        .map_err(|e| left(token.secret_key(), e))?;
    for key in token.secret_keys().into_iter().filter(|k| k != keep) {
        store.delete(&key).map_err(|e| left(key.clone(), e))?;
    }
    Ok(())
}
