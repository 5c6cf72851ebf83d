//! Whether a `credential.<url>.*` entry applies to a host, matched the way git does
//! (git-config(1) `credential.<url>.*`, gitcredentials(7) "CONFIGURATION", git's urlmatch.c
//! and credential.c). Kept apart and pure because getting it wrong either hides a helper
//! that git runs or reports one it never does; `tests/it/doctor.rs`
//! (`doctor_agrees_with_gits_own_url_matching`) compares it with what git itself runs.
//!
//! git first normalizes a key that has a scheme (`url_normalize`): scheme and host
//! lowercased, one trailing dot of the host dropped, an empty port or the scheme's default
//! one (`:443`, `:0443`) dropped, percent-escapes of unreserved characters decoded and
//! `.`/`..` path segments resolved. Then the host matches label by label, where a label
//! `*` (and only a whole label) matches any one label; the path of the key is a prefix of
//! the request's at a `/`; a user name in the key must be the request's. A key git cannot
//! normalize (no scheme, like `github.com` or `*.com`; a port out of range) is read as a
//! partial URL instead and compared as it is: host (with its port) and path exactly,
//! case-sensitive, any scheme when it names none.

use crate::protocol::escape;

/// Whether a `credential.<pattern>.*` entry applies to `SCHEME://HOST/`. `Some(cond)` when
/// it applies only to some URLs of the host (a path, a user name), described for people.
pub fn applies(pattern: &str, scheme: &str, host: &str) -> Option<Option<String>> {
    let want = match pattern.contains("://") {
        true => normalize(pattern),
        false => None,
    };
    let Some(want) = want else {
        return partial(pattern, scheme, host);
    };
    let (req_host, req_port) = split_port(host, scheme)?;
    if want.never
        || want.scheme != scheme
        || want.port != req_port
        || !host_matches(&want.host, &req_host)
    {
        return None;
    }
    Some(match (want.user, want.path.trim_matches('/')) {
        (Some(u), _) => Some(format!("user '{}'", escape(u.as_bytes()))),
        (None, "") => None,
        (None, path) => Some(format!("URLs under /{}", escape(path.as_bytes()))),
    })
}

/// A key as git's `url_normalize` leaves it.
struct Normal {
    scheme: String,
    user: Option<String>,
    host: String,
    /// `None` for the scheme's default port.
    port: Option<u32>,
    path: String,
    /// A query or fragment: a request URL has neither, so nothing matches.
    never: bool,
}

fn normalize(url: &str) -> Option<Normal> {
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, hostport) = match authority.find('@') {
        Some(at) => {
            let info = &authority[..at];
            let name = info.split(':').next().unwrap_or("");
            (
                Some(String::from_utf8_lossy(&unescape(name)?).into_owned()),
                &authority[at + 1..],
            )
        }
        None => (None, authority),
    };
    let (host, port) = split_port(hostport, &scheme)?;
    let never = tail.contains(['?', '#']);
    Some(Normal {
        scheme,
        user,
        host,
        port,
        path: normalize_path(tail)?,
        never,
    })
}

/// `HOST[:PORT]` as git normalizes it: host lowercased, one trailing dot dropped; the port
/// `None` when empty or the scheme's default, `?` (git refuses the URL) when it is not a
/// number from 1 to 65535.
fn split_port(hostport: &str, scheme: &str) -> Option<(String, Option<u32>)> {
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport[i..].contains(']') => (&hostport[..i], Some(&hostport[i + 1..])),
        _ => (hostport, None),
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 10 => {
            let n: u32 = p.parse().ok()?;
            let default = match scheme {
                "http" => Some(80),
                "https" => Some(443),
                _ => None,
            };
            match n {
                0 | 65536.. => return None,
                n if Some(n) == default => None,
                n => Some(n),
            }
        }
        Some(_) => return None,
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    (!host.is_empty()).then_some((host, port))
}

