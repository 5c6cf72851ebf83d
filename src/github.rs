//! Asking a GitHub host about a token (SPEC §7): `check --online`, `add/rotate/edit
//! --verify` and `import --verify`. Never used on the `get` path, which does no network I/O.
//!
//! Each question is one HTTPS request with a timeout and no retries:
//! `GET {api}/repos/{owner}/{repo}` (is the repository visible to the token?),
//! `GET {api}/repos/{owner}/{repo}/commits?per_page=1` (can it read contents? a 403 naming
//! `contents` in `X-Accepted-GitHub-Permissions` says no), and on a 404 the git smart-HTTP
//! advertisement `/{owner}/{repo}.git/info/refs?service=git-upload-pack`, the host-neutral
//! read probe, which tells a wrong API base from a repository the token cannot see, and the
//! token's other selected repositories (none visible: approval pending). Every authenticated
//! answer carries `GitHub-Authentication-Token-Expiration` when the token expires (its
//! absence from a 200 means it does not). A 403 or 429 is read for GitHub's own reasons
//! ([`reasons`]).
//!
//! Redirects (a renamed or transferred repository answers 301) are followed only within the
//! origin asked, with the token; one to another origin is reported, never followed, so every
//! answer read here is an answer to a request that carried the token (issue 22 #6).
//!
//! TLS trusts what git trusts: the system store plus `GIT_SSL_CAINFO`, else `http.sslCAInfo`
//! from git's configuration ([`net`]). The token travels only in the `Authorization` header
//! (marked sensitive); no error text carries it, and no header value is printed raw: only
//! what was parsed from it (issue 22 #7).

mod auth;
mod net;
pub mod reasons;
mod reply;

use std::path::PathBuf;
use std::time::Duration;

use ureq::tls::TlsConfig;

use auth::{basic_auth, header, redact, Auth};
use net::{authority, within_origin};
pub use reasons::{OwnerKind, Refused};
pub use reply::parse_expiration;
use reply::Reply;

use crate::registry::HostDecl;
use crate::secret::Secret;

/// No online question waits longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const EXPIRATION_HEADER: &str = "github-authentication-token-expiration";
const ACCEPTED_HEADER: &str = "x-accepted-github-permissions";
/// Redirects followed within one origin.
const MAX_REDIRECTS: usize = 3;
/// The most of an answer's body read (the JSON message, the repository's name).
const BODY_LIMIT: u64 = 64 * 1024;
/// The most of a token's other selected repositories asked about after a 404.
const SIBLINGS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("could not reach {url}: {reason}\nhint: check the network, the proxy settings and the host's `api` in the config; online checks are never retried")]
    Unreachable { url: String, reason: String },
    #[error("the secret of token '{token}' cannot be sent in an HTTP header (it holds spaces or control characters)\nhint: run: git credential-scoped rotate {token}")]
    BadSecret { token: String },
    #[error("could not read the CA certificates in {path} (from {from}): {reason}")]
    CaFile {
        path: PathBuf,
        from: &'static str,
        reason: String,
    },
}

/// The REST API base of a GitHub host: the configured `api`, else `https://api.github.com`,
/// `https://api.SUB.ghe.com` for `SUB.ghe.com`, or `https://HOST/api/v3` (Enterprise Server).
pub fn api_base(decl: &HostDecl) -> String {
    if let Some(api) = &decl.api {
        return api.trim_end_matches('/').to_string();
    }
    let host = decl.name.to_ascii_lowercase();
    if host == crate::registry::GITHUB {
        return "https://api.github.com".into();
    }
    match host.strip_suffix(".ghe.com") {
        Some(sub) if !sub.is_empty() && !sub.contains(':') => format!("https://api.{host}"),
        _ => format!("https://{host}/api/v3"),
    }
}

/// What the server said about the repository itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoAccess {
    /// 200: the token can see it.
    Visible,
    /// 200 after a redirect within the API: the repository was renamed or transferred and
    /// is now `to` (`owner/repo`).
    Renamed { to: String },
    /// 404: not selected for the token, another owner, or no such repository. `git_read` is
    /// the status of the git read probe, when it was asked.
    NotFound { git_read: Option<u16> },
    /// 404, and none of the token's other selected repositories is visible either: an
    /// owner has most likely not approved the token yet.
    ApprovalPending,
    /// 401: revoked, expired or mistyped.
    Rejected,
    /// 403 or 429 for one of GitHub's reasons.
    Refused(Refused),
    /// A redirect to another origin: not followed (the token stays with the API's origin).
    RedirectedAway,
    /// Anything else (server errors): the status.
    Unexpected(u16),
}

