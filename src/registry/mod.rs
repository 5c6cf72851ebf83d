//! The registry: what the user told us about their tokens and hosts (`config.toml`), what we
//! learned while running (`state`: last use, rejected marks), and the index of generic
//! credentials for every other host. None of these files holds a secret.

pub mod cache;
pub mod config;
pub mod credentials;
pub mod document;
pub mod learned;
pub mod state;
pub mod view;

pub use config::ConfigError;
pub use view::{Filter, Registry, View};

/// Where a secret the program was given is kept: the OS keyring or the plaintext file
/// store (see [`crate::secrets`], which opens them).
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

/// An environment variable name a shell can set (`secret_env`): letters, digits and `_`,
/// not starting with a digit.
pub fn valid_env_name(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && s.len() <= 128
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `github.com` is always a GitHub host; others are declared with `[[host]]`.
pub const GITHUB: &str = "github.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

impl Access {
    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "none" => Some(Access::None),
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Access::None => "none",
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repos {
    All,
    /// Repository names as the user wrote them; compared case-insensitively.
    List(Vec<String>),
}

/// Whether the repository listed as `name` is `repo`: GitHub's names compare ignoring
/// ASCII case.
pub fn listed(name: &[u8], repo: &str) -> bool {
    let repo = repo.as_bytes();
    // The last bytes first: names of one owner often share a prefix, and a `get` asks this
    // of every name its owner's tokens list.
    name.len() == repo.len()
        && name.last().map(u8::to_ascii_lowercase) == repo.last().map(u8::to_ascii_lowercase)
        && name.eq_ignore_ascii_case(repo)
}

impl Repos {
    /// Whether `repo` is one of the repositories, ignoring ASCII case (see
    /// [`Token::covers`], the whole rule).
    pub fn covers(&self, repo: &str) -> bool {
        match self {
            Repos::All => true,
            Repos::List(list) => list.iter().any(|n| listed(n.as_bytes(), repo)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Repos::All => "all".to_string(),
            Repos::List(list) => list.join(", "),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    /// Unix seconds.
    At(i64),
    /// Not told: treated as valid, shown as unknown, flagged by `doctor`.
    Unknown,
}

impl Expiry {
    /// Unix seconds, when known (what git receives as `password_expiry_utc`).
    pub fn timestamp(self) -> Option<u64> {
        match self {
            Expiry::At(at) => u64::try_from(at).ok().filter(|&t| t > 0),
            Expiry::Never | Expiry::Unknown => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    Store(StoreKind),
    Env(String),
    Command(String),
}

impl SecretSource {
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Store(k) => k.name().to_string(),
            SecretSource::Env(v) => format!("env {v}"),
            SecretSource::Command(_) => "command".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub name: String,
    pub host: String,
    pub owner: String,
    pub repos: Repos,
    pub contents: Access,
    /// Other permissions as recorded (`metadata = "read"`, ...), for display only.
    pub other_permissions: Vec<(String, Access)>,
    pub expires: Expiry,
    pub username: Option<String>,
    pub source: SecretSource,
    pub default: bool,
    /// `sha256:...` of the secret, so that `list` never opens the keyring and `store`/`erase`
    /// recognise a token that git hands back.
    pub fingerprint: Option<String>,
}

impl Token {
    /// Where this token's secret is kept in a secret store: under its name and fingerprint,
    /// so a new secret (`rotate`) is written beside the old one and the registry switches
    /// to it in one atomic write of the config; the old one is deleted after.
    pub fn secret_key(&self) -> String {
        match &self.fingerprint {
            Some(fp) => format!("token/{}/{fp}", self.name),
            None => format!("token/{}", self.name),
        }
    }

    /// The keys to look the secret up under: [`Token::secret_key`], then the name alone,
    /// where versions before 0.2 kept it.
    pub fn secret_keys(&self) -> Vec<String> {
        let legacy = format!("token/{}", self.name);
        let key = self.secret_key();
        if key == legacy {
            vec![key]
        } else {
            vec![key, legacy]
        }
    }

    pub fn permissions_text(&self) -> String {
        let mut parts = vec![format!("contents={}", self.contents.name())];
        for (k, v) in &self.other_permissions {
            parts.push(format!("{k}={}", v.name()));
        }
        parts.join(",")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExpired {
    Refuse,
    Warn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub warn_days: i64,
    pub on_expired: OnExpired,
    pub secret_store: Option<StoreKind>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            warn_days: 7,
            on_expired: OnExpired::Refuse,
            secret_store: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDecl {
    /// As git sends it: with `:port` when not the default.
    pub name: String,
    pub api: Option<String>,
    pub allow_http: bool,
}

impl HostDecl {
    /// The one statement of which protocols a GitHub host takes tokens over: https, and
    /// plain http only where the config allows it (loopback test servers).
    pub fn accepts(&self, protocol: &str) -> bool {
        protocol == "https" || (protocol == "http" && self.allow_http)
    }
}

/// Permission names as GitHub writes them: lowercase letters and `_` (`contents`,
/// `pull_requests`).
pub fn valid_permission_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Tokens for unit tests: read access, secret in the file store, not a default, no
/// fingerprint; a test sets what it is about.
#[cfg(test)]
impl Token {
    pub fn sample(name: &str, owner: &str, repos: Repos, expires: Expiry) -> Token {
        Token {
            name: name.into(),
            host: GITHUB.into(),
            owner: owner.into(),
            repos,
            contents: Access::Read,
            other_permissions: vec![],
            expires,
            username: None,
            source: SecretSource::Store(StoreKind::File),
            default: false,
            fingerprint: None,
        }
    }
}

#[cfg(test)]
impl Repos {
    pub fn list(names: &[&str]) -> Repos {
        Repos::List(names.iter().map(|s| s.to_string()).collect())
    }
}
