//! Taking in a new secret, for `add` and `rotate`: a hidden prompt on the terminal, or
//! stdin when stdin is not a terminal (scripts pipe it in) — never from an argument — then
//! warnings about its shape, then `--verify` against the server.

use std::io::{IsTerminal, Read};

use super::check::{verify_new_token, VerifyArgs};
use crate::cli::paint::say;
use crate::context::Context;
use crate::registry::{Registry, SecretSource, Token};
use crate::secret::Secret;

/// The new secret of `token` (none when it comes from the environment or a command),
/// read, warned about and, with `--verify`, checked against the server, which may also
/// fill in the token's expiry. Nothing is stored here.
pub fn take_secret(
    ctx: &Context,
    reg: &Registry,
    token: &mut Token,
    verify: &VerifyArgs,
    prompt: &str,
) -> Result<Option<Secret>, Box<dyn std::error::Error>> {
    let mut err = crate::cli::paint::stderr();
    if !matches!(token.source, SecretSource::Store(_)) {
        verify_new_token(ctx, reg, token, None, verify)?;
        return Ok(None);
    }
    if let SecretSource::Store(kind) = token.source {
        // GitHub shows a token once: find out the store cannot keep it before asking.
        ctx.stores.open(kind).map_err(unreachable_store)?;
    }
    let s = read_secret(prompt)?;
    for w in shape_warnings(&s) {
        say(&mut err, &format!("warning: {w}"));
    }
    verify_new_token(ctx, reg, token, Some(&s), verify)?;
    token.fingerprint = Some(s.fingerprint());
    Ok(Some(s))
}

/// Why the token was not asked for, and the one option that keeps it elsewhere.
fn unreachable_store(e: crate::secrets::SecretError) -> String {
    let why = match e {
        crate::secrets::SecretError::Unreachable(_) => {
            "the OS keyring is not reachable here".into()
        }
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    format!("{why}, so the token was not asked for (GitHub shows it only once)\nhint: add --secret-store file to keep it in a private file (plaintext at rest, like git's credential-store)")
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("could not read the token: {0}")]
    Io(#[from] std::io::Error),
    #[error("no token given: type it at the prompt or pipe it on stdin (it is never taken from the command line)")]
    Empty,
    #[error("the token on stdin is larger than 64 KiB; refused")]
    TooLarge,
    #[error("the token {0}; paste only the token")]
    Garbled(&'static str),
}

pub fn read_secret(prompt: &str) -> Result<Secret, InputError> {
    let secret = if std::io::stdin().is_terminal() {
        Secret::new(prompt_hidden(prompt)?.into_bytes())
    } else {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(crate::secret::MAX_SECRET as u64 + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() > crate::secret::MAX_SECRET {
            zeroize::Zeroize::zeroize(&mut bytes);
            return Err(InputError::TooLarge);
        }
        Secret::new(bytes)
    }
    .trimmed();
    if secret.is_empty() {
        return Err(InputError::Empty);
    }
    if let Some(problem) = crate::secret::token_problem(&secret) {
        return Err(InputError::Garbled(problem));
    }
    Ok(secret)
}

/// The hidden prompt, with the terminal's echo put back if a signal ends the program there.
fn prompt_hidden(prompt: &str) -> std::io::Result<String> {
    #[cfg(unix)]
    return super::tty_guard::restoring(|| rpassword::prompt_password(prompt));
    #[cfg(not(unix))]
    return rpassword::prompt_password(prompt);
}

/// Warnings about a secret's shape: a classic token, or something that is not GitHub's.
pub fn shape_warnings(secret: &Secret) -> Vec<String> {
    let s = secret.expose();
    if s.starts_with(b"ghp_") {
        return vec!["this is a classic personal access token (ghp_...): it reaches every repository you can; a fine-grained token (github_pat_...) limited to the repositories you need is safer".into()];
    }
    let shaped = s.starts_with(b"github_pat_")
        && s[11..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !shaped {
        return vec!["this does not look like a GitHub fine-grained token (github_pat_...); storing it anyway".into()];
    }
    Vec::new()
}
