//! The wire format as git sees it, through the binary: exactly this stdin gives exactly this
//! stdout and stderr.

use crate::support::{assert_has, Env};

fn stored(env: &Env) {
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=secret-pw\n\n",
    )
    .ok();
}

#[test]
fn unknown_actions_are_ignored_silently() {
    let env = Env::new();
    let out = env.run(&["frobnicate"], b"protocol=https\nhost=example.com\n\n");
    assert_eq!(
        (out.status, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn options_may_stand_before_the_action() {
    let env = Env::new();
    let config = env.home.join("elsewhere.toml");
    let out = env.run(
        &["--config", config.to_str().unwrap(), "get"],
        b"protocol=https\nhost=example.com\n\n",
    );
    assert_eq!((out.status, out.stdout.as_str()), (0, ""));
}

#[test]
fn crlf_requests_are_understood() {
    let env = Env::new();
    stored(&env);
    let out = env.run(&["get"], b"protocol=https\r\nhost=example.com\r\n\r\n");
    assert_eq!(out.ok().stdout, "username=u\npassword=secret-pw\n");
}

#[test]
fn a_missing_protocol_or_host_is_never_a_wildcard() {
    let env = Env::new();
    stored(&env);
    for req in [&b"host=example.com\n\n"[..], b"protocol=https\n\n", b"\n"] {
        let out = env.run(&["get"], req);
        assert_eq!((out.status, out.stdout.as_str()), (0, ""));
    }
}

#[test]
fn hostile_values_void_the_request_with_one_escaped_line() {
    let env = Env::new();
    stored(&env);
    let cases: [&[u8]; 5] = [
        b"protocol=https\nhost=example.com\x1b[31m\n\n",
        b"protocol=https\nhost=example.com\rpath=x\n\n",
        b"protocol=https\nhost=example.com\nusername=u\x00\n\n",
        b"protocol=https\nhost=example.com\nhost=evil.test\n\n",
        b"protocol=https\nhost=example.com\nurl=https://evil.test/\n\n",
    ];
    for req in cases {
        let out = env.run(&["get"], req);
        assert_eq!(out.stdout, "", "{}", String::from_utf8_lossy(req));
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(
            out.stderr.starts_with("git-credential-scoped: refused"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains('\x1b'));
        assert_ne!(out.status, 0);
    }
}

#[test]
fn oversized_lines_and_requests_are_refused_whole() {
    let env = Env::new();
    stored(&env);
    let mut long = b"protocol=https\nhost=example.com\nwwwauth[]=".to_vec();
    long.extend(std::iter::repeat_n(b'a', 70_000));
    long.extend_from_slice(b"\n\n");
    let out = env.run(&["get"], &long);
    assert_eq!(out.stdout, "");
    assert_has(&out.stderr, "longer than 65535 bytes");
    let mut big = b"protocol=https\nhost=example.com\n".to_vec();
    while big.len() < 2 << 20 {
        big.extend_from_slice(b"wwwauth[]=");
        big.extend(std::iter::repeat_n(b'b', 60_000));
        big.push(b'\n');
    }
    let out = env.run(&["get"], &big);
    assert_eq!(out.stdout, "");
    assert_has(&out.stderr, "larger than 1048576 bytes");
}

#[test]
fn answers_hold_only_answer_fields() {
    let env = Env::new();
    stored(&env);
    let out = env.run(&["get"], b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=example.com\nwwwauth[]=Basic realm=\"x\"\nstate[]=s\n\n");
    assert_eq!(out.ok().stdout, "username=u\npassword=secret-pw\n");
}
