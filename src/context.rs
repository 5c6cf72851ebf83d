//! What one invocation knows about its surroundings: where the files are, the time, and the
//! secret stores (opened lazily). Also the helper's error type, which maps every failure to
//! one message without secrets and says what git should do next.

use std::path::PathBuf;

use crate::registry::cache;
use crate::registry::document::{self, DocumentMut};
use crate::registry::{config, state, ConfigError, Registry};
use crate::secrets::Stores;

pub struct Context {
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    pub now: i64,
    pub stores: Stores,
}

impl Context {
    pub fn new(config_flag: Option<&std::path::Path>) -> Result<Context, ContextError> {
        if config_flag.is_none() {
            absolute_or_unset(CONFIG_VAR)?;
        }
        absolute_or_unset(DATA_VAR)?;
        let config_path = crate::files::config_path(config_flag)?;
        let data_dir = crate::files::data_dir()?;
        Ok(Context {
            config_path,
            stores: Stores::new(data_dir.clone()),
            data_dir,
            now: crate::time::now()?,
        })
    }

    /// The whole registry, read from the config itself.
    pub fn registry(&self) -> Result<Registry, ConfigError> {
        config::load(&self.config_path)
    }

    /// The registry the helper asks its questions of ([`crate::registry::View`]): its
    /// snapshot when that is current (see [`cache`]), else the config's parse — the same
    /// answers [`Context::registry`] gives.
    pub fn cached_registry(&self) -> Result<cache::Cached, ConfigError> {
        cache::load(&self.config_path, &self.data_dir)
    }

    pub fn state(&self) -> Result<state::State, state::StateError> {
        state::load(&self.data_dir)
    }

    /// The config's lock, for changes of several steps (a secret and the registry) that
    /// must happen whole: take it, then call [`Context::edit_locked`].
    pub fn lock_config(&self) -> Result<crate::files::Lock, ConfigError> {
        document::lock(&self.config_path)
    }

    /// Edits the config under a lock the caller holds (see [`document::edit_locked`]) and
    /// refreshes the registry cache, so the next `get` does not pay for the change.
    pub fn edit_locked<T>(
        &self,
        lock: &crate::files::Lock,
        change: impl FnOnce(&mut DocumentMut, &Registry) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let edited = document::edit_locked(&self.config_path, lock, change)?;
        cache::refresh(
            &self.config_path,
            &self.data_dir,
            &edited.bytes,
            &edited.registry,
        );
        Ok(edited.result)
    }

    /// [`Context::edit_locked`] with the lock taken and released around it.
    pub fn edit_config<T>(
        &self,
        change: impl FnOnce(&mut DocumentMut, &Registry) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let lock = self.lock_config()?;
        self.edit_locked(&lock, change)
    }
}

const CONFIG_VAR: &str = "GIT_CREDENTIAL_SCOPED_CONFIG";
const DATA_VAR: &str = "GIT_CREDENTIAL_SCOPED_DATA_DIR";

/// The variable `var` names no file or an absolute one. git runs helpers in the work tree of
/// the repository it works in, so a relative path would name a file there: one the
/// repository (anyone who can push to it) chooses, a different one in each repository.
fn absolute_or_unset(var: &'static str) -> Result<(), ContextError> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) if !std::path::Path::new(&v).is_absolute() => Err(ContextError::Relative {
            var,
            path: crate::protocol::escape(v.to_string_lossy().as_bytes()),
        }),
        _ => Ok(()),
    }
}

/// What can stop an invocation before it starts: no home directory, a bad fixed clock, a
/// relative path where only an absolute one is safe.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{var} is the relative path '{path}': git runs helpers inside whichever repository it works in, so it would name a file that repository chooses; refused\nhint: set {var} to an absolute path (for example \"$HOME/...\")")]
    Relative { var: &'static str, path: String },
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error(transparent)]
    Time(#[from] crate::time::TimeError),
}

/// What git should do when the helper could not carry out a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing was said on stdout: git goes on as if this helper knew nothing.
    FallThrough,
    /// `quit=1`: git stops, with the reason on stderr.
    Stop,
}

#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error(transparent)]
    Decode(#[from] crate::protocol::DecodeError),
    #[error(transparent)]
    Encode(#[from] crate::protocol::EncodeError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    State(#[from] state::StateError),
    #[error(transparent)]
    Generic(#[from] crate::generic::GenericError),
    #[error("refused: the secret of token '{token}' could not be read, so git was told to stop: {source}")]
    Unreadable {
        token: String,
        source: crate::secrets::SecretError,
    },
}

impl HelperError {
    /// A request that could not even be read (hostile or damaged input) gets no answer at
    /// all; one that was read but cannot be decided or served safely stops git.
    pub fn next(&self) -> Next {
        match self {
            HelperError::Decode(_) | HelperError::Encode(_) => Next::FallThrough,
            HelperError::Config(_)
            | HelperError::State(_)
            | HelperError::Generic(_)
            | HelperError::Unreadable { .. } => Next::Stop,
        }
    }
}