/// What the contents probe said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentsAccess {
    Readable,
    /// The repository has no commits yet (409): nothing to read, nothing wrong.
    Empty,
    /// 403 naming `contents`: the token lacks the permission. Holds the permissions the
    /// server accepts, as parsed (`None` when the header could not be read).
    Missing {
        accepted: Option<String>,
    },
    /// 403 or 429 for one of GitHub's reasons.
    Refused(Refused),
    Unexpected(u16),
}

/// The expiry the server reported on an authenticated answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExpiry {
    Never,
    At(i64),
    /// A header this program cannot read; kept out of the registry, and never printed.
    Unreadable,
}

/// The answers about one token and (optionally) one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub api: String,
    pub repo: RepoAccess,
    /// Asked only when the repository is visible.
    pub contents: Option<ContentsAccess>,
    /// `None` when the answers say nothing about expiry (a 401, or a 404 without the header).
    pub expiry: Option<ServerExpiry>,
}

impl Probe {
    /// The server accepted the token (any answer but 401).
    pub fn alive(&self) -> bool {
        self.repo != RepoAccess::Rejected
    }

    /// What the answers say is wrong for the repository, if anything: the one reading of a
    /// probe, for `check --online` and for `add`/`rotate`/`edit`/`import --verify`.
    pub fn problem(&self) -> Option<Problem> {
        match (&self.repo, &self.contents) {
            (RepoAccess::Rejected, _) => Some(Problem::Rejected),
            (RepoAccess::NotFound { git_read }, _) => Some(Problem::NotFound {
                git_can_read: *git_read == Some(200),
            }),
            (RepoAccess::ApprovalPending, _) => Some(Problem::ApprovalPending),
            (RepoAccess::Refused(r), _) | (_, Some(ContentsAccess::Refused(r))) => {
                Some(Problem::Refused(r.clone()))
            }
            (RepoAccess::RedirectedAway, _) => Some(Problem::RedirectedAway),
            (RepoAccess::Unexpected(s), _) | (_, Some(ContentsAccess::Unexpected(s))) => {
                Some(Problem::Unexpected(*s))
            }
            (_, Some(ContentsAccess::Missing { accepted })) => Some(Problem::NoContents {
                accepted: accepted.clone(),
            }),
            (RepoAccess::Renamed { to }, _) => Some(Problem::Renamed { to: to.clone() }),
            (
                RepoAccess::Visible,
                None | Some(ContentsAccess::Readable | ContentsAccess::Empty),
            ) => None,
        }
    }
}

/// See [`Probe::problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// 401: revoked, expired or mistyped.
    Rejected,
    /// Not found (404); when git itself can read the repository with the token, the API
    /// base is the likelier culprit.
    NotFound { git_can_read: bool },
    /// None of the token's selected repositories is visible to it.
    ApprovalPending,
    /// One of GitHub's reasons (lifetime limit, classic ban, IP allow list, rate limit).
    Refused(Refused),
    /// The repository now lives at `to` (`owner/repo`).
    Renamed { to: String },
    /// A redirect to another origin, not followed.
    RedirectedAway,
    /// Anything else: nothing could be verified.
    Unexpected(u16),
    /// 403 naming `contents`: the token may not read the repository's contents.
    NoContents { accepted: Option<String> },
}

/// One host's client: the agent (TLS roots, timeout) and where to ask.
pub struct Client {
    agent: ureq::Agent,
    pub api: String,
    /// `https://HOST` (or `http://` for an `allow_http` host), for the git read probe.
    web: String,
}

impl Client {
    pub fn new(decl: &HostDecl) -> Result<Client, GithubError> {
        let api = api_base(decl);
        let scheme = if decl.allow_http && api.starts_with("http://") {
            "http"
        } else {
            "https"
        };
        let tls = TlsConfig::builder()
            .root_certs(net::roots(&format!("https://{}/", decl.name))?)
            .build();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(!decl.allow_http)
            .user_agent(concat!("git-credential-scoped/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            web: format!("{scheme}://{}", decl.name),
            api,
        })
    }

