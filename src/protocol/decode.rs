//! Reading a request: LF-only lines, a CR right before LF dropped, a lone CR kept as data
//! (and then refused, since no value may hold one). Limits are checked before anything is
//! kept, and any violation refuses the whole request: git must never act on half of one.
//!
//! # Deviation
//!
//! From gitoxide's decoder (`gix_credentials::protocol::Context::from_bytes`), on purpose;
//! tests/it/differential.rs compares the two and allows only these differences:
//! - a key given twice is refused (gix keeps the last): git would act on one of two hosts;
//! - a line over [`MAX_LINE`] or a request over [`MAX_REQUEST`] is refused (gix reads any size);
//! - a control character in a key, or a C0, DEL or C1 character in `protocol`, `host` or
//!   `username`, is refused (gix refuses only NUL, CR and LF);
//! - `url=` is split into the fields, as git does (gix keeps it whole);
//! - a key that is not UTF-8 is an unknown key, ignored as git does, and `password` /
//!   `oauth_refresh_token` are bytes as git passes them (gix refuses non-UTF-8 in both);
//! - `password_expiry_utc` is unsigned, as git's is: a negative value is ignored (gix keeps
//!   it), one above `i64::MAX` is kept (gix ignores it).

use std::io::{BufRead, Read};

use super::url::{parse_url, UrlParts};
use super::{escape, Request};
use crate::secret::Secret;

/// Longest line accepted, in bytes, without its line end.
pub const MAX_LINE: usize = 65_535;
/// Largest request accepted, in bytes, line ends included.
pub const MAX_REQUEST: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("could not read the request from git: {0}")]
    Io(#[from] std::io::Error),
    #[error("refused a request line longer than {MAX_LINE} bytes (line {0})")]
    LineTooLong(usize),
    #[error("refused a request larger than {MAX_REQUEST} bytes")]
    RequestTooLarge,
    #[error("refused line {0} of the request: it has no '='")]
    NoEquals(usize),
    #[error("refused the request: '{key}' holds a NUL, CR or control character")]
    ControlCharacter { key: String },
    /// A line whose key does not look like an attribute name: the line is not repeated, it
    /// could be anything (a pasted secret too).
    #[error("refused line {0} of the request: it holds a NUL, CR or control character")]
    ControlInLine(usize),
    #[error("refused the request: '{key}' is not valid UTF-8")]
    NotUtf8 { key: String },
    #[error("refused the request: '{key}' is given twice")]
    Duplicate { key: String },
    #[error("refused the request: url= {0}")]
    BadUrl(String),
}

/// Reads one request: lines until a blank line or EOF.
pub fn decode(input: &mut impl BufRead) -> Result<Request, DecodeError> {
    let mut request = Request::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut url: Option<Vec<u8>> = None;
    let mut total = 0usize;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        // Never buffer more than the limit allows: read at most one byte past it.
        let budget = (MAX_REQUEST - total).min(MAX_LINE + 2) as u64 + 1;
        let read = Read::take(&mut *input, budget).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        total += read;
        if total > MAX_REQUEST {
            return Err(DecodeError::RequestTooLarge);
        }
        let complete = line.last() == Some(&b'\n');
        if complete {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        if line.len() > MAX_LINE {
            return Err(DecodeError::LineTooLong(number));
        }
        if !complete && read as u64 == budget {
            // The take() limit cut the line: it is longer than allowed.
            return Err(if total >= MAX_REQUEST {
                DecodeError::RequestTooLarge
            } else {
                DecodeError::LineTooLong(number)
            });
        }
        if line.is_empty() {
            break;
        }
        let eq = line
            .iter()
            .position(|&b| b == b'=')
            .ok_or(DecodeError::NoEquals(number))?;
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        if key.iter().any(|&b| b < 0x20 || b == 0x7f) {
            return Err(DecodeError::ControlInLine(number));
        }
        if value.iter().any(|&b| b == 0 || b == b'\r') {
            let name_like = key.len() <= 24
                && key
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b"_[]".contains(b));
            return Err(if name_like {
                DecodeError::ControlCharacter { key: escape(key) }
            } else {
                DecodeError::ControlInLine(number)
            });
        }
        take_pair(&mut request, &mut seen, &mut url, key, value)?;
    }
    if let Some(url) = url {
        apply_url(&mut request, &url)?;
    }
    Ok(request)
}

