//! git's credential-store files (`~/.git-credentials`, `$XDG_CONFIG_HOME/git/credentials`),
//! read the way git-credential-store(1) reads them: one URL per line,
//! `https://USER:PASSWORD@HOST/PATH`, user and password percent-encoded, split on LF only.
//! git skips a line it cannot read as such a URL, and so does this reader — but it says
//! which line, never what the line holds (it may hold a secret).
//!
//! Pure: bytes in, lines out. The file itself is read by the caller.

use crate::protocol::url::parse_url;
use crate::secret::Secret;

/// One line of a store file that holds a credential.
pub struct Entry {
    pub protocol: String,
    pub host: String,
    pub path: Option<Vec<u8>>,
    pub username: String,
    pub secret: Secret,
}

/// What one line of the file is.
pub enum Line {
    /// Empty: git skips it, so do we, silently.
    Blank,
    /// A line git would skip too; the reason, never the line.
    Unreadable(&'static str),
    Credential(Entry),
}

/// Splits `bytes` into numbered lines (1-based), each read as git does.
pub fn read(bytes: &[u8]) -> Vec<(usize, Line)> {
    lines(bytes)
        .enumerate()
        .map(|(i, l)| (i + 1, line(l)))
        .collect()
}

/// The lines of the file as git's `strbuf_getline_lf` gives them: split on LF, a last line
/// without LF included, nothing after a final LF.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    body.split(|&b| b == b'\n').filter(move |_| !empty)
}

fn line(l: &[u8]) -> Line {
    if l.is_empty() {
        return Line::Blank;
    }
    // git's credential_from_url reads the user name up to the first '@'; a line with a
    // second '@' before the host (an unencoded one in the password) means another host to
    // git than to a reader that takes the last one: refuse it rather than guess.
    let start = l.windows(3).position(|w| w == b"://").map_or(0, |p| p + 3);
    let rest = &l[start..];
    let end = rest.iter().position(|b| b"/?#".contains(b));
    let authority = &rest[..end.unwrap_or(rest.len())];
    if authority.iter().filter(|&&b| b == b'@').count() > 1 {
        return Line::Unreadable("has an '@' that is not percent-encoded before the host");
    }
    if l.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Line::Unreadable("holds control characters");
    }
    let parts = match parse_url(l) {
        Ok(p) => p,
        Err(_) => return Line::Unreadable("is not a URL"),
    };
    let (Some(username), Some(secret)) = (parts.username, parts.password) else {
        return Line::Unreadable("has no user name and password (git skips such lines)");
    };
    if secret.is_empty() {
        return Line::Unreadable("has an empty password");
    }
    Line::Credential(Entry {
        protocol: parts.protocol,
        host: parts.host.to_ascii_lowercase(),
        path: parts.path,
        username,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(l: &str) -> Line {
        line(l.as_bytes())
    }

    #[test]
    fn reads_user_password_host_and_path_percent_decoded() {
        let Line::Credential(e) =
            one("https://ci%40alta3:github_pat_a%2Fb@GitHub.com/alta3/labs.git")
        else {
            panic!("not read");
        };
        assert_eq!(e.protocol, "https");
        assert_eq!(e.host, "github.com");
        assert_eq!(e.username, "ci@alta3");
        assert_eq!(e.secret.expose(), b"github_pat_a/b");
        assert_eq!(e.path.as_deref(), Some(&b"alta3/labs.git"[..]));
        let Line::Credential(e) = one("https://u:p@example.com") else {
            panic!("not read");
        };
        assert!(e.path.is_none());
    }

    #[test]
    fn what_git_skips_is_unreadable_and_never_repeated() {
        for l in [
            "not a url",
            "https://example.com/x",
            "https://user@example.com/x",
            "https://u:@example.com/x",
            "https://u:p@ss@github.com/o/r",
            "https://u:p\r@github.com/o/r",
        ] {
            assert!(matches!(one(l), Line::Unreadable(_)), "{l}");
        }
        assert!(matches!(one(""), Line::Blank));
    }

    #[test]
    fn lines_split_on_lf_only() {
        let got: Vec<&[u8]> = lines(b"a\n\nb\r\nc").collect();
        assert_eq!(got, [&b"a"[..], b"", b"b\r", b"c"]);
        assert_eq!(lines(b"a\n").count(), 1);
        assert_eq!(lines(b"").count(), 0);
    }
}
