//! What one invocation knows about its surroundings: where the files are, the time, and the
//! secret stores (opened lazily). Also the helper's error type, which maps every failure to
//! one message without secrets.

use std::path::PathBuf;

use crate::registry::{config, state, ConfigError, Registry};
use crate::secrets::Stores;

pub struct Context {
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    pub now: i64,
    pub stores: Stores,
}

impl Context {
    pub fn new(config_flag: Option<&std::path::Path>) -> Result<Context, crate::files::FileError> {
        let config_path = crate::files::config_path(config_flag)?;
        let data_dir = crate::files::data_dir()?;
        Ok(Context {
            config_path,
            stores: Stores::new(data_dir.clone()),
            data_dir,
            now: crate::time::now(),
        })
    }

    pub fn registry(&self) -> Result<Registry, ConfigError> {
        config::load(&self.config_path)
    }

    /// The registry as far as a request for `host` (and `owner`) needs it: what `resolve`,
    /// `store` and `erase` look at, read from the compiled cache when it is current.
    pub fn registry_for(&self, host: &str, owner: Option<&str>) -> Result<Registry, ConfigError> {
        crate::registry::cache::load_for(
            &self.config_path,
            &self.data_dir,
            crate::registry::cache::Want { host, owner },
        )
    }

    pub fn state(&self) -> Result<state::State, state::StateError> {
        state::load(&self.data_dir)
    }
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
    Index(#[from] crate::registry::credentials::IndexError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("the secret of token '{token}' is missing from the {store} store\nhint: run: git credential-scoped rotate {token}")]
    MissingSecret { token: String, store: &'static str },
}
