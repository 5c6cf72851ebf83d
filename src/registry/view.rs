//! The registry as `resolve` sees it ([`View`]), and the questions it asks of it — each rule
//! about which token is meant stated here once: which hosts are GitHub's, which tokens cover
//! a repository, what an owner's tokens cover, the token with a fingerprint, a host's
//! default. The parsed config ([`Registry`]) and its snapshot ([`super::cache::Snapshot`],
//! which parses only the lines a question admits) answer alike.

use std::convert::Infallible;

use super::{HostDecl, Settings, Token, GITHUB};
use crate::remote::Remote;

/// What `resolve` asks of a registry. An implementation answers one primitive — the
/// tokens a [`Filter`] admits, in file order — and the questions are built on it here.
pub trait View {
    /// What reading a token can fail with (nothing, for a parsed registry).
    type Error;

    fn settings(&self) -> &Settings;
    fn hosts(&self) -> &[HostDecl];
    /// The tokens `filter` admits, in file order.
    fn tokens(&self, filter: Filter) -> Result<Vec<Token>, Self::Error>;

    /// See [`github_host`].
    fn github_host(&self, host: &str) -> Option<HostDecl> {
        github_host(self.hosts(), host)
    }

    /// The tokens that cover the remote's repository ([`Token::covers`]), in file order.
    fn covering(&self, r: &Remote) -> Result<Vec<Token>, Self::Error> {
        self.tokens(Filter::covering(&r.host, &r.owner, &r.repo))
    }

    /// The host's single default token, if it has exactly one: one answers a request
    /// without a path; more than one is ambiguous and none does.
    fn default_of(&self, host: &str) -> Result<Option<Token>, Self::Error> {
        let mut found = self.tokens(Filter::defaults(host))?;
        Ok((found.len() == 1).then(|| found.remove(0)))
    }

    /// The host's token whose secret has `fingerprint`, by the fingerprint it records.
    fn by_fingerprint(&self, host: &str, fingerprint: &str) -> Result<Option<Token>, Self::Error> {
        let filter = Filter {
            fingerprint: Some(fingerprint),
            ..Filter::host(host)
        };
        Ok(self.tokens(filter)?.into_iter().next())
    }
}

/// The declaration of a GitHub host among `hosts`, or `None` when `host` is not a GitHub
/// host — the one statement of that rule. Exact match (with port), ASCII case-insensitive:
/// no suffix or look-alike matching. `github.com` is always one.
pub fn github_host(hosts: &[HostDecl], host: &str) -> Option<HostDecl> {
    if let Some(h) = hosts.iter().find(|h| h.name.eq_ignore_ascii_case(host)) {
        return Some(h.clone());
    }
    host.eq_ignore_ascii_case(GITHUB).then(|| HostDecl {
        name: GITHUB.to_string(),
        api: None,
        allow_http: false,
    })
}

impl View for Registry {
    type Error = Infallible;

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn hosts(&self) -> &[HostDecl] {
        &self.hosts
    }

    fn tokens(&self, filter: Filter) -> Result<Vec<Token>, Infallible> {
        Ok(self.tokens_where(filter).cloned().collect())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub settings: Settings,
    pub hosts: Vec<HostDecl>,
    pub tokens: Vec<Token>,
}

/// Which tokens a question is about: those on `host` (exactly, with its port), of `owner`
/// when given, covering `repo` when given ([`Repos::covers`]), with `fingerprint` when
/// given, marked default when asked. Host and owner compare ignoring ASCII case, as GitHub
/// does; nothing matches by suffix or look-alike.
#[derive(Clone, Copy, Debug)]
pub struct Filter<'a> {
    pub host: &'a str,
    pub owner: Option<&'a str>,
    pub repo: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
    pub default_only: bool,
}

impl<'a> Filter<'a> {
    pub fn host(host: &'a str) -> Filter<'a> {
        Filter {
            host,
            owner: None,
            repo: None,
            fingerprint: None,
            default_only: false,
        }
    }

    pub fn owner(host: &'a str, owner: &'a str) -> Filter<'a> {
        Filter {
            owner: Some(owner),
            ..Filter::host(host)
        }
    }

