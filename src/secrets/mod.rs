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

pub use crate::registry::{valid_env_name, StoreKind};
use crate::registry::{SecretSource, Token};
use crate::secret::Secret;

/// The service name under which keyring entries are filed.
pub const SERVICE: &str = "git-credential-scoped";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring is not reachable ({0})\nhint: unlock it, or move the token's secret to a file (plaintext at rest): git credential-scoped rotate NAME --secret-store file")]
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
    #[error("the secret of token '{token}' ({origin}) {problem}; refused\nhint: {hint}")]
    Unusable {
        token: String,
        origin: String,
        problem: &'static str,
        hint: String,
    },
    #[error("the secret of token '{token}' is missing from the {store} store\nhint: run: git credential-scoped rotate {token}")]
    Missing { token: String, store: &'static str },
}

/// A place that keeps secrets under string keys.
pub trait SecretStore {
    fn get(&self, key: &str) -> Result<Option<Secret>, SecretError>;
    fn set(&self, key: &str, secret: &Secret) -> Result<(), SecretError>;
    /// Deleting a key that is not there is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// Where the secret under `key` is kept, for messages (never its value).
    fn place(&self, key: &str) -> String;
}

/// The stores of one invocation; the keyring is connected to on first use only.
pub struct Stores {
    file: FileStore,
    keyring: OnceCell<Result<KeyringStore, String>>,
}

impl Stores {
    pub fn new(data_dir: PathBuf) -> Stores {
        Stores {
            file: FileStore::new(data_dir),
            keyring: OnceCell::new(),
        }
    }

    pub fn open(&self, kind: StoreKind) -> Result<&dyn SecretStore, SecretError> {
        match kind {
            StoreKind::File => Ok(&self.file),
            StoreKind::Keyring => match self.keyring.get_or_init(KeyringStore::open) {
                Ok(k) => Ok(k),
                Err(e) => Err(SecretError::Unreachable(e.clone())),
            },
        }
    }

    /// Warning lines about repairs made while reading (a secret file readable by others),
    /// for the caller to say.
    pub fn take_warnings(&self) -> Vec<String> {
        self.file.take_warnings()
    }

    /// Whether [`Stores::token_secret`] would succeed, found out without reading from the
    /// OS keyring (which could unlock it): the environment variable is looked at, the
    /// command is run (its output dropped), the file store is read, the keyring is only
    /// connected to.
    pub fn availability(&self, token: &Token) -> Result<(), SecretError> {
        match &token.source {
            SecretSource::Store(StoreKind::Keyring) => self.open(StoreKind::Keyring).map(|_| ()),
            _ => self.token_secret(token).map(|_| ()),
        }
    }

    /// The secret of a registered token, from wherever it lives. Only called once a token
    /// has been chosen: this is the first moment the keyring is opened.
    /// Every secret handed out passes [`crate::secret::token_problem`], wherever it came from.
    pub fn token_secret(&self, token: &Token) -> Result<Secret, SecretError> {
        let (secret, origin) = self.token_secret_from(token)?;
        match crate::secret::token_problem(&secret) {
            None => Ok(secret),
            Some(problem) => Err(SecretError::Unusable {
                token: token.name.clone(),
                hint: match &token.source {
                    SecretSource::Env(var) => format!("set {var} to the token alone"),
                    SecretSource::Command(_) => {
                        "make the command print the token alone on its first line".into()
                    }
                    SecretSource::Store(_) => {
                        format!(
                            "store it again: git credential-scoped rotate {}",
                            token.name
                        )
                    }
                },
                origin,
                problem,
            }),
        }
    }

    /// The secret of a registered token as found, and where it was found.
    fn token_secret_from(&self, token: &Token) -> Result<(Secret, String), SecretError> {
        match &token.source {
            SecretSource::Env(var) => Ok((
                from_env(var, &token.name)?,
                format!("environment variable {var}"),
            )),
            SecretSource::Command(cmd) => Ok((
                run_secret_command(cmd, &token.name)?,
                "the output of its secret_command".into(),
            )),
            SecretSource::Store(kind) => {
                let store = self.open(*kind)?;
                let mut changed = None;
                for key in token.secret_keys() {
                    if let Some(secret) = store.get(&key)? {
                        // A secret found under the name alone (written by an older version)
                        // must be the one the registry names; one under its fingerprint that
                        // is not was changed or damaged where it is kept.
                        let recorded = token.fingerprint.as_deref();
                        if recorded.is_none_or(|fp| secret.fingerprint() == fp) {
                            return Ok((secret, store.place(&key)));
                        }
                        if key == token.secret_key() {
                            changed = Some(store.place(&key));
                        }
                    }
                }
                Err(match changed {
                    Some(origin) => SecretError::Unusable {
                        token: token.name.clone(),
                        origin,
                        problem: "does not match the fingerprint the registry records (changed or damaged where it is kept)",
                        hint: format!("store it again: git credential-scoped rotate {}", token.name),
                    },
                    None => SecretError::Missing {
                        token: token.name.clone(),
                        store: kind.name(),
                    },
                })
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
