//! The credentials of one request: the `Authorization` value (Bearer for the REST API, Basic
//! for the git read probe), marked sensitive so no Debug output shows it, and the cutting of
//! the secret out of anything a (hostile) server echoes back.

use ureq::http::HeaderValue;

use super::GithubError;
use crate::secret::Secret;

/// One request's credentials: the header, and the texts a hostile server might echo back
/// (the secret, the header's value), to be cut out of anything read from its answers.
pub(super) struct Auth<'a> {
    pub(super) header: HeaderValue,
    pub(super) secret: &'a Secret,
}

/// The answer's text with the secret and the header's value cut out: a server may echo them.
pub(super) fn redact(mut body: String, auth: &Auth) -> String {
    if let Ok(v) = auth.header.to_str() {
        body = body.replace(v, "<the token>");
    }
    if let Ok(s) = std::str::from_utf8(auth.secret.expose()) {
        if !s.is_empty() {
            body = body.replace(s, "<the token>");
        }
    }
    body
}

/// An `Authorization` value, marked sensitive so that no Debug output shows it.
pub(super) fn header(
    token: &str,
    scheme: &[u8],
    credential: &[u8],
) -> Result<HeaderValue, GithubError> {
    let printable = !credential.is_empty() && credential.iter().all(|b| (0x21..0x7f).contains(b));
    let bad = || GithubError::BadSecret {
        token: token.to_string(),
    };
    if !printable {
        return Err(bad());
    }
    let mut bytes = scheme.to_vec();
    bytes.extend_from_slice(credential);
    let value = HeaderValue::from_bytes(&bytes).map_err(|_| bad());
    zeroize::Zeroize::zeroize(&mut bytes);
    let mut value = value?;
    value.set_sensitive(true);
    Ok(value)
}

pub(super) fn basic_auth(
    token: &str,
    username: &str,
    secret: &Secret,
) -> Result<HeaderValue, GithubError> {
    let mut pair = username.as_bytes().to_vec();
    pair.push(b':');
    pair.extend_from_slice(secret.expose());
    let mut encoded =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pair).into_bytes();
    zeroize::Zeroize::zeroize(&mut pair);
    let value = header(token, b"Basic ", &encoded);
    zeroize::Zeroize::zeroize(&mut encoded);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_user_colon_secret_in_base64() {
        let v = basic_auth("t", "x-access-token", &Secret::from_text("abc")).unwrap();
        assert_eq!(v.to_str().unwrap(), "Basic eC1hY2Nlc3MtdG9rZW46YWJj");
        assert!(v.is_sensitive());
    }

    #[test]
    fn authorization_values_are_sensitive_and_refuse_control_characters() {
        let v = header("t", b"Bearer ", b"abc").unwrap();
        assert!(v.is_sensitive());
        assert!(!format!("{v:?}").contains("abc"));
        assert!(header("t", b"Bearer ", b"a b").is_err());
        assert!(header("t", b"Bearer ", b"a\nb").is_err());
        assert!(header("t", b"Bearer ", b"").is_err());
    }
}
