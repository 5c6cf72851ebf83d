//! The network side of the online questions: which certificates to trust (what git
//! trusts) and what a failed request is called in words (issue 24 #15): "could not resolve
//! HOST", "connection refused", "certificate not trusted: ...", "timed out" — never the
//! client library's internal names; and which redirects stay within the origin asked (the
//! only ones followed, with the token).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts};

use super::{GithubError, TIMEOUT};

/// The system's roots plus git's extra CA file, if any. Falls back to Mozilla's roots only
/// when the system offers none and git names no CA file.
pub(super) fn roots(url: &str) -> Result<RootCerts, GithubError> {
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

/// Error text from the HTTP client for a request to `host`, without anything a request
/// carried: what failed, in words.
pub(super) fn describe(e: &ureq::Error, host: &str) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => format!("timed out (no answer within {} s)", TIMEOUT.as_secs()),
        E::HostNotFound => format!("could not resolve {host}"),
        E::ConnectionFailed => format!("could not connect to {host}"),
        E::Io(io) => io_words(io, host),
        E::Tls(what) => format!("TLS failed: {what}"),
        E::Rustls(r) => tls_words(&format!("{r} {r:?}")),
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

fn io_words(io: &std::io::Error, host: &str) -> String {
    use std::io::ErrorKind as K;
    let text = io.to_string();
    if text.contains("certificate") {
        return tls_words(&text);
    }
    match io.kind() {
        K::ConnectionRefused => format!("connection refused by {host}"),
        K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof => {
            format!("{host} closed the connection")
        }
        K::TimedOut | K::WouldBlock => {
            format!("timed out (no answer within {} s)", TIMEOUT.as_secs())
        }
        K::HostUnreachable | K::NetworkUnreachable => format!("{host} is unreachable (no route)"),
        K::PermissionDenied => format!("not allowed to connect to {host}"),
        _ if text.contains("lookup") || text.contains("resolve") => {
            format!("could not resolve {host}")
        }
        _ => "the connection failed".into(),
    }
}

/// A TLS failure in words, from the TLS library's own text (rustls is not a direct
/// dependency; its Display names the certificate error's kind).
fn tls_words(text: &str) -> String {
    let hint = "if the server uses a private CA, point GIT_SSL_CAINFO or http.sslCAInfo at it";
    let kinds = [
        ("UnknownIssuer", "unknown issuer"),
        ("BadSignature", "bad signature"),
        ("Expired", "it has expired"),
        ("NotValidYet", "it is not valid yet"),
        ("NotValidForName", "it names another host"),
        ("Revoked", "it was revoked"),
        ("SelfSigned", "self-signed"),
    ];
    match kinds.iter().find(|(k, _)| text.contains(k)) {
        Some((_, words)) => format!("certificate not trusted: {words}; {hint}"),
        None if text.contains("certificate") => format!("certificate not trusted; {hint}"),
        None => "the TLS handshake failed".into(),
    }
}

/// `scheme://authority` of a URL, lowercased.
pub(super) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains('@'))
        .then(|| format!("{}://{}", scheme, authority).to_ascii_lowercase())
}

/// `host[:port]` of a URL, for error text.
pub(super) fn authority(url: &str) -> String {
    origin(url).map_or_else(String::new, |o| {
        o.split_once("://")
            .map_or(o.clone(), |(_, a)| a.to_string())
    })
}

/// Where a redirect from `from` to `location` leads, when that is within `from`'s origin.
pub(super) fn within_origin(from: &str, location: &str) -> Option<String> {
    let here = origin(from)?;
    let next = if location.starts_with('/') && !location.starts_with("//") {
        format!("{here}{location}")
    } else {
        location.to_string()
    };
    let valid = next.bytes().all(|b| (0x21..0x7f).contains(&b));
    (valid && origin(&next)? == here).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn failures_are_named_in_words() {
        let host = "api.example.com";
        let words = |e: ureq::Error| describe(&e, host);
        assert_eq!(
            words(ureq::Error::HostNotFound),
            "could not resolve api.example.com"
        );
        assert_eq!(
            words(ureq::Error::Io(Error::from(ErrorKind::ConnectionRefused))),
            "connection refused by api.example.com"
        );
        assert!(words(ureq::Error::Io(Error::from(ErrorKind::TimedOut))).starts_with("timed out"));
        let tls = Error::other("invalid peer certificate: UnknownIssuer");
        assert!(words(ureq::Error::Io(tls)).starts_with("certificate not trusted: unknown issuer"));
        let expired = Error::other("invalid peer certificate: Expired");
        assert!(words(ureq::Error::Io(expired)).contains("it has expired"));
    }

    #[test]
    fn redirects_are_followed_within_the_origin_only() {
        let from = "https://127.0.0.1:8443/api/v3/repos/a/b";
        assert_eq!(
            within_origin(from, "/api/v3/repos/c/d").as_deref(),
            Some("https://127.0.0.1:8443/api/v3/repos/c/d")
        );
        assert_eq!(
            within_origin(from, "https://127.0.0.1:8443/api/v3/repositories/7").as_deref(),
            Some("https://127.0.0.1:8443/api/v3/repositories/7")
        );
        for away in [
            "https://127.0.0.1:9443/api/v3/repos/c/d",
            "http://127.0.0.1:8443/api/v3/repos/c/d",
            "//evil.example/x",
            "https://127.0.0.1:8443@evil.example/x",
            "https://evil.example/",
        ] {
            assert_eq!(within_origin(from, away), None, "{away}");
        }
    }
}
