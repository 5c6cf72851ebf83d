//! Differential tests against gitoxide, the reference implementation of the helper protocol
//! in Rust (dev-dependencies only: `gix-credentials` and `gix-url` never reach the binary).
//! Our decoder (`protocol::decode`) against `gix_credentials::protocol::Context::from_bytes`,
//! and our URL split (`protocol::url::parse_url`) against `gix_url::parse`, over generated
//! input (proptest) and over the fuzz seeds. Every difference is one of the deliberate
//! deviations listed in the `# Deviation` sections of src/protocol/decode.rs and url.rs;
//! anything else fails with the input that showed it.

use git_credential_scoped::protocol::url::parse_url;
use git_credential_scoped::protocol::{decode, Request, MAX_LINE, MAX_REQUEST};
use gix_credentials::protocol::{Context, ContextOptions};
use proptest::prelude::*;

const KNOWN: [&[u8]; 8] = [
    b"protocol",
    b"host",
    b"path",
    b"username",
    b"password",
    b"password_expiry_utc",
    b"oauth_refresh_token",
    b"url",
];

/// The request's lines as both decoders split them: up to the first empty line, LF or CRLF.
fn lines(input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for line in input.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        out.push(line);
    }
    out
}

fn pairs(input: &[u8]) -> Vec<(&[u8], &[u8])> {
    lines(input)
        .into_iter()
        .filter_map(|l| {
            let eq = l.iter().position(|&b| b == b'=')?;
            Some((&l[..eq], &l[eq + 1..]))
        })
        .collect()
}

fn control(value: &[u8]) -> bool {
    value.iter().any(|&b| b < 0x20 || b == 0x7f)
        || String::from_utf8_lossy(value).chars().any(char::is_control)
}

/// Why we refuse a request gix accepts, when it is a deliberate deviation.
fn why_we_refuse(input: &[u8]) -> Option<&'static str> {
    if input.len() > MAX_REQUEST || lines(input).iter().any(|l| l.len() > MAX_LINE) {
        return Some("oversize input");
    }
    let pairs = pairs(input);
    for (i, (k, _)) in pairs.iter().enumerate() {
        if KNOWN.contains(k) && pairs[..i].iter().any(|(o, _)| o == k) {
            return Some("a key given twice");
        }
    }
    for (k, v) in &pairs {
        if control(k) {
            return Some("a control character in a key");
        }
        if [&b"protocol"[..], b"host", b"username"].contains(k) && control(v) {
            return Some("a control character in a value that routes a secret");
        }
        if *k == b"url" {
            return Some("url= is split and checked (gix keeps it whole)");
        }
    }
    None
}

/// Why we accept a request gix refuses, when it is a deliberate deviation.
fn why_we_accept(input: &[u8]) -> Option<&'static str> {
    for (k, v) in pairs(input) {
        if std::str::from_utf8(k).is_err() {
            return Some("a key that is not UTF-8 is unknown, and ignored as git does");
        }
        if [&b"password"[..], b"oauth_refresh_token"].contains(&k)
            && std::str::from_utf8(v).is_err()
        {
            return Some("a secret is bytes, as git passes it");
        }
    }
    None
}

fn same_fields(o: &Request, t: &Context) -> Result<(), String> {
    let bytes = |s: &Option<String>| s.as_ref().map(|s| s.as_bytes().to_vec());
    let secret =
        |s: &Option<git_credential_scoped::secret::Secret>| s.as_ref().map(|s| s.expose().to_vec());
    let expiry = t.password_expiry_utc.and_then(|e| u64::try_from(e).ok());
    let checks = [
        ("protocol", o.protocol == t.protocol),
        ("host", o.host == t.host),
        ("username", o.username == t.username),
        ("path", o.path == t.path.as_ref().map(|p| p.to_vec())),
        ("password", secret(&o.password) == bytes(&t.password)),
        (
            "oauth_refresh_token",
            secret(&o.oauth_refresh_token) == bytes(&t.oauth_refresh_token),
        ),
        ("password_expiry_utc", o.password_expiry_utc == expiry),
        (
            "wwwauth[]",
            o.wwwauth
                == t.www_authenticate
                    .iter()
                    .map(|w| w.to_vec())
                    .collect::<Vec<_>>(),
        ),
    ];
    match checks.iter().find(|(_, same)| !same) {
        Some((field, _)) => Err(format!("both accept, '{field}' differs")),
        None => Ok(()),
    }
}

