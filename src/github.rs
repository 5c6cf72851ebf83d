//! Asking a GitHub host about a token (SPEC §7): `check --online`, `add --verify` and
//! `rotate --verify`. Never used on the `get` path, which does no network I/O.
//!
//! Each question is one HTTPS request with a timeout and no retries:
//! `GET {api}/repos/{owner}/{repo}` (is the repository visible to the token?),
//! `GET {api}/repos/{owner}/{repo}/commits?per_page=1` (can it read contents? a 403 naming
//! `contents` in `X-Accepted-GitHub-Permissions` says no), and on a 404 the git smart-HTTP
//! advertisement `/{owner}/{repo}.git/info/refs?service=git-upload-pack`, the host-neutral
//! read probe, which tells a wrong API base from a repository the token cannot see. Every
//! authenticated answer carries `GitHub-Authentication-Token-Expiration` when the token
//! expires (its absence from a 200 means it does not).
//!
//! TLS trusts what git trusts: the system store plus `GIT_SSL_CAINFO`, else `http.sslCAInfo`
//! from git's configuration, so a test server's certificate works the same for git and here.
//! The token travels only in the `Authorization` header (marked sensitive); no error text
//! carries it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ureq::http::HeaderValue;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::registry::HostDecl;
use crate::secret::Secret;

/// No online question waits longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const EXPIRATION_HEADER: &str = "github-authentication-token-expiration";
const ACCEPTED_HEADER: &str = "x-accepted-github-permissions";

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
    /// 404: not selected for the token, another owner, org approval pending, or no such
    /// repository. `git_read` is the status of the git read probe, when it was asked.
    NotFound { git_read: Option<u16> },
    /// 401: revoked, expired or mistyped.
    Rejected,
    /// Anything else (rate limits, server errors): the status.
    Unexpected(u16),
}

/// What the contents probe said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentsAccess {
    Readable,
    /// The repository has no commits yet (409): nothing to read, nothing wrong.
    Empty,
    /// 403 naming `contents`: the token lacks the permission. Holds what the server accepts.
    Missing {
        accepted: String,
    },
    Unexpected(u16),
}

