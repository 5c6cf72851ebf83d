//! GitHub's own reasons to refuse a valid token, as GitHub words them (issue 23): an
//! owner's lifetime limit for fine-grained tokens (measured against the token's lifetime,
//! its expiry minus its creation), a ban on classic tokens, an IP allow list, rate limiting,
//! and renamed repositories (301 to the new location). Also a public repository (answers
//! without a token) and a server that echoes the `Authorization` header into the headers a
//! client reads (a hostile server, for tests that no client prints it).

use std::collections::HashMap;

use crate::http::Response;
use crate::TokenSpec;

/// What an owner (organization) enforces on the tokens that reach its repositories.
#[derive(Clone, Debug, Default)]
pub struct OwnerPolicy {
    /// Refuse fine-grained tokens whose lifetime is longer than this many days (a token
    /// without expiry is always longer).
    pub max_lifetime_days: Option<u32>,
    /// The enterprise that set the limit (GitHub then names it: `The 'NAME' enterprise ...`);
    /// `None` = the organization itself.
    pub enterprise: Option<String>,
    /// Refuse personal access tokens (classic).
    pub classic_banned: bool,
    /// An IP allow list that does not hold 127.0.0.1.
    pub ip_allow_list: bool,
    /// Any other 403, with this message (raw: a test may put control characters in it).
    pub other_403: Option<String>,
}

/// The server's extra behaviours, set by the test through [`crate::TestServer`].
#[derive(Default)]
pub(crate) struct Extras {
    /// By lowercased owner.
    pub(crate) owners: HashMap<String, OwnerPolicy>,
    /// (old owner, old repo) lowercased -> (new owner, new repo).
    pub(crate) renamed: HashMap<(String, String), (String, String)>,
    /// (owner, repo) lowercased, visible to anyone through the REST API.
    pub(crate) public: Vec<(String, String)>,
    /// Echo the `Authorization` header into the expiration and permissions headers.
    pub(crate) echo_authorization: bool,
    /// (owner, repo) lowercased -> an absolute URL elsewhere the REST API redirects to.
    pub(crate) away: HashMap<(String, String), String>,
}

fn key(owner: &str, repo: &str) -> (String, String) {
    (owner.to_ascii_lowercase(), repo.to_ascii_lowercase())
}

impl Extras {
    pub(crate) fn moved(&self, owner: &str, repo: &str) -> Option<(String, String)> {
        self.renamed.get(&key(owner, repo)).cloned()
    }

    pub(crate) fn away(&self, owner: &str, repo: &str) -> Option<String> {
        self.away.get(&key(owner, repo)).cloned()
    }

    pub(crate) fn is_public(&self, owner: &str, repo: &str) -> bool {
        self.public.contains(&key(owner, repo))
    }

    /// The refusal of a valid token for `owner`'s resources, if any: rate limit (REST
    /// only), IP allow list, classic ban, lifetime limit — with GitHub's texts.
    pub(crate) fn refusal(&self, spec: &TokenSpec, owner: &str, rest: bool) -> Option<Response> {
        if let (Some(wait), true) = (spec.rate_limited, rest) {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                + wait;
            return Some(
                crate::route::json_message(
                    403,
                    "API rate limit exceeded for user ID 1.",
                    "/overview/rate-limits-for-the-rest-api",
                )
                .with_header("X-RateLimit-Limit", "5000")
                .with_header("X-RateLimit-Remaining", "0")
                .with_header("X-RateLimit-Reset", &reset.to_string())
                .with_header("Retry-After", &wait.to_string()),
            );
        }
        let policy = self.owners.get(&owner.to_ascii_lowercase())?;
        let message = if let Some(m) = &policy.other_403 {
            m.clone()
        } else if policy.ip_allow_list {
            format!("Although you appear to have the correct authorization credentials, the `{owner}` organization has an IP allow list enabled, and 127.0.0.1 is not permitted to access this resource.")
        } else if policy.classic_banned && spec.classic {
            format!("`{owner}` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.")
        } else {
            let limit = policy.max_lifetime_days?;
            if spec.classic || spec.lifetime_days.is_some_and(|d| d <= limit) {
                return None;
            }
            let who = match &policy.enterprise {
                Some(e) => format!("The '{e}' enterprise"),
                None => format!("The '{owner}' organization"),
            };
            format!("{who} forbids access via a fine-grained personal access tokens if the token's lifetime is greater than {limit} days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/{}", spec.settings_id)
        };
        Some(match rest {
            true => crate::route::json_message(403, &message, ""),
            false => Response::text(403, &message),
        })
    }
}

/// The headers a hostile server fills with the `Authorization` value it received.
pub(crate) fn echo(resp: &mut Response, authorization: &str) {
    resp.headers.retain(|(n, _)| {
        !n.eq_ignore_ascii_case("GitHub-Authentication-Token-Expiration")
            && !n.eq_ignore_ascii_case("X-Accepted-GitHub-Permissions")
    });
    for name in [
        "GitHub-Authentication-Token-Expiration",
        "X-Accepted-GitHub-Permissions",
    ] {
        resp.headers.push((name.into(), authorization.to_string()));
    }
}
