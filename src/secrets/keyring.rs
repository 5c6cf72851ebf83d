//! The OS keyring through the keyring project's crates: Secret Service over D-Bus on Linux
//! (no libdbus needed at run time), Keychain on macOS, Credential Manager on Windows.
//!
//! Every call into the platform's store runs on a helper thread and is waited for at most
//! [`LIMIT`]: a session bus that accepts the connection and then never answers must not
//! hang `git fetch`. On time-out the caller gets an `Unreachable` error saying so (the
//! thread is abandoned; the process ends soon after).

use std::sync::Arc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error};

use super::{SecretError, SecretStore, SERVICE};
use crate::secret::Secret;

/// How long one keyring call may take.
pub const LIMIT: Duration = Duration::from_secs(5);

pub struct KeyringStore {
    store: Arc<CredentialStore>,
}

/// Runs `f` on a helper thread and waits at most [`LIMIT`] for it.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| format!("could not start a thread: {e}"))?;
    rx.recv_timeout(LIMIT).map_err(|_| {
        format!(
            "{} did not answer within {} s",
            platform_name(),
            LIMIT.as_secs()
        )
    })
}

fn platform_name() -> &'static str {
    if cfg!(target_os = "linux") {
        "the Secret Service (D-Bus session bus)"
    } else if cfg!(target_os = "macos") {
        "the macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "the Windows Credential Manager"
    } else {
        "the OS keyring"
    }
}

impl KeyringStore {
    /// Connects to the platform's store. The error is a short description without secrets.
    pub fn open() -> Result<KeyringStore, String> {
        bounded(|| platform_store().map_err(describe))?.map(|store| KeyringStore { store })
    }

    /// Runs one operation on the entry for `key`, bounded in time.
    fn with_entry<T: Send + 'static>(
        &self,
        key: &str,
        op: impl FnOnce(Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>, SecretError> {
        let store = Arc::clone(&self.store);
        let key = key.to_string();
        bounded(move || build_entry(store.as_ref(), &key).and_then(op))
            .map_err(SecretError::Unreachable)
    }
}

// What a user sees of an entry, per store (docs/GUIDE.md, "Files, settings and environment").
// `key` is the caller's string key (`token/NAME`, `credential/ID`).
//
// Secret Service (Linux): attributes service = git-credential-scoped, username = KEY.
// Keychain (macOS): a generic password whose Name and Where are git-credential-scoped and
// whose Account is KEY: search Keychain Access for "git-credential-scoped".
#[cfg(not(windows))]
fn build_entry(store: &CredentialStore, key: &str) -> keyring_core::Result<Entry> {
    store.build(SERVICE, key, None)
}

// Credential Manager (Windows): a generic credential whose target (the name in Control
// Panel > Credential Manager > Windows Credentials, and in `cmdkey /list`) is
// git-credential-scoped:KEY. The store's own default, "KEY.git-credential-scoped", would sort
// among unrelated entries and read backwards.
#[cfg(windows)]
fn build_entry(store: &CredentialStore, key: &str) -> keyring_core::Result<Entry> {
    let target = target_name(key);
    let modifiers = std::collections::HashMap::from([("target", target.as_str())]);
    store.build(SERVICE, key, Some(&modifiers))
}

#[cfg(any(windows, test))]
fn target_name(key: &str) -> String {
    format!("{SERVICE}:{key}")
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(dbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(Error::NotSupportedByStore(
        "no OS keyring is supported on this platform".into(),
    ))
}

/// Error text that never includes stored data (some variants carry the raw bytes).
fn describe(e: Error) -> String {
    match e {
        Error::PlatformFailure(inner) | Error::NoStorageAccess(inner) => {
            one_line(&inner.to_string())
        }
        Error::NoEntry => "no such entry".into(),
        Error::BadEncoding(_) | Error::BadDataFormat(..) => "a stored value is malformed".into(),
        Error::TooLong(what, max) => format!("{what} is longer than {max}"),
        Error::Invalid(what, why) => format!("{what} is invalid: {why}"),
        Error::Ambiguous(_) => "more than one entry matches".into(),
        Error::NoDefaultStore => "no default store".into(),
        Error::NotSupportedByStore(what) => format!("not supported: {what}"),
        Error::BadStoreFormat(what) => format!("bad store format: {what}"),
        _ => "unknown keyring error".into(),
    }
}

fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).next().unwrap_or_default().to_string()
}

fn classify(e: Error) -> SecretError {
    match e {
        Error::PlatformFailure(_) | Error::NoStorageAccess(_) => {
            SecretError::Unreachable(describe(e))
        }
        other => SecretError::Keyring(describe(other)),
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        match self.with_entry(key, |e| e.get_secret())? {
            Ok(bytes) => Ok(Some(Secret::new(bytes))),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError> {
        let value = secret.duplicate();
        self.with_entry(key, move |e| e.set_secret(value.expose()))?
            .map_err(classify)
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.with_entry(key, |e| e.delete_credential())? {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    fn place(&self, key: &str) -> String {
        format!("the keyring's entry '{key}' of service {}", super::SERVICE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_manager_targets_start_with_the_program_name() {
        assert_eq!(
            target_name("token/work"),
            "git-credential-scoped:token/work"
        );
        assert_eq!(
            target_name("credential/7"),
            "git-credential-scoped:credential/7"
        );
    }
}
