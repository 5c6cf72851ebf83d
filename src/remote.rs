//! From what git sent to the repository it means: for a GitHub host, `path` reduces to
//! `owner/repo` — one trailing `.git` stripped, segments after the second ignored (Git LFS
//! sends `owner/repo.git/info/lfs`), compared case-insensitively later.
//!
//! Also the naming rules everything else checks against: GitHub account and repository
//! names, host names as git sends them, and the names of registered tokens.

/// GitHub's owner and repository names: letters, digits, `-`, `_`, `.`.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Token names: what a user can type and a shell won't split — and not a token pasted
/// where its name belongs (`list` prints names).
pub fn valid_token_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        && !s.starts_with('-')
        && !crate::secret::looks_like_token(s)
}

/// A host name as git sends it: letters, digits, `-`, `.`, an optional `:port`; or an IPv6
/// literal in brackets.
pub fn valid_host(s: &str) -> bool {
    let (name, port) = match s.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(']') || s.starts_with('[') => {
            if n.starts_with('[') && !n.ends_with(']') {
                (s, None)
            } else {
                (n, Some(p))
            }
        }
        _ => (s, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => {
            !v6.is_empty()
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => {
            !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    port_ok && name_ok
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// As git sent it, with `:port`.
    pub host: String,
    pub owner: String,
    pub repo: String,
}

impl Remote {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

/// `owner/repo` from a request path, or `None` when the path does not name a repository.
pub fn owner_repo(path: &[u8]) -> Option<(String, String)> {
    let path = std::str::from_utf8(path).ok()?;
    let mut segments = path.trim_start_matches('/').split('/');
    let owner = segments.next()?;
    let repo = segments.next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    (valid_name(owner) && valid_name(repo)).then(|| (owner.to_string(), repo.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn or(p: &[u8]) -> Option<(String, String)> {
        owner_repo(p)
    }

    #[test]
    fn reduces_paths_to_owner_and_repo() {
        let want = Some(("alta3".to_string(), "labs".to_string()));
        for p in [
            &b"alta3/labs"[..],
            b"alta3/labs.git",
            b"/alta3/labs.git",
            b"alta3/labs.git/info/lfs",
            b"alta3/labs/",
        ] {
            assert_eq!(or(p), want, "{}", String::from_utf8_lossy(p));
        }
        assert_eq!(or(b"a/b.git.git"), Some(("a".into(), "b.git".into())));
    }

    #[test]
    fn host_names() {
        for ok in [
            "github.com",
            "127.0.0.1:8443",
            "ghe.example.com",
            "[::1]:443",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "evil.test/github.com",
            "h:",
            "h:123456",
            "a@b",
            "[]",
            "[",
            "]",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_repository() {
        for p in [
            &b""[..],
            b"alta3",
            b"alta3/",
            b"/labs",
            b"a b/c",
            b"o/\xff",
            b"../x",
            b"o/..",
            b"o/.git",
        ] {
            assert_eq!(or(p), None, "{}", String::from_utf8_lossy(p));
        }
    }
}
