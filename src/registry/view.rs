//! The registry as `resolve` sees it, and the questions it asks of it — each rule about
//! which token is meant stated here once: which hosts are GitHub's, which tokens cover a
//! repository, what an owner's tokens cover, the token with a fingerprint, a host's default.
//! The registry comes from the config's parse or from its snapshot ([`super::cache`]); both
//! give this same value, so every question has one answer.

use super::{HostDecl, Settings, Token, GITHUB};
use crate::remote::Remote;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub settings: Settings,
    pub hosts: Vec<HostDecl>,
    pub tokens: Vec<Token>,
}

/// Which tokens a question is about: those on `host` (exactly, with its port), of `owner`
/// when given, with `fingerprint` when given, marked default when asked. Host and owner
/// compare ignoring ASCII case, as GitHub does; nothing matches by suffix or look-alike.
#[derive(Clone, Copy, Debug)]
pub struct Filter<'a> {
    pub host: &'a str,
    pub owner: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
    pub default_only: bool,
}

impl<'a> Filter<'a> {
    pub fn host(host: &'a str) -> Filter<'a> {
        Filter {
            host,
            owner: None,
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

    pub fn admits(&self, t: &Token) -> bool {
        t.host.eq_ignore_ascii_case(self.host)
            && self.owner.is_none_or(|o| t.owner.eq_ignore_ascii_case(o))
            && self
                .fingerprint
                .is_none_or(|f| t.fingerprint.as_deref() == Some(f))
            && (!self.default_only || t.default)
    }
}

impl Token {
    /// Whether this token covers `owner/repo` on `host`: the one statement of that rule —
    /// the host's token for that owner, listing the repository (ignoring ASCII case) or all.
    pub fn covers(&self, host: &str, owner: &str, repo: &str) -> bool {
        Filter::owner(host, owner).admits(self) && self.repos.covers(repo)
    }
}

impl Registry {
    /// The declaration of a GitHub host, or `None` when `host` is not a GitHub host — the
    /// one statement of that rule. Exact match (with port), ASCII case-insensitive: no
    /// suffix or look-alike matching. `github.com` is always one.
    pub fn github_host(&self, host: &str) -> Option<HostDecl> {
        if let Some(h) = self
            .hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(host))
        {
            return Some(h.clone());
        }
        host.eq_ignore_ascii_case(GITHUB).then(|| HostDecl {
            name: GITHUB.to_string(),
            api: None,
            allow_http: false,
        })
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

    /// The tokens that cover the remote's repository, in file order.
    pub fn covering<'r, 'q>(
        &'r self,
        r: &'q Remote,
    ) -> impl Iterator<Item = &'r Token> + use<'r, 'q> {
        self.tokens_where(Filter::owner(&r.host, &r.owner))
            .filter(|t| t.covers(&r.host, &r.owner, &r.repo))
    }

    /// The tokens marked default for `host`: one answers a request without a path; more
    /// than one is ambiguous and none does.
    pub fn defaults(&self, host: &str) -> Vec<&Token> {
        let filter = Filter {
            default_only: true,
            ..Filter::host(host)
        };
        self.tokens_where(filter).collect()
    }

    /// The host's single default token, if it has exactly one.
    pub fn default_of(&self, host: &str) -> Option<&Token> {
        match self.defaults(host)[..] {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The host's token whose secret has `fingerprint`, by the fingerprint the registry
    /// records.
    pub fn by_fingerprint(&self, host: &str, fingerprint: &str) -> Option<&Token> {
        let filter = Filter {
            fingerprint: Some(fingerprint),
            ..Filter::host(host)
        };
        self.tokens_where(filter).next()
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
        assert_eq!(reg.default_of("ghe.example.com").unwrap().name, "upper");
        assert_eq!(reg.defaults("GHE.EXAMPLE.COM").len(), 1);
        assert!(reg.default_of("ghe.example.com:8443").is_none());
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
