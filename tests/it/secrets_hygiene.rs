//! The canary: a secret given to the program appears nowhere but the chosen secret store and
//! the protocol answer — not in any other file, not on stderr, not in any command's output.

use crate::support::{Env, NOW};

const CANARY: &str = "github_pat_CANARY0000000000000000_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
const GENERIC: &str = "generic-CANARY-password";
const REFRESH: &str = "refresh-CANARY-token";

fn assert_absent(what: &str, text: &str) {
    for s in [CANARY, GENERIC, REFRESH] {
        assert!(!text.contains(s), "{what} holds a secret:\n{text}");
    }
}

#[test]
fn no_secret_leaks_from_any_command_or_file() {
    let env = Env::new().at(NOW);
    let mut outputs = Vec::new();
    outputs.push(env.add(
        &[
            "canary",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires-in",
            "3d",
        ],
        CANARY,
    ));
    outputs.push(env.run(&["store"], format!("protocol=https\nhost=example.com\nusername=u\npassword={GENERIC}\noauth_refresh_token={REFRESH}\n\n").as_bytes()));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "canary"],
        &["show", "canary", "--json"],
        &["unreject", "canary"],
        &["show", "missing"],
        &["--help"],
        &["add", "--help"],
    ] {
        outputs.push(env.run(args, b""));
    }
    // get: the answer is the only place the secret may appear, and stderr (a warning) is clean.
    let got = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert!(got.stdout.contains(CANARY));
    assert_absent("get stderr", &got.stderr);
    // store/erase of the registered token with the secret on stdin.
    let req = format!("protocol=https\nhost=github.com\npath=o/r\npassword={CANARY}\n\n");
    outputs.push(env.run(&["store"], req.as_bytes()));
    outputs.push(env.run(&["erase"], req.as_bytes()));
    outputs.push(env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n"));
    // Error paths: hostile input holding the secret, a duplicate add, a bad rotate.
    outputs.push(
        env.run(
            &["get"],
            format!("protocol=https\nhost=github.com\npassword={CANARY}\npassword={CANARY}\n\n")
                .as_bytes(),
        ),
    );
    outputs.push(env.run(
        &["get"],
        format!("protocol=https\nhost=x\x1b\nusername={CANARY}\n\n").as_bytes(),
    ));
    outputs.push(env.add(&["canary", "--owner", "o", "--repo", "r"], CANARY));
    outputs.push(env.run(
        &["rotate", "canary", "--expires-in", "bogus"],
        format!("{CANARY}\n").as_bytes(),
    ));
    outputs.push(env.run(
        &["store"],
        format!("protocol=https\nhost=example.com\npassword={GENERIC}\x00\n\n").as_bytes(),
    ));
    for out in &outputs {
        assert_absent("stdout", &out.stdout);
        assert_absent("stderr", &out.stderr);
    }
    for (path, content) in env.all_files() {
        if path.parent().is_some_and(|d| d.ends_with("secrets.d")) {
            continue; // the file store the test chose: the one place secrets belong
        }
        assert_absent(
            &path.display().to_string(),
            &String::from_utf8_lossy(&content),
        );
    }
}