fn take_pair(
    request: &mut Request,
    seen: &mut Vec<&'static str>,
    url: &mut Option<Vec<u8>>,
    key: &[u8],
    value: &[u8],
) -> Result<(), DecodeError> {
    let name: &'static str = match key {
        b"protocol" => "protocol",
        b"host" => "host",
        b"path" => "path",
        b"username" => "username",
        b"password" => "password",
        b"password_expiry_utc" => "password_expiry_utc",
        b"oauth_refresh_token" => "oauth_refresh_token",
        b"url" => "url",
        b"wwwauth[]" => {
            request.wwwauth.push(value.to_vec());
            return Ok(());
        }
        b"state[]" => {
            request.state.push(value.to_vec());
            return Ok(());
        }
        b"capability[]" => {
            request
                .capability
                .push(String::from_utf8_lossy(value).into_owned());
            return Ok(());
        }
        b"ephemeral" => {
            request.ephemeral = is_true(value);
            return Ok(());
        }
        // Unknown keys are ignored, as git-credential(1) asks of helpers.
        _ => return Ok(()),
    };
    if seen.contains(&name) {
        return Err(DecodeError::Duplicate {
            key: name.to_string(),
        });
    }
    seen.push(name);
    match name {
        "protocol" => request.protocol = Some(strict(name, value)?),
        "host" => request.host = Some(strict(name, value)?),
        "username" => request.username = Some(strict(name, value)?),
        "path" => request.path = Some(value.to_vec()),
        "password" => request.password = Some(Secret::new(value.to_vec())),
        "oauth_refresh_token" => request.oauth_refresh_token = Some(Secret::new(value.to_vec())),
        // git writes a decimal timestamp; anything else is ignored like an unknown value.
        "password_expiry_utc" => {
            request.password_expiry_utc =
                std::str::from_utf8(value).ok().and_then(|v| v.parse().ok())
        }
        _ => *url = Some(value.to_vec()),
    }
    Ok(())
}

/// The values that decide where a secret goes: UTF-8, no control characters at all — C0,
/// DEL, and the C1 range U+0080–U+009F too (U+009B is a one-character terminal CSI).
fn strict(key: &str, value: &[u8]) -> Result<String, DecodeError> {
    let control = || DecodeError::ControlCharacter {
        key: key.to_string(),
    };
    if value.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(control());
    }
    let text = String::from_utf8(value.to_vec()).map_err(|_| DecodeError::NotUtf8 {
        key: key.to_string(),
    })?;
    if text.chars().any(char::is_control) {
        return Err(control());
    }
    Ok(text)
}

fn is_true(value: &[u8]) -> bool {
    matches!(value, b"1" | b"true" | b"yes" | b"on")
}

/// `url=` is expanded with the same checks as the separate fields; a part that contradicts a
/// field given separately refuses the request (a smuggled host must never win).
fn apply_url(request: &mut Request, url: &[u8]) -> Result<(), DecodeError> {
    let UrlParts {
        protocol,
        host,
        path,
        username,
        // As before: a password inside `url=` is not taken from it.
        password: _,
    } = parse_url(url).map_err(DecodeError::BadUrl)?;
    let protocol = strict("url", protocol.as_bytes())?;
    let host = strict("url", host.as_bytes())?;
    merge(&mut request.protocol, Some(protocol), "protocol")?;
    merge(&mut request.host, Some(host), "host")?;
    if let Some(user) = username {
        merge(
            &mut request.username,
            Some(strict("url", user.as_bytes())?),
            "username",
        )?;
    }
    if let Some(path) = path {
        // The same check as path= (NUL, CR), and LF, which a path= line cannot hold either:
        // a percent-escape must not carry what the line format refuses (git does the same).
        if path.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
            return Err(DecodeError::ControlCharacter { key: "url".into() });
        }
        match &request.path {
            Some(given) if *given != path => {
                return Err(DecodeError::BadUrl(
                    "names a different path than path=".into(),
                ))
            }
            _ => request.path = Some(path),
        }
    }
    Ok(())
}

