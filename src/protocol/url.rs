//! A remote URL split the way git's `credential_from_url` splits it:
//! `scheme://[user[:password]@]host[:port][/path]`, with percent-escapes decoded in the user
//! name, host and path. The authority ends at the first `/`, `?` or `#` (as in git's
//! `credential_from_url` and `url_normalize`), so an `@` after one of them is never read as
//! the end of a user name: `https://evil.test#@github.com/` is a URL of `evil.test`.
//! Used for `url=` in a request, for the URLs given to `check`, and for the lines of git's
//! credential-store files that `import` reads (which carry the password too).
//!
//! # Deviation
//!
//! From gitoxide's `gix_url::parse`, on purpose (git's `credential_from_url` is the model);
//! tests/it/differential.rs compares the two on generated URLs:
//! - the host is percent-decoded and keeps its case (gix-url keeps an HTTP host's escapes
//!   and lowercases a DNS-like one), and keeps its port (`host=example.com:8443`, as git
//!   sends it; gix-url has a separate port);
//! - the path loses its leading slashes and is percent-decoded, as git's credential path;
//! - text without `scheme://` is refused (gix-url reads it as a local path).

use crate::secret::Secret;

pub struct UrlParts {
    pub protocol: String,
    pub host: String,
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
    /// What stood after the user name's `:`, decoded; never shown.
    pub password: Option<Secret>,
}

/// Splits a URL; the error text says what is wrong without repeating the URL (it may hold a
/// password).
pub fn parse_url(url: &[u8]) -> Result<UrlParts, String> {
    let sep = find(url, b"://").ok_or("is not a URL with a scheme (like https://host/path)")?;
    let scheme = &url[..sep];
    if scheme.is_empty()
        || !scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
    {
        return Err("has an invalid scheme".into());
    }
    let rest = &url[sep + 3..];
    let end = rest
        .iter()
        .position(|b| b"/?#".contains(b))
        .unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (userinfo, hostport) = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let host =
        String::from_utf8(percent_decode(hostport)).map_err(|_| "has a host that is not UTF-8")?;
    if host.is_empty() {
        return Err("has no host".into());
    }
    if host.bytes().any(|b| b < 0x21 || b == 0x7f || b == b'/') {
        return Err("has a host with spaces or control characters".into());
    }
    let (username, password) = match userinfo {
        Some(info) => {
            let (user, pass) = match info.iter().position(|&b| b == b':') {
                Some(colon) => (&info[..colon], Some(&info[colon + 1..])),
                None => (info, None),
            };
            let user = String::from_utf8(percent_decode(user))
                .map_err(|_| "has a user name that is not UTF-8")?;
            (Some(user), pass.map(|p| Secret::new(percent_decode(p))))
        }
        None => (None, None),
    };
    // git trims the slashes before the path, and keeps a `?` or `#` that ended the host.
    let start = path.iter().position(|&b| b != b'/').unwrap_or(path.len());
    let path = (start < path.len()).then(|| percent_decode(&path[start..]));
    Ok(UrlParts {
        protocol: String::from_utf8_lossy(scheme).to_ascii_lowercase(),
        host,
        path,
        username,
        password,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(input).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_user_host_port_and_path() {
        let u = parse_url(b"https://x-access-token:secret@github.com:443/alta3/labs.git").unwrap();
        assert_eq!(u.protocol, "https");
        assert_eq!(u.host, "github.com:443");
        assert_eq!(u.username.as_deref(), Some("x-access-token"));
        assert_eq!(u.password.unwrap().expose(), b"secret");
        assert_eq!(u.path.unwrap(), b"alta3/labs.git");
    }

    #[test]
    fn no_path_and_no_user_are_absent() {
        let u = parse_url(b"https://example.com").unwrap();
        assert!(u.path.is_none() && u.username.is_none());
        assert!(parse_url(b"https://example.com/").unwrap().path.is_none());
    }

    #[test]
    fn percent_escapes_are_decoded() {
        let u = parse_url(b"https://us%40er@h/a%20b").unwrap();
        assert_eq!(u.username.as_deref(), Some("us@er"));
        assert!(u.password.is_none());
        assert_eq!(u.path.unwrap(), b"a b");
        let u = parse_url(b"https://u:p%3Aw%40rd%25@h/").unwrap();
        assert_eq!(u.password.unwrap().expose(), b"p:w@rd%");
        assert_eq!(percent_decode(b"%4"), b"%4");
        assert_eq!(percent_decode(b"%zz%41"), b"%zzA");
    }

    #[test]
    fn the_host_ends_at_a_slash_question_mark_or_hash() {
        // Issue 12 #1: git and curl read these as URLs of evil.test.
        for url in [
            &b"https://evil.test#@github.com/alta3/labs"[..],
            b"https://evil.test?@github.com/alta3/labs",
            b"https://evil.test/@github.com/alta3/labs",
            b"https://u@evil.test#@github.com/alta3/labs",
        ] {
            let u = parse_url(url).unwrap();
            assert_eq!(u.host, "evil.test", "{}", String::from_utf8_lossy(url));
        }
        let u = parse_url(b"https://evil.test#@github.com/alta3/labs").unwrap();
        assert_eq!(u.path.unwrap(), b"#@github.com/alta3/labs");
        assert!(u.username.is_none());
        let u = parse_url(b"https://me@github.com//alta3/labs").unwrap();
        assert_eq!(u.path.unwrap(), b"alta3/labs");
    }

    #[test]
    fn rejects_what_is_not_a_url() {
        assert!(parse_url(b"not a url").is_err());
        assert!(parse_url(b"https:///path").is_err());
        assert!(parse_url(b"https://a%0ab/").is_err());
    }
}