/// The expiry the server reported on an authenticated answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExpiry {
    Never,
    At(i64),
    /// A header this program cannot read; kept out of the registry.
    Unreadable(String),
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
    /// probe, for `check --online` and for `add`/`rotate --verify`.
    pub fn problem(&self) -> Option<Problem> {
        match (&self.repo, &self.contents) {
            (RepoAccess::Rejected, _) => Some(Problem::Rejected),
            (RepoAccess::NotFound { git_read }, _) => Some(Problem::NotFound {
                git_can_read: *git_read == Some(200),
            }),
            (RepoAccess::Unexpected(s), _) | (_, Some(ContentsAccess::Unexpected(s))) => {
                Some(Problem::Unexpected(*s))
            }
            (_, Some(ContentsAccess::Missing { accepted })) => Some(Problem::NoContents {
                accepted: accepted.clone(),
            }),
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
    /// Anything else: nothing could be verified.
    Unexpected(u16),
    /// 403 naming `contents`: the token may not read the repository's contents.
    NoContents { accepted: String },
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
            .root_certs(roots(&format!("https://{}/", decl.name))?)
            .build();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(5)
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

    /// Asks about `owner/repo` with the token's secret.
    pub fn probe_repo(
        &self,
        token: &str,
        username: &str,
        secret: &Secret,
        owner: &str,
        repo: &str,
    ) -> Result<Probe, GithubError> {
        let bearer = header(token, b"Bearer ", secret.expose())?;
        let base = format!("{}/repos/{owner}/{repo}", self.api);
        let first = self.get(&base, &bearer)?;
        let expiry = first.expiry();
        let (repo_access, contents) = match first.status {
            200 => {
                let c = self.get(&format!("{base}/commits?per_page=1"), &bearer)?;
                (RepoAccess::Visible, Some(c.contents()))
            }
            404 => {
                let basic = basic_auth(token, username, secret)?;
                let url = format!(
                    "{}/{owner}/{repo}.git/info/refs?service=git-upload-pack",
                    self.web
                );
                let git_read = self.get(&url, &basic).ok().map(|r| r.status);
                (RepoAccess::NotFound { git_read }, None)
            }
            401 => (RepoAccess::Rejected, None),
            s => (RepoAccess::Unexpected(s), None),
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
        let bearer = header(token, b"Bearer ", secret.expose())?;
        let reply = self.get(&format!("{}/user", self.api), &bearer)?;
        Ok(Probe {
            api: self.api.clone(),
            repo: match reply.status {
                401 => RepoAccess::Rejected,
                _ => RepoAccess::Visible,
            },
            contents: None,
            expiry: reply.expiry(),
        })
    }

    fn get(&self, url: &str, auth: &HeaderValue) -> Result<Reply, GithubError> {
        let response = self
            .agent
            .get(url)
            .header("Authorization", auth.clone())
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .call()
            .map_err(|e| GithubError::Unreachable {
                url: url.split('?').next().unwrap_or(url).to_string(),
                reason: describe(&e),
            })?;
        let text = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Reply {
            status: response.status().as_u16(),
            expiration: text(EXPIRATION_HEADER),
            accepted: text(ACCEPTED_HEADER),
        })
    }
}

struct Reply {
    status: u16,
    expiration: Option<String>,
    accepted: Option<String>,
}

impl Reply {
    /// The token's expiry, from an answer to an accepted token. The header's absence means
    /// "no expiry" only on a 200: other answers may simply not carry it.
    fn expiry(&self) -> Option<ServerExpiry> {
        match (&self.expiration, self.status) {
            (Some(v), s) if s != 401 && s < 500 => Some(parse_expiration(v)),
            (None, 200) => Some(ServerExpiry::Never),
            _ => None,
        }
    }

    fn contents(&self) -> ContentsAccess {
        match self.status {
            200 => ContentsAccess::Readable,
            409 => ContentsAccess::Empty,
            403 => match &self.accepted {
                Some(a) if a.to_ascii_lowercase().contains("contents") => ContentsAccess::Missing {
                    accepted: a.clone(),
                },
                _ => ContentsAccess::Unexpected(403),
            },
            s => ContentsAccess::Unexpected(s),
        }
    }
}

/// `2026-12-31 12:00:00 UTC` or `2026-12-31 12:00:00 +0200`.
pub fn parse_expiration(value: &str) -> ServerExpiry {
    match crate::time::parse_timestamp(value) {
        Some(at) => ServerExpiry::At(at),
        None => ServerExpiry::Unreadable(crate::protocol::escape(value.as_bytes())),
    }
}

/// An `Authorization` value, marked sensitive so that no Debug output shows it.
fn header(token: &str, scheme: &[u8], credential: &[u8]) -> Result<HeaderValue, GithubError> {
    let printable = !credential.is_empty() && credential.iter().all(|b| (0x21..0x7f).contains(b));
    let bad = || GithubError::BadSecret {
        token: token.to_string(),
    };
    if !printable {
        return Err(bad());
    }
    let mut bytes = scheme.to_vec();
    bytes.extend_from_slice(credential);
    let value = HeaderValue::from_bytes(&bytes).map_err(|_| bad());
    zeroize::Zeroize::zeroize(&mut bytes);
    let mut value = value?;
    value.set_sensitive(true);
    Ok(value)
}

fn basic_auth(token: &str, username: &str, secret: &Secret) -> Result<HeaderValue, GithubError> {
    let mut pair = username.as_bytes().to_vec();
    pair.push(b':');
    pair.extend_from_slice(secret.expose());
    let mut encoded =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pair).into_bytes();
    zeroize::Zeroize::zeroize(&mut pair);
    let value = header(token, b"Basic ", &encoded);
    zeroize::Zeroize::zeroize(&mut encoded);
    value
}

