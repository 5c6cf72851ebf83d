//! Reading the `Authorization` header.

/// What a request presented.
#[derive(PartialEq, Eq)]
pub(crate) enum Presented {
    /// No `Authorization` header.
    Nothing,
    /// A header this server cannot read (bad base64, no colon, unknown scheme, empty secret).
    Malformed,
    /// A username (Basic only) and a secret.
    Secret {
        user: Option<String>,
        secret: String,
    },
}

// Never print a secret, even in a test failure.
impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Nothing => f.write_str("Nothing"),
            Presented::Malformed => f.write_str("Malformed"),
            Presented::Secret { user, .. } => f
                .debug_struct("Secret")
                .field("user", user)
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

/// Which schemes are accepted: git over HTTPS takes Basic only, the REST API also
/// `Bearer TOKEN` and `token TOKEN`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schemes {
    BasicOnly,
    Rest,
}

/// Parses an `Authorization` header value.
pub(crate) fn parse(header: Option<&str>, schemes: Schemes) -> Presented {
    let Some(value) = header else {
        return Presented::Nothing;
    };
    let (scheme, rest) = match value.trim().split_once(' ') {
        Some((s, r)) => (s, r.trim()),
        None => return Presented::Malformed,
    };
    if scheme.eq_ignore_ascii_case("basic") {
        let Some(decoded) = base64_decode(rest) else {
            return Presented::Malformed;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return Presented::Malformed;
        };
        let Some((user, secret)) = decoded.split_once(':') else {
            return Presented::Malformed;
        };
        if secret.is_empty() {
            return Presented::Malformed;
        }
        Presented::Secret {
            user: Some(user.to_string()),
            secret: secret.to_string(),
        }
    } else if schemes == Schemes::Rest
        && (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
    {
        if rest.is_empty() || rest.contains(' ') {
            return Presented::Malformed;
        }
        Presented::Secret {
            user: None,
            secret: rest.to_string(),
        }
    } else {
        Presented::Malformed
    }
}

/// Standard base64 (RFC 4648 §4) with optional padding; `None` when invalid.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.as_bytes();
    let unpadded = {
        let mut end = s.len();
        while end > 0 && s[end - 1] == b'=' {
            end -= 1;
        }
        if s.len() - end > 2 || (s.len() != end && !s.len().is_multiple_of(4)) {
            return None;
        }
        &s[..end]
    };
    if unpadded.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    for chunk in unpadded.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Standard base64 with padding (for the tests).
#[cfg(test)]
pub(crate) fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let mut buf = [0u8; 3];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = (u32::from(buf[0]) << 16) | (u32::from(buf[1]) << 8) | u32::from(buf[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "x-access-token:github_pat_ABC",
        ] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).unwrap(), s.as_bytes(), "{s}");
            assert_eq!(
                base64_decode(e.trim_end_matches('=')).unwrap(),
                s.as_bytes()
            );
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        for bad in ["Z", "Zm9v!", "Zm===", "=Zm9"] {
            assert!(base64_decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn parses_schemes() {
        let basic = format!("Basic {}", base64_encode(b"me:s3cret"));
        assert_eq!(
            parse(Some(&basic), Schemes::BasicOnly),
            Presented::Secret {
                user: Some("me".into()),
                secret: "s3cret".into()
            }
        );
        assert_eq!(
            parse(Some("Bearer abc"), Schemes::Rest),
            Presented::Secret {
                user: None,
                secret: "abc".into()
            }
        );
        assert_eq!(
            parse(Some("token abc"), Schemes::Rest),
            Presented::Secret {
                user: None,
                secret: "abc".into()
            }
        );
        assert_eq!(
            parse(Some("Bearer abc"), Schemes::BasicOnly),
            Presented::Malformed
        );
        assert_eq!(parse(Some("Basic !!"), Schemes::Rest), Presented::Malformed);
        let no_secret = format!("Basic {}", base64_encode(b"me:"));
        assert_eq!(parse(Some(&no_secret), Schemes::Rest), Presented::Malformed);
        assert_eq!(parse(None, Schemes::Rest), Presented::Nothing);
        let dbg = format!("{:?}", parse(Some("Bearer topsecret"), Schemes::Rest));
        assert!(!dbg.contains("topsecret"));
    }
}
