//! Property tests (proptest), each with a modest case count so the suite stays fast:
//! encode/decode round-trips of the wire format and of the program's own file fields, and
//! "no answer ever contains CR, LF or NUL" driven through the helper loop itself
//! ([`helper::run`] with a [`Context`] on a temp dir), whatever the request and whatever the
//! stores hold.

use git_credential_scoped::context::Context;
use git_credential_scoped::fields;
use git_credential_scoped::helper::{self, Action};
use git_credential_scoped::protocol::{decode, encode, Reply};
use git_credential_scoped::registry::credentials::{self, Stored};
use git_credential_scoped::secret::Secret;
use git_credential_scoped::secrets::{FileStore, SecretStore, StoreKind, Stores};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A value git may send in `username`: UTF-8 without control characters.
fn username() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{0,40}"
}

/// Bytes without CR, LF or NUL: what `password` and `oauth_refresh_token` may hold.
fn secret_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR LF NUL", |b| !b"\r\n\0".contains(b)),
        0..80,
    )
}

fn answer() -> impl Strategy<Value = Reply> {
    (
        proptest::option::of(username()),
        proptest::option::of(secret_bytes()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(secret_bytes()),
        any::<bool>(),
    )
        .prop_map(|(username, password, expiry, refresh, quit)| Reply {
            username,
            password: password.map(Secret::new),
            password_expiry_utc: expiry,
            oauth_refresh_token: refresh.map(Secret::new),
            quit,
            state: None,
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// Any answer field values without CR, LF or NUL survive encode → decode.
    #[test]
    fn answers_round_trip_through_the_wire_format(a in answer()) {
        let mut wire = Vec::new();
        encode(&a, &mut wire).unwrap();
        prop_assert!(!wire.contains(&b'\r') && !wire.contains(&0));
        let back = decode(&mut &wire[..]).unwrap();
        prop_assert_eq!(&back.username, &a.username);
        prop_assert!(back.password == a.password);
        prop_assert!(back.oauth_refresh_token == a.oauth_refresh_token);
        prop_assert_eq!(back.password_expiry_utc, a.password_expiry_utc);
    }

    /// A request's values (in any order, LF or CRLF) decode to themselves, and the answer
    /// built from them re-encodes to the same bytes as the answer built directly.
    #[test]
    fn requests_decode_to_what_was_sent(
        user in username(),
        password in secret_bytes(),
        host in "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
        path in proptest::collection::vec(any::<u8>().prop_filter("no CR LF NUL", |b| !b"\r\n\0".contains(b)), 0..60),
        crlf in any::<bool>(),
        reverse in any::<bool>(),
    ) {
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut lines: Vec<Vec<u8>> = vec![
            b"protocol=https".to_vec(),
            [&b"host="[..], host.as_bytes()].concat(),
            [&b"path="[..], &path].concat(),
            [&b"username="[..], user.as_bytes()].concat(),
            [&b"password="[..], &password].concat(),
        ];
        if reverse {
            lines.reverse();
        }
        let mut wire = Vec::new();
        for l in &lines {
            wire.extend_from_slice(l);
            wire.extend_from_slice(eol);
        }
        wire.extend_from_slice(eol);
        let r = decode(&mut &wire[..]).unwrap();
        prop_assert_eq!(r.protocol.as_deref(), Some("https"));
        prop_assert_eq!(r.host.as_deref(), Some(host.as_str()));
        prop_assert_eq!(r.path.as_deref(), Some(&path[..]));
        prop_assert_eq!(r.username.as_deref(), Some(user.as_str()));
        prop_assert!(r.password.as_ref().unwrap().equals(&password));
    }

    /// Decoding arbitrary bytes never panics, and what it accepts holds no control
    /// character where it routes secrets.
    #[test]
    fn decoding_anything_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(r) = decode(&mut &bytes[..]) {
            for v in [&r.protocol, &r.host, &r.username].into_iter().flatten() {
                prop_assert!(!v.chars().any(char::is_control), "{:?}", v);
            }
        }
    }

    /// The program's own file fields: any byte string (and absent) round-trips, and the
    /// encoding holds no space, tab or line end, so a line can never be split wrongly.
    #[test]
    fn file_fields_round_trip_any_bytes(v in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64))) {
        let text = fields::encode(v.as_deref());
        prop_assert!(text.bytes().all(|b| b > 0x20 && b < 0x7f), "{}", text);
        prop_assert_eq!(fields::decode(&text).unwrap(), v);
    }

    /// Decoding any text as a field never panics (a hand-edited or damaged file).
    #[test]
    fn file_field_decoding_never_panics(s in "\\PC{0,20}|[%0-9a-fA-F\u{e9}]{0,12}") {
        let _ = fields::decode(&s);
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The credential index saves and loads any field values unchanged.
    #[test]
    fn the_credential_index_round_trips(
        entries in proptest::collection::vec(
            (
                "\\PC{1,12}",
                "\\PC{1,20}",
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..30)),
                proptest::option::of("\\PC{0,12}"),
                proptest::option::of(any::<u64>()),
            ),
            0..6,
        )
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let stored: Vec<Stored> = entries
            .into_iter()
            .map(|(protocol, host, path, username, expiry)| Stored {
                id: credentials::new_id(),
                store: StoreKind::File,
                protocol,
                host,
                path,
                username,
                expiry,
            })
            .collect();
        credentials::save(tmp.path(), &stored).unwrap();
        prop_assert_eq!(credentials::load(tmp.path()).unwrap(), stored);
    }
}

