//! Generic credentials for any host, the way git's own storing helpers behave: `store`
//! overwrites the credential with the same protocol, host, path and username; `get` returns
//! the newest one matching every field the request gives; `erase` removes every match, and
//! only those whose password equals a given one.
//!
//! The index (no secrets) is in the data directory; the password and refresh token live in
//! the secret store chosen at the time of `store`, as one value: `password[\0refresh]`
//! (neither can hold a NUL, the protocol refuses it).
//!
//! Each function takes the data directory and the secret stores it needs, nothing more.

use std::path::Path;

use crate::registry::credentials::{self, new_id, IndexError, Pattern, Stored};
use crate::registry::StoreKind;
use crate::secret::Secret;
use crate::secrets::{SecretError, Stores};

#[derive(Debug, thiserror::Error)]
pub enum GenericError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

pub struct Credential {
    pub username: Option<String>,
    pub password: Secret,
    pub expiry: Option<u64>,
    pub refresh_token: Option<Secret>,
}

fn pack(password: &Secret, refresh: Option<&Secret>) -> Secret {
    let mut bytes = password.expose().to_vec();
    if let Some(r) = refresh {
        bytes.push(0);
        bytes.extend_from_slice(r.expose());
    }
    Secret::new(bytes)
}

fn unpack(blob: &Secret) -> (Secret, Option<Secret>) {
    let bytes = blob.expose();
    match bytes.iter().position(|&b| b == 0) {
        Some(i) => (
            Secret::new(bytes[..i].to_vec()),
            Some(Secret::new(bytes[i + 1..].to_vec())),
        ),
        None => (Secret::new(bytes.to_vec()), None),
    }
}

/// The newest stored credential matching `p` whose secret is still in its store.
pub fn find(
    data_dir: &Path,
    stores: &Stores,
    p: &Pattern,
) -> Result<Option<Credential>, GenericError> {
    let entries = credentials::load(data_dir)?;
    for e in entries.iter().filter(|e| e.matches(p)) {
        let store = stores.open(e.store)?;
        if let Some(blob) = store.get(&e.secret_key())? {
            let (password, refresh_token) = unpack(&blob);
            return Ok(Some(Credential {
                username: e.username.clone(),
                password,
                expiry: e.expiry,
                refresh_token,
            }));
        }
    }
    Ok(None)
}

/// Where a credential is kept: its protocol, host and path, and the secret store for it.
pub struct Place<'a> {
    pub protocol: &'a str,
    pub host: &'a str,
    pub path: Option<Vec<u8>>,
    pub kind: StoreKind,
}

/// Keeps `cred` (git's `store` for a credential no registered token answers), replacing
/// the one with the same protocol, host, path and username.
pub fn save(
    data_dir: &Path,
    stores: &Stores,
    place: Place,
    cred: Credential,
) -> Result<(), GenericError> {
    let Place {
        protocol,
        host,
        path,
        kind,
    } = place;
    let secret_store = stores.open(kind)?;
    let entry = Stored {
        id: new_id(),
        store: kind,
        protocol: protocol.to_string(),
        host: host.to_string(),
        path,
        username: cred.username,
        expiry: cred.expiry,
    };
    // Secret first, then the index: a reader never finds an index entry without its secret.
    secret_store.set(
        &entry.secret_key(),
        &pack(&cred.password, cred.refresh_token.as_ref()),
    )?;
    let replaced = credentials::update(data_dir, |entries| {
        let (old, kept): (Vec<Stored>, Vec<Stored>) =
            entries.drain(..).partition(|e| e.same_key(&entry));
        entries.push(entry.clone());
        entries.extend(kept);
        old
    });
    let replaced = match replaced {
        Ok(r) => r,
        Err(e) => {
            let _ = secret_store.delete(&entry.secret_key());
            return Err(e.into());
        }
    };
    delete_secrets(stores, &replaced)
}

/// Removes every stored credential matching `p` (and, when given, `password`). Each
/// credential's secret is deleted first and its index entry only after: if a secret cannot
/// be deleted, its entry stays, so a later `erase` still reaches it.
pub fn forget(
    data_dir: &Path,
    stores: &Stores,
    p: &Pattern,
    password: Option<&Secret>,
) -> Result<(), GenericError> {
    let entries = credentials::load(data_dir)?;
    let mut doomed: Vec<String> = Vec::new();
    for e in entries.iter().filter(|e| e.matches(p)) {
        if let Some(given) = password {
            let store = stores.open(e.store)?;
            let Some(blob) = store.get(&e.secret_key())? else {
                continue;
            };
            if unpack(&blob).0 != *given {
                continue;
            }
        }
        doomed.push(e.id.clone());
    }
    let mut deleted = Vec::new();
    let mut failure = None;
    for e in entries.iter().filter(|e| doomed.contains(&e.id)) {
        match stores.open(e.store).and_then(|s| s.delete(&e.secret_key())) {
            Ok(()) => deleted.push(e.id.clone()),
            Err(err) => {
                failure.get_or_insert(err);
            }
        }
    }
    if !deleted.is_empty() {
        credentials::update(data_dir, |entries| {
            entries.retain(|e| !deleted.contains(&e.id));
        })?;
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn delete_secrets(stores: &Stores, entries: &[Stored]) -> Result<(), GenericError> {
    for e in entries {
        stores.open(e.store)?.delete(&e.secret_key())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_and_unpack() {
        let (p, r) = unpack(&pack(
            &Secret::from_text("pw"),
            Some(&Secret::from_text("rt")),
        ));
        assert_eq!((p.expose(), r.unwrap().expose()), (&b"pw"[..], &b"rt"[..]));
        let (p, r) = unpack(&pack(&Secret::from_text("pw"), None));
        assert_eq!(p.expose(), b"pw");
        assert!(r.is_none());
    }
}
