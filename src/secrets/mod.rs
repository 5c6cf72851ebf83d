//! Where secrets live. Two stores keep secrets the program was given — the OS keyring
//! (default) and an explicit plaintext `file` store for headless machines — behind one
//! [`SecretStore`] trait; two sources produce a token at use time and never store it
//! (`secret_env`, `secret_command`).
//!
//! The keyring is opened lazily: nothing connects to it until a secret is actually needed,
//! so `list`, `check` and a `get` that matches nothing never unlock it. When it cannot be
//! reached we say so and name the alternatives; we never fall back to plaintext silently.

mod command;
mod file;
mod keyring;

use std::cell::OnceCell;
use std::path::PathBuf;

pub use command::run_secret_command;
pub use file::FileStore;
pub use keyring::KeyringStore;

use crate::secret::Secret;

/// The service name under which keyring entries are filed.
pub const SERVICE: &str = "git-credential-scoped";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    Keyring,
    File,
}

impl StoreKind {
    pub fn parse(s: &str) -> Option<StoreKind> {
        match s {
            "keyring" => Some(StoreKind::Keyring),
            "file" => Some(StoreKind::File),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not reachable ({0})\nhint: unlock it, or choose another secret store: GIT_CREDENTIAL_SCOPED_SECRET_STORE=file (plaintext at rest, like git's credential-store), or --secret-env VAR / --secret-command CMD per token")]
    Unreachable(String),
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    #[error(
        "the secret store file {path} is damaged at line {line}\nhint: fix or remove that line"
    )]
    Damaged { path: PathBuf, line: usize },
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error(
        "environment variable {var} is not set or empty (it holds the secret of token '{token}')"
    )]
    EnvMissing { var: String, token: String },
    #[error("the secret command of token '{token}' {problem}")]
    Command { token: String, problem: String },
    #[error("GIT_CREDENTIAL_SCOPED_SECRET_STORE must be 'keyring' or 'file'")]
    BadSelection,
}

/// A place that keeps secrets under string keys.
pub trait SecretStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError>;
    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError>;
    /// Deleting a key that is not there is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
}

/// The stores of one invocation, opened on first use.
pub struct Stores {
    data_dir: PathBuf,
    keyring: OnceCell<Result<KeyringStore, String>>,
}

impl Stores {
    pub fn new(data_dir: PathBuf) -> Stores {
        Stores {
            data_dir,
            keyring: OnceCell::new(),
        }
    }

    pub fn open(&self, kind: StoreKind) -> Result<Box<dyn SecretStore + '_>, SecretError> {
        match kind {
            StoreKind::File => Ok(Box::new(FileStore::new(self.data_dir.clone()))),
            StoreKind::Keyring => {
                let store = self.keyring.get_or_init(KeyringStore::open);
                match store {
                    Ok(k) => Ok(Box::new(k)),
                    Err(e) => Err(SecretError::Unreachable(e.clone())),
                }
            }
        }
    }
}

/// The store for new secrets: `GIT_CREDENTIAL_SCOPED_SECRET_STORE`, else the config's
/// `secret_store` setting, else the keyring.
pub fn default_kind(configured: Option<StoreKind>) -> Result<StoreKind, SecretError> {
    match std::env::var("GIT_CREDENTIAL_SCOPED_SECRET_STORE") {
        Ok(v) if !v.is_empty() => StoreKind::parse(&v).ok_or(SecretError::BadSelection),
        _ => Ok(configured.unwrap_or(StoreKind::Keyring)),
    }
}

/// Reads a secret from an environment variable at use time.
pub fn from_env(var: &str, token: &str) -> Result<Secret, SecretError> {
    let missing = || SecretError::EnvMissing {
        var: var.to_string(),
        token: token.to_string(),
    };
    let value = std::env::var_os(var).ok_or_else(missing)?;
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStringExt::into_vec(value);
    #[cfg(not(unix))]
    let bytes = value.to_string_lossy().into_owned().into_bytes();
    let secret = Secret::new(bytes).trimmed();
    if secret.is_empty() {
        return Err(missing());
    }
    Ok(secret)
}
