//! The protocol decoder on arbitrary bytes (git-credential(1) "INPUT/OUTPUT FORMAT"; SPEC §3).
//!
//! Whatever stdin holds: decoding never panics; a refusal is one printable line (it goes to
//! stderr as is); an accepted request holds no control character in the fields that route a
//! secret and no NUL or CR in `path`; and an answer built from it encodes without error, holds
//! no CR or NUL, one line per field, and decodes back to the same values.

#![no_main]

use git_credential_scoped::protocol::{decode, encode, escape, Reply};
use git_credential_scoped::secret::Secret;
use libfuzzer_sys::fuzz_target;

fn printable(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fuzz_target!(|data: &[u8]| {
    assert!(printable(&escape(data)));
    let request = match decode(&mut &data[..]) {
        Ok(request) => request,
        Err(e) => {
            let text = e.to_string();
            assert!(
                printable(&text),
                "refusal is not one printable line: {text:?}"
            );
            return;
        }
    };
    for value in [&request.protocol, &request.host, &request.username]
        .into_iter()
        .flatten()
    {
        // C0, DEL and C1 (U+0080–U+009F): every Unicode control character.
        assert!(!value.chars().any(char::is_control), "{value:?}");
    }
    if let Some(path) = &request.path {
        assert!(!path.contains(&0) && !path.contains(&b'\r'));
    }

    let answer = Reply {
        username: request.username.clone(),
        password: request.password.as_ref().map(Secret::duplicate),
        password_expiry_utc: request.password_expiry_utc,
        oauth_refresh_token: request.oauth_refresh_token.as_ref().map(Secret::duplicate),
        quit: data.first().is_some_and(|b| b & 1 == 1),
        state: None,
    };
    let mut out = Vec::new();
    // Every value a request can carry is safe to answer with: encode must not refuse it.
    encode(&answer, &mut out).expect("an answer built from a decoded request encodes");
    assert!(!out.contains(&0) && !out.contains(&b'\r'));
    let fields = [
        answer.username.is_some(),
        answer.password.is_some(),
        answer.password_expiry_utc.is_some(),
        answer.oauth_refresh_token.is_some(),
        answer.quit,
    ];
    let lines = out.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines, fields.iter().filter(|&&f| f).count());
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let key = &line[..line.iter().position(|&b| b == b'=').expect("key=value")];
        assert!(matches!(
            key,
            b"username" | b"password" | b"password_expiry_utc" | b"oauth_refresh_token" | b"quit"
        ));
    }

    let again = decode(&mut &out[..]).expect("an encoded answer decodes");
    assert_eq!(again.username, answer.username);
    assert!(again.password == answer.password);
    assert!(again.oauth_refresh_token == answer.oauth_refresh_token);
    assert_eq!(again.password_expiry_utc, answer.password_expiry_utc);
});