    /// Asks about `owner/repo` with the token's secret. After a 404, asks about up to four
    /// of `selected` (the token's other selected repositories): none visible (and at least
    /// one other asked) reads as an approval still pending.
    pub fn probe_repo(
        &self,
        token: &str,
        username: &str,
        secret: &Secret,
        owner: &str,
        repo: &str,
        selected: &[String],
    ) -> Result<Probe, GithubError> {
        let bearer = Auth {
            header: header(token, b"Bearer ", secret.expose())?,
            secret,
        };
        let base = format!("{}/repos/{owner}/{repo}", self.api);
        let first = self.get(&base, &bearer)?;
        let expiry = first.expiry();
        let (repo_access, contents) = match first.status {
            200 => {
                let c = self.get(&format!("{base}/commits?per_page=1"), &bearer)?;
                (first.visible(owner, repo), Some(c.contents()))
            }
            404 => {
                let basic = Auth {
                    header: basic_auth(token, username, secret)?,
                    secret,
                };
                let url = format!(
                    "{}/{owner}/{repo}.git/info/refs?service=git-upload-pack",
                    self.web
                );
                let git_read = self.get(&url, &basic).ok().map(|r| r.status);
                let others: Vec<&String> = selected
                    .iter()
                    .filter(|r| !r.eq_ignore_ascii_case(repo))
                    .take(SIBLINGS)
                    .collect();
                let mut pending = git_read != Some(200);
                let mut others_asked = 0;
                for other in others {
                    others_asked += 1;
                    if !pending {
                        break;
                    }
                    let url = format!("{}/repos/{owner}/{other}", self.api);
                    pending = self.get(&url, &bearer)?.status == 404;
                }
                // One repository alone proves nothing: it may simply not be selected.
                match pending && others_asked > 0 {
                    true => (RepoAccess::ApprovalPending, None),
                    false => (RepoAccess::NotFound { git_read }, None),
                }
            }
            401 => (RepoAccess::Rejected, None),
            _ => (first.other(), None),
        };
        Ok(Probe {
            api: self.api.clone(),
            repo: repo_access,
            contents,
            expiry,
        })
    }

    /// Asks only whether the token is alive (and when it expires): `GET {api}/user`, for a
    /// token of all repositories when no repository is named.
    pub fn probe_token(&self, token: &str, secret: &Secret) -> Result<Probe, GithubError> {
        let bearer = Auth {
            header: header(token, b"Bearer ", secret.expose())?,
            secret,
        };
        let reply = self.get(&format!("{}/user", self.api), &bearer)?;
        Ok(Probe {
            api: self.api.clone(),
            repo: match reply.status {
                401 => RepoAccess::Rejected,
                403 | 429 => reply.other(),
                _ => RepoAccess::Visible,
            },
            contents: None,
            expiry: reply.expiry(),
        })
    }

    /// One GET with the credentials, following redirects within the origin asked (with the
    /// credentials) and never to another one.
    fn get(&self, url: &str, auth: &Auth) -> Result<Reply, GithubError> {
        let mut url = url.to_string();
        let mut redirected = false;
        for _ in 0..=MAX_REDIRECTS {
            let mut response = self
                .agent
                .get(&url)
                .header("Authorization", auth.header.clone())
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .call()
                .map_err(|e| GithubError::Unreachable {
                    url: url.split('?').next().unwrap_or(&url).to_string(),
                    reason: net::describe(&e, &authority(&url)),
                })?;
            let status = response.status().as_u16();
            let text = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                match text("location").and_then(|l| within_origin(&url, &l)) {
                    Some(next) => {
                        url = next;
                        redirected = true;
                        continue;
                    }
                    None => return Ok(Reply::away(status)),
                }
            }
            let hints = reasons::Hints {
                ratelimit_remaining: text("x-ratelimit-remaining"),
                ratelimit_reset: text("x-ratelimit-reset"),
                retry_after: text("retry-after"),
            };
            let (expiration, accepted) = (text(EXPIRATION_HEADER), text(ACCEPTED_HEADER));
            let body = match status {
                200 | 403 | 429 => response
                    .body_mut()
                    .with_config()
                    .limit(BODY_LIMIT)
                    .read_to_string()
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Ok(Reply {
                status,
                expiration,
                accepted,
                hints,
                body: redact(body, auth),
                redirected,
                away: false,
            });
        }
        Ok(Reply::away(310))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(name: &str, api: Option<&str>) -> HostDecl {
        HostDecl {
            name: name.into(),
            api: api.map(str::to_string),
            allow_http: false,
        }
    }

    #[test]
    fn api_bases() {
        assert_eq!(
            api_base(&decl("github.com", None)),
            "https://api.github.com"
        );
        assert_eq!(
            api_base(&decl("acme.ghe.com", None)),
            "https://api.acme.ghe.com"
        );
        assert_eq!(
            api_base(&decl("ghe.example.com:8443", None)),
            "https://ghe.example.com:8443/api/v3"
        );
        assert_eq!(
            api_base(&decl("x", Some("https://127.0.0.1:9/api/v3/"))),
            "https://127.0.0.1:9/api/v3"
        );
    }
}
