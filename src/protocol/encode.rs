//! Writing an answer. Only the fields a helper may answer with exist here — never `protocol`,
//! `host`, `path` or `url`, which would let a helper redirect git — and every value is checked
//! before anything is written, so an answer is printed whole or not at all.

use std::io::Write;

use crate::secret::Secret;

#[derive(Debug, Default)]
pub struct Reply {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_expiry_utc: Option<u64>,
    pub oauth_refresh_token: Option<Secret>,
    pub quit: bool,
    /// A value git hands back with the `store` or `erase` of this credential (`state[]`,
    /// git 2.46+, sent only when git announced `capability[]=state`).
    pub state: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("refused to answer: the stored {0} holds a NUL, CR or LF")]
    Unsafe(&'static str),
    #[error("could not write the answer to git: {0}")]
    Io(#[from] std::io::Error),
}

impl Reply {
    pub fn is_empty(&self) -> bool {
        self.username.is_none() && self.password.is_none() && !self.quit
    }
}

pub fn encode(answer: &Reply, out: &mut impl Write) -> Result<(), EncodeError> {
    let Reply {
        username,
        password,
        password_expiry_utc,
        oauth_refresh_token,
        quit,
        state,
    } = answer;
    let mut buf: Vec<u8> = Vec::new();
    let mut field = |key: &'static str, value: &[u8]| -> Result<(), EncodeError> {
        if value.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
            return Err(EncodeError::Unsafe(key));
        }
        buf.extend_from_slice(key.as_bytes());
        buf.push(b'=');
        buf.extend_from_slice(value);
        buf.push(b'\n');
        Ok(())
    };
    if let Some(u) = username {
        field("username", u.as_bytes())?;
    }
    if let Some(p) = password {
        field("password", p.expose())?;
    }
    if let Some(e) = password_expiry_utc {
        field("password_expiry_utc", e.to_string().as_bytes())?;
    }
    if let Some(t) = oauth_refresh_token {
        field("oauth_refresh_token", t.expose())?;
    }
    if *quit {
        field("quit", b"1")?;
    }
    if let Some(s) = state {
        field("capability[]", b"state")?;
        field("state[]", s.as_bytes())?;
    }
    let result = out.write_all(&buf).and_then(|()| out.flush());
    zeroize::Zeroize::zeroize(&mut buf);
    result.map_err(EncodeError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(a: &Reply) -> Result<String, EncodeError> {
        let mut out = Vec::new();
        encode(a, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn writes_fields_in_order() {
        let a = Reply {
            username: Some("x-access-token".into()),
            password: Some(Secret::from_text("tok")),
            password_expiry_utc: Some(1_800_000_000),
            oauth_refresh_token: Some(Secret::from_text("rt")),
            quit: false,
            state: Some("git-credential-scoped:t".into()),
        };
        assert_eq!(
            render(&a).unwrap(),
            "username=x-access-token\npassword=tok\npassword_expiry_utc=1800000000\noauth_refresh_token=rt\ncapability[]=state\nstate[]=git-credential-scoped:t\n"
        );
    }

    #[test]
    fn quit_alone() {
        let a = Reply {
            quit: true,
            ..Reply::default()
        };
        assert_eq!(render(&a).unwrap(), "quit=1\n");
    }

    #[test]
    fn an_unsafe_value_writes_nothing_at_all() {
        for bad in [&b"a\nhost=evil"[..], b"a\rb", b"a\0b"] {
            let a = Reply {
                username: Some("u".into()),
                password: Some(Secret::new(bad.to_vec())),
                ..Reply::default()
            };
            let mut out = Vec::new();
            assert!(encode(&a, &mut out).is_err());
            assert!(out.is_empty());
        }
    }
}
