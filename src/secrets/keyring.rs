//! The OS keyring through the keyring project's crates: Secret Service over D-Bus on Linux
//! (no libdbus needed at run time), Keychain on macOS, Credential Manager on Windows.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};

use super::{SecretError, SecretStore, SERVICE};
use crate::secret::Secret;

pub struct KeyringStore {
    store: Arc<CredentialStore>,
}

impl KeyringStore {
    /// Connects to the platform's store. The error is a short description without secrets.
    pub fn open() -> Result<KeyringStore, String> {
        platform_store()
            .map(|store| KeyringStore { store })
            .map_err(describe)
    }

    fn entry(&self, key: &str) -> Result<Entry, SecretError> {
        build_entry(self.store.as_ref(), key).map_err(classify)
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

impl SecretStore for &KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(key)?.get_secret() {
            Ok(bytes) => Ok(Some(Secret::new(bytes))),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError> {
        self.entry(key)?
            .set_secret(secret.expose())
            .map_err(classify)
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
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
