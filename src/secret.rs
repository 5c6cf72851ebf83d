//! The one type that holds a secret (a password, a token, a refresh token).
//!
//! It prints as `REDACTED` under `Debug`, has no `Display`, no `Serialize`, no `Clone` by
//! accident (cloning is explicit through [`Secret::duplicate`]), zeroizes its bytes on drop and
//! gives its value up only through [`Secret::expose`] — one greppable place, as cargo's
//! credential providers do. Users see a token only as its [`Secret::fingerprint`].

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    pub fn from_text(s: &str) -> Secret {
        Secret(s.as_bytes().to_vec())
    }

    /// The secret's bytes. Every use of this function is a place where a secret leaves the
    /// type; keep them few.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A second copy, for the rare places that must hand one to two owners.
    pub fn duplicate(&self) -> Secret {
        Secret(self.0.clone())
    }

    /// Compares in time independent of where the first difference is.
    pub fn equals(&self, other: &[u8]) -> bool {
        let a = &self.0;
        if a.len() != other.len() {
            return false;
        }
        a.iter().zip(other).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// `sha256:` and the first 16 hex digits of the SHA-256 of the secret: enough to tell
    /// tokens apart and to recognise a token that git hands back, never enough to use it.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.0)
    }

    /// Removes leading and trailing ASCII white space (a token pasted with a newline).
    pub fn trimmed(mut self) -> Secret {
        let start = self.0.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else {
            self.0.zeroize();
            self.0.clear();
            return self;
        };
        let end = self
            .0
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .unwrap_or(start);
        let kept = self.0[start..=end].to_vec();
        Secret(kept)
    }
}

/// The largest secret taken in or handed out (a fine-grained token is 93 bytes).
pub const MAX_SECRET: usize = 65_536;

/// Why a token's secret cannot be used, or `None` when it can: the one rule for every
/// source (prompt, stdin, environment, command, a store, import) and every command that
/// hands one out (`get`, `token`, `exec`). A token is printable ASCII or UTF-8 without
/// white space or control characters: a CR or LF would end git's line early (git reads the
/// rest as another key), and a space or NUL is never part of a token, only of a paste gone
/// wrong. The problem is said in words, never with the value.
pub fn token_problem(secret: &Secret) -> Option<&'static str> {
    let s = secret.expose();
    if s.is_empty() {
        return Some("is empty");
    }
    if s.len() > MAX_SECRET {
        return Some("is larger than 64 KiB");
    }
    if s.contains(&b'\n') || s.contains(&b'\r') {
        return Some("holds a line break (CR or LF)");
    }
    if s.iter().any(|&b| b <= 0x20 || b == 0x7f) {
        return Some("holds spaces or control characters");
    }
    None
}

/// Whether `text` holds something shaped like a GitHub token: a known prefix (fine-grained,
/// classic, OAuth, user-to-server, server-to-server, refresh) followed by at least 16 token
/// characters, anywhere in it (`--token=ghp_...` too). Used to refuse secrets where they do
/// not belong: argv, and config values that would be printed.
pub fn looks_like_token(text: &str) -> bool {
    // Every prefix starts with 'g': one search for that, then the prefixes at each hit.
    text.match_indices('g').any(|(i, _)| {
        ["github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
            .iter()
            .any(|p| {
                text.as_bytes()[i..].starts_with(p.as_bytes())
                    && text.as_bytes()[i + p.len()..]
                        .get(..16)
                        .is_some_and(|r| r.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_'))
            })
    })
}

/// Whether `s` has the shape [`fingerprint_of`] produces.
pub fn is_fingerprint(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

pub fn fingerprint_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for b in &digest[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.equals(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::from_text("github_pat_CANARY");
        assert_eq!(format!("{s:?}"), "Secret(REDACTED)");
        assert_eq!(format!("{:?}", Some(s)), "Some(Secret(REDACTED))");
    }

    #[test]
    fn fingerprint_is_stable_and_short() {
        let fp = Secret::from_text("abc").fingerprint();
        assert_eq!(fp, "sha256:ba7816bf8f01cfea");
    }

    #[test]
    fn trimmed_drops_surrounding_whitespace_only() {
        assert_eq!(Secret::from_text("  a b\n").trimmed().expose(), b"a b");
        assert!(Secret::from_text(" \n").trimmed().is_empty());
    }

    #[test]
    fn token_shapes_are_recognised_anywhere_in_a_text() {
        for t in [
            "github_pat_11ABCDEFGHIJKLMNOPQRST",
            "--token=ghp_0123456789abcdefXYZ",
            "https://x:gho_0123456789abcdef0@github.com/o/r",
            "ghghs_0123456789abcdef",
            "ghr_0123456789abcdef",
        ] {
            assert!(looks_like_token(t), "{t}");
        }
        for t in [
            "github_pat_",
            "ghp_short",
            "MY_TOKEN",
            "ghp-0123456789abcdefXYZ",
            "ghr_0123456789abcde",
            "gh",
        ] {
            assert!(!looks_like_token(t), "{t}");
        }
    }

    #[test]
    fn one_rule_says_which_secrets_are_unusable() {
        for (bad, why) in [
            ("", "is empty"),
            ("ab\ncd", "line break"),
            ("ab\rcd", "line break"),
            ("ab cd", "spaces"),
            ("ab\0cd", "control"),
            ("ab\x7fcd", "control"),
        ] {
            let p = token_problem(&Secret::from_text(bad)).unwrap_or_default();
            assert!(p.contains(why), "{bad:?}: {p}");
        }
        assert!(token_problem(&Secret::new(vec![b'a'; MAX_SECRET + 1])).is_some());
        assert_eq!(
            token_problem(&Secret::from_text("github_pat_x\u{e9}")),
            None
        );
    }

    #[test]
    fn equals_compares_whole_values() {
        let s = Secret::from_text("abc");
        assert!(s.equals(b"abc"));
        assert!(!s.equals(b"abd"));
        assert!(!s.equals(b"ab"));
    }
}