/// The system's roots plus git's extra CA file, if any. Falls back to Mozilla's roots only
/// when the system offers none and git names no CA file.
fn roots(url: &str) -> Result<RootCerts, GithubError> {
    let mut certs: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    if let Some((path, from)) = git_ca_file(url) {
        let err = |reason: String| GithubError::CaFile {
            path: path.clone(),
            from,
            reason,
        };
        let pem = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let before = certs.len();
        for item in ureq::tls::parse_pem(&pem) {
            if let PemItem::Certificate(c) = item.map_err(|e| err(e.to_string()))? {
                certs.push(c);
            }
        }
        if certs.len() == before {
            return Err(err("it holds no PEM certificate".into()));
        }
    }
    if certs.is_empty() {
        return Ok(RootCerts::WebPki);
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// `GIT_SSL_CAINFO`, else `http.sslCAInfo` (URL-matched, `~` expanded) from git's config.
fn git_ca_file(url: &str) -> Option<(PathBuf, &'static str)> {
    if let Some(p) = std::env::var_os("GIT_SSL_CAINFO").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), "GIT_SSL_CAINFO"));
    }
    let out = Command::new("git")
        .args([
            "config",
            "--type=path",
            "--get-urlmatch",
            "http.sslcainfo",
            url,
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let path = text.trim_end_matches('\n');
    (out.status.success() && !path.is_empty()).then(|| (PathBuf::from(path), "http.sslCAInfo"))
}

/// Error text from the HTTP client, without anything a request carried.
fn describe(e: &ureq::Error) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => format!("no answer within {} s", TIMEOUT.as_secs()),
        E::HostNotFound => "the host name does not resolve".into(),
        E::ConnectionFailed => "the connection failed".into(),
        E::Io(io) => format!("{} ({:?})", io.kind(), io.kind()),
        E::Tls(what) => format!("TLS: {what}"),
        E::Rustls(r) => format!(
            "TLS: {r}; if the server uses a private CA, point GIT_SSL_CAINFO or http.sslCAInfo at it"
        ),
        E::Pem(_) => "a certificate could not be read".into(),
        E::TooManyRedirects | E::RedirectFailed => "too many or broken redirects".into(),
        E::RequireHttpsOnly(_) => "it is not https".into(),
        E::BadUri(_) => "it is not a valid URL".into(),
        E::InvalidProxyUrl | E::ConnectProxyFailed(_) => "the proxy failed".into(),
        E::Protocol(_) => "the server did not speak HTTP".into(),
        E::LargeResponseHeader(..) | E::BodyExceedsLimit(_) => "the answer was too large".into(),
        _ => "the request failed".into(),
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

    #[test]
    fn expiration_headers_in_both_forms() {
        let utc = parse_expiration("2026-12-31 12:00:00 UTC");
        assert_eq!(
            utc,
            ServerExpiry::At(crate::time::parse_timestamp("2026-12-31T12:00:00Z").unwrap())
        );
        assert_eq!(
            parse_expiration("2026-12-31 14:00:00 +0200"),
            utc,
            "the offset form names the same instant"
        );
        assert!(matches!(
            parse_expiration("soon"),
            ServerExpiry::Unreadable(_)
        ));
    }

    #[test]
    fn only_a_200_without_the_header_means_no_expiry() {
        let reply = |status, exp: Option<&str>| Reply {
            status,
            expiration: exp.map(str::to_string),
            accepted: None,
        };
        assert_eq!(reply(200, None).expiry(), Some(ServerExpiry::Never));
        assert_eq!(reply(404, None).expiry(), None);
        assert_eq!(reply(401, Some("2027-01-01 00:00:00 UTC")).expiry(), None);
        assert_eq!(
            reply(404, Some("2027-01-01 00:00:00 UTC")).expiry(),
            Some(ServerExpiry::At(
                crate::time::parse_timestamp("2027-01-01").unwrap()
            ))
        );
        assert_eq!(
            reply(403, Some("contents=read")).contents(),
            ContentsAccess::Unexpected(403)
        );
        let mut missing = reply(403, None);
        missing.accepted = Some("contents=read".into());
        assert!(matches!(missing.contents(), ContentsAccess::Missing { .. }));
    }

    #[test]
    fn basic_auth_is_user_colon_secret_in_base64() {
        let v = basic_auth("t", "x-access-token", &Secret::from_text("abc")).unwrap();
        assert_eq!(v.to_str().unwrap(), "Basic eC1hY2Nlc3MtdG9rZW46YWJj");
        assert!(v.is_sensitive());
    }

    #[test]
    fn authorization_values_are_sensitive_and_refuse_control_characters() {
        let v = header("t", b"Bearer ", b"abc").unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("abc"));
        assert!(header("t", b"Bearer ", b"a b").is_err());
        assert!(header("t", b"Bearer ", b"a\nb").is_err());
        assert!(header("t", b"Bearer ", b"").is_err());
    }
}