/// The path with unreserved characters' escapes decoded and `.`/`..` segments resolved.
fn normalize_path(tail: &str) -> Option<String> {
    let path = tail.split(['?', '#']).next().unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    for seg in path.split('/').skip(1) {
        let seg = decode_unreserved(seg)?;
        match seg.as_str() {
            "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(seg),
        }
    }
    Some(out.join("/"))
}

fn decode_unreserved(seg: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = seg;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3)?;
        let b = u8::from_str_radix(hex, 16).ok()?;
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push_str(&hex.to_ascii_uppercase());
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

fn unescape(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// git's `match_host`: label by label, a label `*` matching any one label.
fn host_matches(pattern: &str, host: &str) -> bool {
    let (p, h): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), host.split('.').collect());
    p.len() == h.len() && p.iter().zip(&h).all(|(p, h)| *p == "*" || p == h)
}

/// A key git cannot normalize, read as a partial URL (`[SCHEME://][USER@]HOST[/PATH]`) and
/// compared as git's `credential_match` does: each part it names, exactly.
fn partial(pattern: &str, scheme: &str, host: &str) -> Option<Option<String>> {
    let rest = match pattern.split_once("://") {
        Some((s, rest)) if s == scheme => rest,
        Some(_) => return None,
        None => pattern,
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, name) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.split(':').next().unwrap_or("")), h),
        None => (None, authority),
    };
    if name != host {
        return None;
    }
    let path = path.trim_matches('/');
    Some(match (user, path) {
        (Some(u), _) => Some(format!("user '{}'", escape(u.as_bytes()))),
        (None, "") => None,
        (None, p) => Some(format!("the URL path /{} exactly", escape(p.as_bytes()))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applies_https(pattern: &str, host: &str) -> Option<Option<String>> {
        applies(pattern, "https", host)
    }

    #[test]
    fn url_patterns_match_like_git() {
        for p in [
            "https://github.com",
            "https://GitHub.com:443/",
            "https://github.com:0443",
            "https://github.com:",
            "https://github.com.",
            "HTTPS://github.COM.",
            "https://*.com",
            "https://*.*",
            "github.com",
            "https://github.com/./",
        ] {
            assert_eq!(applies_https(p, "github.com"), Some(None), "{p}");
        }
        for p in [
            "https://g*b.com",
            "*.com",
            "GitHub.com",
            "github.com:443",
            "https://*hub*.com",
            "https://*.github.com",
            "http://github.com",
            "https://github.com:444",
            "https://github.com.evil",
            "https://github.com..",
            "https://github.com:65536",
            "https://*",
            "https://github.com?x",
            "//github.com",
        ] {
            assert_eq!(applies_https(p, "github.com"), None, "{p}");
        }
        assert_eq!(
            applies_https("https://127.0.0.1:8443", "127.0.0.1:8443"),
            Some(None)
        );
        assert_eq!(
            applies_https("https://github.com/%61lta3/x/..", "github.com"),
            Some(Some("URLs under /alta3".into()))
        );
        assert_eq!(
            applies_https("https://me@github.com", "github.com"),
            Some(Some("user 'me'".into()))
        );
        assert_eq!(
            applies_https("github.com/alta3", "github.com"),
            Some(Some("the URL path /alta3 exactly".into()))
        );
        assert_eq!(
            applies("http://127.0.0.1:8080", "http", "127.0.0.1:8080"),
            Some(None)
        );
        assert_eq!(
            applies("http://127.0.0.1:80", "http", "127.0.0.1"),
            Some(None)
        );
        assert_eq!(
            applies("https://127.0.0.1:8080", "http", "127.0.0.1:8080"),
            None
        );
    }

    #[test]
    fn many_stars_match_in_linear_time() {
        // Issue 12 #9: a key with 100 '*' never finished (exponential matching).
        let pattern = format!("https://{}x.com", "*".repeat(100));
        let start = std::time::Instant::now();
        assert_eq!(
            applies(&pattern, "https", &format!("{}y.com", "a".repeat(60))),
            None
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
