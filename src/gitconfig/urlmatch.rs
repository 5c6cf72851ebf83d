//! Whether a `credential.<url>.*` entry applies to a host, matched the way git's urlmatch
//! does (git-config(1) `credential.<url>.*`, gitcredentials(7) "CONFIGURATION"). Kept apart
//! and pure because getting it wrong either hides a helper that git runs or reports one it
//! never does.

use crate::protocol::escape;
use crate::protocol::url::parse_url;

/// Whether a `credential.<pattern>.*` entry applies to `SCHEME://HOST/` (git's urlmatch:
/// scheme and port equal, `*` matching one host label, case-insensitive host; a pattern
/// without a scheme is a partial URL matching the host under any protocol). `Some(cond)`
/// when it applies only to some URLs of the host.
pub fn applies(pattern: &str, scheme: &str, host: &str) -> Option<Option<String>> {
    let full;
    let pattern = if pattern.contains("://") {
        pattern
    } else {
        full = format!("{scheme}://{pattern}");
        &full
    };
    let p = parse_url(pattern.as_bytes()).ok()?;
    let port = if scheme == "http" { "80" } else { "443" };
    if p.protocol != scheme || !host_matches(&p.host, host, port) {
        return None;
    }
    let path = p
        .path
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let path = path.trim_matches('/');
    Some(match (&p.username, path.is_empty()) {
        (Some(u), _) => Some(format!("user {}", escape(u.as_bytes()))),
        (None, false) => Some(format!("URLs under /{}", escape(path.as_bytes()))),
        (None, true) => None,
    })
}

fn split_port<'a>(h: &'a str, default: &'a str) -> (&'a str, &'a str) {
    match h.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, p),
        _ => (h, default),
    }
}

fn host_matches(pattern: &str, host: &str, port: &str) -> bool {
    let ((pn, pp), (hn, hp)) = (split_port(pattern, port), split_port(host, port));
    let (pl, hl): (Vec<&str>, Vec<&str>) = (pn.split('.').collect(), hn.split('.').collect());
    pp == hp && pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| glob(p, h))
}

/// `*` matches any run of characters within one host label. Matched the iterative way
/// (remember the last `*`, retry from one character later): at most pattern × label steps,
/// however many `*` a key holds — never the exponential blow-up of trying every split.
fn glob(pattern: &str, label: &str) -> bool {
    let (p, l) = (pattern.as_bytes(), label.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < l.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i].eq_ignore_ascii_case(&l[j]) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applies_https(pattern: &str, host: &str) -> Option<Option<String>> {
        applies(pattern, "https", host)
    }

    #[test]
    fn url_patterns_match_like_git() {
        assert_eq!(
            applies_https("https://github.com", "github.com"),
            Some(None)
        );
        assert_eq!(
            applies_https("https://GitHub.com:443/", "github.com"),
            Some(None)
        );
        assert_eq!(applies_https("https://*.com", "github.com"), Some(None));
        assert_eq!(applies_https("github.com", "github.com"), Some(None));
        assert_eq!(applies_https("https://*.github.com", "github.com"), None);
        assert_eq!(applies_https("http://github.com", "github.com"), None);
        assert_eq!(applies_https("https://github.com:444", "github.com"), None);
        assert_eq!(applies_https("https://github.com.evil", "github.com"), None);
        assert_eq!(
            applies_https("https://127.0.0.1:8443", "127.0.0.1:8443"),
            Some(None)
        );
        assert_eq!(
            applies_https("https://github.com/alta3", "github.com"),
            Some(Some("URLs under /alta3".into()))
        );
        assert_eq!(
            applies_https("https://me@github.com", "github.com"),
            Some(Some("user me".into()))
        );
        assert_eq!(applies_https("https://g*b.com", "github.com"), Some(None));
        assert_eq!(applies_https("https://*hub*.com", "github.com"), Some(None));
        assert_eq!(applies_https("https://git*x.com", "github.com"), None);
        assert_eq!(
            applies("http://127.0.0.1:8080", "http", "127.0.0.1:8080"),
            Some(None)
        );
        assert_eq!(applies("127.0.0.1", "http", "127.0.0.1:80"), Some(None));
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
        assert_eq!(applies(&pattern, "https", "ax.com"), Some(None));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