fn merge(
    field: &mut Option<String>,
    from_url: Option<String>,
    name: &str,
) -> Result<(), DecodeError> {
    match (field.as_ref(), from_url) {
        (Some(given), Some(url)) if !given.eq_ignore_ascii_case(&url) => Err(DecodeError::BadUrl(
            format!("names a different {name} than {name}="),
        )),
        (None, Some(url)) => {
            *field = Some(url);
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<Request, DecodeError> {
        decode(&mut &input[..])
    }

    #[test]
    fn reads_every_attribute() {
        let r = parse(
            b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=example.com:8443\n\
              path=o/r.git\nusername=u\npassword=p\npassword_expiry_utc=1700000000\n\
              oauth_refresh_token=rt\nwwwauth[]=Basic realm=\"GitHub\"\nstate[]=a=b\nephemeral=1\n\
              unknown=ignored\n\n",
        )
        .unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("example.com:8443"));
        assert_eq!(r.path.as_deref(), Some(&b"o/r.git"[..]));
        assert_eq!(r.username.as_deref(), Some("u"));
        assert_eq!(r.password.unwrap().expose(), b"p");
        assert_eq!(r.password_expiry_utc, Some(1_700_000_000));
        assert_eq!(r.oauth_refresh_token.unwrap().expose(), b"rt");
        assert_eq!(r.wwwauth, vec![b"Basic realm=\"GitHub\"".to_vec()]);
        assert_eq!(r.capability, vec!["authtype", "state"]);
        assert_eq!(r.state, vec![b"a=b".to_vec()]);
        assert!(r.ephemeral);
    }

    #[test]
    fn stops_at_the_blank_line_and_reads_nothing_after_it() {
        let r = parse(b"host=a\n\nhost=b\n").unwrap();
        assert_eq!(r.host.as_deref(), Some("a"));
    }

    #[test]
    fn crlf_is_a_line_end_and_eof_ends_the_request() {
        let r = parse(b"protocol=https\r\nhost=a").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("a"));
    }

    #[test]
    fn a_lone_cr_is_never_a_line_end() {
        let err = parse(b"host=a\rpath=evil\n").unwrap_err();
        assert!(matches!(err, DecodeError::ControlCharacter { .. }), "{err}");
        assert!(parse(b"password=a\rb\n").is_err());
    }

    #[test]
    fn control_characters_void_the_fields_that_route_secrets() {
        for line in [
            &b"host=a\x1bb\n"[..],
            b"protocol=ht\ttps\n",
            b"username=a\x7f\n",
            b"host=a\0b\n",
        ] {
            assert!(parse(line).is_err(), "{}", escape(line));
        }
    }

    #[test]
    fn path_may_hold_tabs_and_invalid_utf8_but_not_nul_or_cr() {
        let r = parse(b"path=a\tb/\xff\xfe\n").unwrap();
        assert_eq!(r.path.unwrap(), b"a\tb/\xff\xfe");
        assert!(parse(b"path=a\0b\n").is_err());
    }

    #[test]
    fn c1_controls_are_control_characters_too() {
        for line in [
            "host=a\u{9b}31m\n",
            "username=u\u{85}\n",
            "protocol=\u{80}\n",
        ] {
            assert!(
                matches!(
                    parse(line.as_bytes()),
                    Err(DecodeError::ControlCharacter { .. })
                ),
                "{}",
                escape(line.as_bytes())
            );
        }
        // Other non-ASCII stays valid (a user name may be one).
        assert_eq!(
            parse("username=zoë\n".as_bytes())
                .unwrap()
                .username
                .as_deref(),
            Some("zoë")
        );
    }

    #[test]
    fn url_paths_may_not_smuggle_what_path_lines_cannot_hold() {
        for url in ["a%00b", "a%0db", "a%0ahost=evil.test"] {
            let line = format!("url=https://example.com/{url}\n");
            assert!(
                matches!(
                    parse(line.as_bytes()),
                    Err(DecodeError::ControlCharacter { .. })
                ),
                "{line}"
            );
        }
        assert_eq!(
            parse(b"url=https://h/a%09b\n").unwrap().path.unwrap(),
            b"a\tb"
        );
    }

    #[test]
    fn non_utf8_host_is_refused() {
        assert!(matches!(
            parse(b"host=\xff\n"),
            Err(DecodeError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn line_limit_is_exact() {
        let mut ok = b"path=".to_vec();
        ok.resize(MAX_LINE, b'a');
        ok.push(b'\n');
        assert!(parse(&ok).is_ok());
        let mut long = b"path=".to_vec();
        long.resize(MAX_LINE + 1, b'a');
        long.push(b'\n');
        assert!(matches!(parse(&long), Err(DecodeError::LineTooLong(1))));
        // Without a line end, too.
        long.pop();
        assert!(matches!(parse(&long), Err(DecodeError::LineTooLong(1))));
    }

    #[test]
    fn request_limit_refuses_whole() {
        let mut big = Vec::new();
        while big.len() <= MAX_REQUEST {
            big.extend_from_slice(b"wwwauth[]=");
            big.extend(std::iter::repeat_n(b'x', 60_000));
            big.push(b'\n');
        }
        big.extend_from_slice(b"\n");
        assert!(matches!(parse(&big), Err(DecodeError::RequestTooLarge)));
    }

    #[test]
    fn a_line_without_equals_is_refused() {
        assert!(matches!(
            parse(b"host=a\nbogus\n"),
            Err(DecodeError::NoEquals(2))
        ));
    }

    #[test]
    fn duplicate_scalar_keys_are_refused_but_lists_accumulate() {
        assert!(matches!(
            parse(b"host=a\nhost=b\n"),
            Err(DecodeError::Duplicate { .. })
        ));
        let r = parse(b"wwwauth[]=a\nwwwauth[]=b\n").unwrap();
        assert_eq!(r.wwwauth.len(), 2);
    }

    #[test]
    fn empty_values_stay_distinct_from_absent_ones() {
        let r = parse(b"username=\n").unwrap();
        assert_eq!(r.username.as_deref(), Some(""));
        assert_eq!(parse(b"\n").unwrap().username, None);
    }

    #[test]
    fn url_fills_absent_fields() {
        let r = parse(b"url=https://me@Example.com:8443/o/r.git\n").unwrap();
        assert_eq!(r.protocol.as_deref(), Some("https"));
        assert_eq!(r.host.as_deref(), Some("Example.com:8443"));
        assert_eq!(r.username.as_deref(), Some("me"));
        assert_eq!(r.path.unwrap(), b"o/r.git");
    }

    #[test]
    fn url_contradicting_host_is_refused() {
        let err = parse(b"host=github.com\nprotocol=https\nurl=https://evil.test/x\n").unwrap_err();
        assert!(matches!(err, DecodeError::BadUrl(_)));
        assert!(parse(b"url=not a url\n").is_err());
    }

    #[test]
    fn wwwauth_containing_host_is_only_opaque_data() {
        let r = parse(b"protocol=https\nhost=a\nwwwauth[]=Basic host=evil.test\n").unwrap();
        assert_eq!(r.host.as_deref(), Some("a"));
    }
}