    /// The tokens that cover `owner/repo` on `host` (see [`Token::covers`]).
    pub fn covering(host: &'a str, owner: &'a str, repo: &'a str) -> Filter<'a> {
        Filter {
            repo: Some(repo),
            ..Filter::owner(host, owner)
        }
    }

    /// The host's tokens marked default.
    pub fn defaults(host: &'a str) -> Filter<'a> {
        Filter {
            default_only: true,
            ..Filter::host(host)
        }
    }

    pub fn admits(&self, t: &Token) -> bool {
        self.admits_fields(
            t.host.as_bytes(),
            t.owner.as_bytes(),
            t.fingerprint.as_deref().map(str::as_bytes),
            t.default,
        ) && self.repo.is_none_or(|r| t.repos.covers(r))
    }

    /// Whether a token of `owner` may be admitted: the first check, alone enough to pass
    /// over most lines of a snapshot.
    pub fn admits_owner(&self, owner: &[u8]) -> bool {
        self.owner
            .is_none_or(|o| owner.eq_ignore_ascii_case(o.as_bytes()))
    }

    /// [`Filter::admits`] for a token given by these fields alone (a snapshot's line; its
    /// repositories are asked apart, with [`Filter::admits_repos`]).
    pub fn admits_fields(
        &self,
        host: &[u8],
        owner: &[u8],
        fingerprint: Option<&[u8]>,
        default: bool,
    ) -> bool {
        self.admits_owner(owner)
            && host.eq_ignore_ascii_case(self.host.as_bytes())
            && self
                .fingerprint
                .is_none_or(|f| fingerprint == Some(f.as_bytes()))
            && (!self.default_only || default)
    }
}

impl Filter<'_> {
    /// Whether a token whose repositories are `names` (none: all) may be admitted — the
    /// snapshot asks this before it reads a line whole.
    pub fn admits_repos<S: AsRef<[u8]>>(&self, names: Option<impl Iterator<Item = S>>) -> bool {
        match (self.repo, names) {
            (None, _) | (_, None) => true,
            (Some(r), Some(mut names)) => names.any(|n| super::listed(n.as_ref(), r)),
        }
    }
}

impl Token {
    /// Whether this token covers `owner/repo` on `host`: the one statement of that rule —
    /// the host's token for that owner, listing the repository (ignoring ASCII case) or all.
    pub fn covers(&self, host: &str, owner: &str, repo: &str) -> bool {
        Filter::covering(host, owner, repo).admits(self)
    }
}

impl Registry {
    /// See [`github_host`] (also [`View::github_host`]).
    pub fn github_host(&self, host: &str) -> Option<HostDecl> {
        github_host(&self.hosts, host)
    }

    pub fn token(&self, name: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.name == name)
    }

    /// The tokens `filter` admits, in file order.
    pub fn tokens_where<'r, 'f>(
        &'r self,
        filter: Filter<'f>,
    ) -> impl Iterator<Item = &'r Token> + use<'r, 'f> {
        self.tokens.iter().filter(move |t| filter.admits(t))
    }

    /// The tokens marked default for `host` (see [`View::default_of`]).
    pub fn defaults(&self, host: &str) -> Vec<&Token> {
        self.tokens_where(Filter::defaults(host)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Expiry, Repos};

    fn tok(name: &str, host: &str, owner: &str, default: bool) -> Token {
        Token {
            host: host.into(),
            default,
            ..Token::sample(name, owner, Repos::list(&["labs"]), Expiry::Never)
        }
    }

    #[test]
    fn a_hosts_default_is_found_whatever_the_case_of_its_name() {
        // `add` compared hosts case-sensitively: a token whose host was written in capitals
        // was not seen as the host's default.
        let reg = Registry {
            tokens: vec![
                tok("upper", "GHE.Example.com", "o", true),
                tok("other", "github.com", "o", true),
            ],
            ..Registry::default()
        };
        let Ok(found) = reg.default_of("ghe.example.com");
        assert_eq!(found.unwrap().name, "upper");
        assert_eq!(reg.defaults("GHE.EXAMPLE.COM").len(), 1);
        let Ok(none) = reg.default_of("ghe.example.com:8443");
        assert!(none.is_none());
    }

    #[test]
    fn covering_is_exact_on_host_and_owner_and_blind_to_case() {
        let t = tok("t", "ghe.test:8443", "Alta3", false);
        assert!(t.covers("GHE.test:8443", "alta3", "LABS"));
        for (h, o, r) in [
            ("ghe.test", "alta3", "labs"),
            ("ghe.test:8443", "alta", "labs"),
            ("ghe.test:8443", "alta3", "lab"),
        ] {
            assert!(!t.covers(h, o, r), "{h} {o} {r}");
        }
    }
}