/// Both decoders on `input`: `Err` names an unexplained difference.
fn compare(input: &[u8]) -> Result<(), String> {
    let theirs = Context::from_bytes(input, ContextOptions::default());
    match (decode(&mut &input[..]), theirs) {
        // With url= we split it into the fields and gix keeps it whole: the split is
        // compared with gix-url's below.
        (Ok(o), Ok(t)) if !pairs(input).iter().any(|(k, _)| *k == b"url") => {
            // A password_expiry_utc outside 0..=i64::MAX is read by one side only (ours is
            // unsigned, as git's; gix's signed). Found by the fuzz corpus: 18000000001800000000.
            let expiry_edge = pairs(input).iter().any(|(k, v)| {
                let text = String::from_utf8_lossy(v);
                *k == b"password_expiry_utc"
                    && (v.starts_with(b"-")
                        || (text.parse::<u64>().is_ok() && text.parse::<i64>().is_err()))
            });
            match same_fields(&o, &t) {
                Err(e) if e.contains("password_expiry_utc") && expiry_edge => Ok(()),
                other => other,
            }
        }
        (Ok(_), Ok(_)) | (Err(_), Err(_)) => Ok(()),
        (Err(e), Ok(_)) => why_we_refuse(input)
            .map(drop)
            .ok_or(format!("we refuse ({e}), gix accepts")),
        (Ok(_), Err(e)) => why_we_accept(input)
            .map(drop)
            .ok_or(format!("we accept, gix refuses ({e})")),
    }
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::sample::select(KNOWN.to_vec()).prop_map(<[u8]>::to_vec),
        2 => proptest::sample::select(vec![&b"wwwauth[]"[..], b"capability[]", b"state[]", b"quit", b"ephemeral"]).prop_map(<[u8]>::to_vec),
        1 => proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n' && *b != b'='), 0..6),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    let byte = proptest::sample::select(vec![
        b'a', b'Z', b'1', b'-', b'/', b':', b'@', b'%', b'=', b' ', b'\r', 0, 0x1b, 0x7f, 0xc2,
        0x9b, 0xff, 0xe2,
    ]);
    proptest::collection::vec(byte, 0..12)
}