/// A helper context on a temp dir: the file store, a registry with one token for
/// github.com `o/r` (and `o/*` with a second, expired one), a fixed clock.
struct Fixture {
    _tmp: tempfile::TempDir,
    ctx: Context,
}

const NOW: i64 = 1_800_000_000;

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let config_path = tmp.path().join("config.toml");
    std::fs::write(
        &config_path,
        "version = 1\n[settings]\nsecret_store = \"file\"\n\
         [[token]]\nname = \"narrow\"\nowner = \"o\"\nrepositories = [\"r\"]\nsecret = \"file\"\nexpires = \"never\"\n\
         [[token]]\nname = \"wide\"\nowner = \"o\"\nrepositories = \"all\"\nsecret = \"file\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let ctx = Context {
        config_path,
        stores: Stores::new(data_dir.clone()),
        data_dir,
        now: NOW,
    };
    Fixture { _tmp: tmp, ctx }
}

fn run(ctx: &Context, action: Action, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut out, mut diag) = (Vec::new(), Vec::new());
    let _ = helper::run(action, ctx, &mut &input[..], &mut out, &mut diag);
    (out, diag)
}

/// What a well-formed answer looks like: whole `key=value` lines of the answer keys only,
/// no CR or NUL anywhere.
fn well_formed(out: &[u8]) -> Result<(), String> {
    if out.contains(&b'\r') || out.contains(&0) {
        return Err("CR or NUL".into());
    }
    if !out.is_empty() && out.last() != Some(&b'\n') {
        return Err("a partial line".into());
    }
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let key = line.split(|&b| b == b'=').next().unwrap_or_default();
        if !matches!(
            key,
            b"username" | b"password" | b"password_expiry_utc" | b"oauth_refresh_token" | b"quit"
        ) || !line.contains(&b'=')
        {
            return Err(format!("line {:?}", String::from_utf8_lossy(line)));
        }
    }
    Ok(())
}

fn request_bytes() -> impl Strategy<Value = Vec<u8>> {
    let host = prop_oneof![
        Just("github.com".to_string()),
        Just("example.com".to_string()),
        "[a-z.]{1,12}",
    ];
    let path = prop_oneof![
        Just(b"o/r".to_vec()),
        Just(b"o/other.git".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    (
        prop_oneof![
            Just("https".to_string()),
            Just("http".to_string()),
            "[a-z]{0,5}"
        ],
        host,
        proptest::option::of(path),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..12)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..24)),
        proptest::collection::vec(any::<u8>(), 0..24),
    )
        .prop_map(|(protocol, host, path, username, password, junk)| {
            let mut v = format!("protocol={protocol}\nhost={host}\n").into_bytes();
            if let Some(p) = path {
                v.extend(b"path=");
                v.extend(p);
                v.push(b'\n');
            }
            if let Some(u) = username {
                v.extend(b"username=");
                v.extend(u);
                v.push(b'\n');
            }
            if let Some(p) = password {
                v.extend(b"password=");
                v.extend(p);
                v.push(b'\n');
            }
            v.extend(junk);
            v
        })
}

proptest! {
    #![proptest_config(config(40))]

    /// Whatever was stored before (through git's `store`, or written straight into the
    /// secret store, as a damaged or hand-edited store could be: secrets with LF, CR, NUL),
    /// and whatever git asks, `get` answers whole well-formed lines or nothing.
    #[test]
    fn no_answer_ever_contains_cr_lf_or_nul(
        token_secret in proptest::collection::vec(any::<u8>(), 1..24),
        generic_secret in proptest::collection::vec(any::<u8>(), 1..24),
        stores in proptest::collection::vec(request_bytes(), 0..3),
        gets in proptest::collection::vec(request_bytes(), 1..4),
    ) {
        let f = fixture();
        let files = FileStore::new(f.ctx.data_dir.clone());
        files.set("token/narrow", &Secret::new(token_secret.clone())).unwrap();
        files.set("token/wide", &Secret::new(token_secret)).unwrap();
        for s in &stores {
            run(&f.ctx, Action::Store, s);
        }
        // Overwrite every stored generic secret with arbitrary bytes.
        for e in credentials::load(&f.ctx.data_dir).unwrap() {
            files.set(&e.secret_key(), &Secret::new(generic_secret.clone())).unwrap();
        }
        for g in gets.iter().chain(&stores) {
            let (out, diag) = run(&f.ctx, Action::Get, g);
            prop_assert!(well_formed(&out).is_ok(), "{:?} for {:?}", well_formed(&out), String::from_utf8_lossy(g));
            let diag = String::from_utf8_lossy(&diag);
            for line in diag.lines() {
                prop_assert!(line.starts_with("git-credential-scoped: "), "{}", diag);
                prop_assert!(line.bytes().all(|b| (0x20..0x7f).contains(&b)), "{:?}", line);
            }
        }
    }
}
