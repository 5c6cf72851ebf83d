//! Whether a `credential.<url>.*` entry applies to a host, matched the way git's urlmatch
//! does (git-config(1) `credential.<url>.*`, gitcredentials(7) "CONFIGURATION"). Kept apart
//! and pure because getting it wrong either hides a helper that git runs or reports one it
//! never does.

use crate::protocol::url::parse_url;

/// Whether a `credential.<pattern>.*` entry applies to `https://HOST/` (git's urlmatch:
/// scheme and port equal, `*` matching one host label, case-insensitive host; a pattern
/// without a scheme is a partial URL matching the host under any protocol). `Some(cond)`
/// when it applies only to some URLs of the host.
pub fn applies(pattern: &str, host: &str) -> Option<Option<String>> {
    let full;
    let pattern = if pattern.contains("://") {
        pattern
    } else {
        full = format!("https://{pattern}");
        &full
    };
    let p = parse_url(pattern.as_bytes()).ok()?;
    if p.protocol != "https" || !host_matches(&p.host, host) {
        return None;
    }
    let path = p
        .path
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let path = path.trim_matches('/');
    Some(match (&p.username, path.is_empty()) {
        (Some(u), _) => Some(format!("user {u}")),
        (None, false) => Some(format!("URLs under /{path}")),
        (None, true) => None,
    })
}

fn split_port(h: &str) -> (&str, &str) {
    match h.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, p),
        _ => (h, "443"),
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let ((pn, pp), (hn, hp)) = (split_port(pattern), split_port(host));
    let (pl, hl): (Vec<&str>, Vec<&str>) = (pn.split('.').collect(), hn.split('.').collect());
    pp == hp && pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| glob(p, h))
}

/// `*` matches any run of characters within one host label.
fn glob(pattern: &str, label: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(label),
        Some((head, tail)) => {
            label.len() >= head.len()
                && label[..head.len()].eq_ignore_ascii_case(head)
                && (head.len()..=label.len()).any(|i| glob(tail, &label[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_patterns_match_like_git() {
        assert_eq!(applies("https://github.com", "github.com"), Some(None));
        assert_eq!(applies("https://GitHub.com:443/", "github.com"), Some(None));
        assert_eq!(applies("https://*.com", "github.com"), Some(None));
        assert_eq!(applies("github.com", "github.com"), Some(None));
        assert_eq!(applies("https://*.github.com", "github.com"), None);
        assert_eq!(applies("http://github.com", "github.com"), None);
        assert_eq!(applies("https://github.com:444", "github.com"), None);
        assert_eq!(applies("https://github.com.evil", "github.com"), None);
        assert_eq!(
            applies("https://127.0.0.1:8443", "127.0.0.1:8443"),
            Some(None)
        );
        assert_eq!(
            applies("https://github.com/alta3", "github.com"),
            Some(Some("URLs under /alta3".into()))
        );
        assert_eq!(
            applies("https://me@github.com", "github.com"),
            Some(Some("user me".into()))
        );
    }
}
