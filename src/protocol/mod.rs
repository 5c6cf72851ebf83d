//! git's credential-helper wire format: `key=value` lines, read as bytes.
//!
//! Follows git-credential(1) "INPUT/OUTPUT FORMAT" and gitcredentials(7) "CUSTOM HELPERS":
//! [`decode`] turns a helper's stdin into a [`Request`], refusing hostile input whole;
//! [`encode`] writes a [`Reply`] built from fresh fields only, validating every value
//! before the first byte goes out.

mod decode;
mod encode;
pub mod url;

pub use decode::{decode, DecodeError, MAX_LINE, MAX_REQUEST};
pub use encode::{encode, EncodeError, Reply};

use crate::secret::Secret;

/// Everything git may tell a helper. Values that decide where a secret goes (`protocol`,
/// `host`, `username`) are validated UTF-8 without control characters; `path` is kept as
/// bytes because git passes it through unchanged.
#[derive(Debug, Default)]
pub struct Request {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_expiry_utc: Option<u64>,
    pub oauth_refresh_token: Option<Secret>,
    pub wwwauth: Vec<Vec<u8>>,
    pub capability: Vec<String>,
    pub state: Vec<Vec<u8>>,
    pub ephemeral: bool,
}

/// Escapes bytes for a diagnostic line: printable ASCII stays, everything else becomes
/// `\xNN`, so a hostile value cannot forge a line or a terminal sequence on stderr.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_control_characters() {
        assert_eq!(escape(b"a\x1b[31mb\r\n"), "a\\x1b[31mb\\x0d\\x0a");
        assert_eq!(escape("é".as_bytes()), "\\xc3\\xa9");
        assert_eq!(escape(b"a\\b"), "a\\x5cb");
    }
}