fn request() -> impl Strategy<Value = Vec<u8>> {
    let line = (key(), any::<bool>(), value(), any::<bool>());
    (proptest::collection::vec(line, 0..8), any::<bool>()).prop_map(|(lines, blank)| {
        let mut out = Vec::new();
        for (k, eq, v, crlf) in lines {
            out.extend_from_slice(&k);
            if eq {
                out.push(b'=');
            }
            out.extend_from_slice(&v);
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        if blank {
            out.extend_from_slice(b"\nprotocol=after-the-end\n");
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn our_decoder_differs_from_gix_credentials_only_where_written_down(input in request()) {
        prop_assert_eq!(compare(&input), Ok(()), "{:?}", String::from_utf8_lossy(&input));
    }
}

#[test]
fn the_deviations_are_real_and_each_is_seen() {
    for (input, ours_refuses) in [
        (&b"host=a\nhost=b\n"[..], true),
        (b"protocol=https\x1bx\n", true),
        (b"\x01=x\n", true),
        (b"\xff=x\n", false),
        (b"password=\xff\n", false),
    ] {
        let theirs = Context::from_bytes(input, ContextOptions::default());
        assert_eq!(decode(&mut &input[..]).is_err(), ours_refuses, "{input:?}");
        assert_eq!(theirs.is_err(), !ours_refuses, "{input:?}");
        assert_eq!(compare(input), Ok(()));
    }
    let late = b"password_expiry_utc=18000000001800000000\n";
    let ours = decode(&mut &late[..]).unwrap();
    assert_eq!(ours.password_expiry_utc, Some(18_000_000_001_800_000_000));
    let theirs = Context::from_bytes(late, ContextOptions::default()).unwrap();
    assert_eq!(theirs.password_expiry_utc, None);
    assert_eq!(compare(late), Ok(()));
    let big = format!("host={}\n", "a".repeat(MAX_LINE + 1));
    assert!(decode(&mut big.as_bytes()).is_err());
    assert!(Context::from_bytes(big.as_bytes(), ContextOptions::default()).is_ok());
}

/// The fuzz seeds (and the corpus a local fuzz run grew, when present).
#[test]
fn our_decoder_and_gix_credentials_agree_on_the_fuzz_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut seen = 0;
    for dir in ["seeds/decode", "corpus/decode"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let input = std::fs::read(e.path()).unwrap();
            assert_eq!(compare(&input), Ok(()), "{}", e.path().display());
            seen += 1;
        }
    }
    assert!(seen >= 3, "the fuzz seeds are in fuzz/seeds/decode");
}

fn url() -> impl Strategy<Value = (String, Option<String>, String, Option<u16>, String)> {
    (
        proptest::sample::select(vec!["http", "https"]),
        proptest::option::of("[a-z][a-z0-9_.-]{0,8}"),
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,6}){0,2}",
        proptest::option::of(1u16..),
        "(/[A-Za-z0-9_.-]{1,8}){0,3}",
    )
        .prop_map(|(s, u, h, p, path)| (s.to_string(), u, h, p, path))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn our_url_split_agrees_with_gix_url((scheme, user, host, port, path) in url()) {
        let text = format!(
            "{scheme}://{}{host}{}{path}",
            user.as_deref().map(|u| format!("{u}@")).unwrap_or_default(),
            port.map(|p| format!(":{p}")).unwrap_or_default()
        );
        let ours = parse_url(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{text}: we refuse: {e}")))?;
        let theirs = gix_url::parse(text.as_str()).map_err(|e| TestCaseError::fail(format!("{text}: gix refuses: {e}")))?;
        prop_assert_eq!(&ours.protocol, theirs.scheme.as_str());
        prop_assert_eq!(ours.username.as_deref(), theirs.user());
        // git keeps the port in the host (credential "host=example.com:8443").
        let host_port = format!(
            "{}{}",
            theirs.host().unwrap_or_default(),
            theirs.port.map(|p| format!(":{p}")).unwrap_or_default()
        );
        prop_assert_eq!(&ours.host, &host_port);
        // git trims the slashes before the path.
        let their_path = theirs.path.to_vec();
        let trimmed: Vec<u8> = their_path.iter().copied().skip_while(|&b| b == b'/').collect();
        prop_assert_eq!(ours.path.unwrap_or_default(), trimmed);
    }
}

#[test]
fn the_url_deviations_follow_git_not_gix_url() {
    // git's credential_from_url decodes the host and keeps its case; gix-url keeps an HTTP
    // host's escapes and lowercases it.
    let ours = parse_url(b"https://Git%48ub.com/o/r").unwrap();
    assert_eq!(ours.host, "GitHub.com");
    let theirs = gix_url::parse("https://Git%48ub.com/o/r").unwrap();
    assert_ne!(theirs.host(), Some("GitHub.com"));
    // The authority ends at the first '/', '?' or '#': the host is evil.test for both.
    let ours = parse_url(b"https://evil.test#@github.com/").unwrap();
    assert_eq!(ours.host, "evil.test");
    // Not a URL: we refuse; gix-url reads it as a local path.
    assert!(parse_url(b"not a url").is_err());
    assert!(gix_url::parse("not a url").is_ok());
}
