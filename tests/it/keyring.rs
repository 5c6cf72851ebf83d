//! The OS keyring path against a real Secret Service (gnome-keyring in a private D-Bus
//! session), and what happens when none is reachable.

use crate::support::{assert_has, Env, SecretService};

fn keyring_env(ss: &SecretService) -> Env {
    let mut env = Env::new();
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    env
}

#[test]
fn generic_credentials_live_in_the_keyring_and_nowhere_else() {
    let ss = SecretService::start();
    let env = keyring_env(&ss);
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=KEYRING-CANARY-1\n\n",
    )
    .ok();
    let out = env.run(&["get"], b"protocol=https\nhost=example.com\n\n");
    assert_eq!(out.ok().stdout, "username=u\npassword=KEYRING-CANARY-1\n");
    for (path, content) in env.all_files() {
        assert!(
            !String::from_utf8_lossy(&content).contains("KEYRING-CANARY-1"),
            "{}",
            path.display()
        );
    }
    env.run(
        &["erase"],
        b"protocol=https\nhost=example.com\nusername=u\n\n",
    )
    .ok();
    assert_eq!(
        env.run(&["get"], b"protocol=https\nhost=example.com\n\n")
            .ok()
            .stdout,
        ""
    );
}

#[test]
fn registered_tokens_are_read_from_the_keyring_only_once_chosen() {
    let ss = SecretService::start();
    let env = keyring_env(&ss);
    env.add(
        &["t", "--owner", "o", "--repo", "r", "--no-expiry"],
        "github_pat_KEYRING",
    )
    .ok();
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert_eq!(
        out.ok().stdout,
        "username=x-access-token\npassword=github_pat_KEYRING\n"
    );
    // Without a bus, commands that need no secret still work...
    let mut cut = Env {
        tmp: env.tmp,
        home: env.home.clone(),
        now: None,
        store: "keyring",
        extra: Vec::new(),
    };
    cut.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    assert!(cut.run(&["list"], b"").ok().stdout.contains("sha256:"));
    assert_eq!(
        cut.run(
            &["get"],
            b"protocol=https\nhost=github.com\npath=other/r\n\n"
        )
        .ok()
        .stdout,
        ""
    );
    // ...and one that needs it says so plainly, naming the alternatives.
    let out = cut.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "the OS keyring is not reachable");
    assert_has(&out.stderr, "GIT_CREDENTIAL_SCOPED_SECRET_STORE=file");
}

#[test]
fn an_unreachable_keyring_never_falls_back_to_a_file() {
    let mut env = Env::new();
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let start = std::time::Instant::now();
    let out = env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=NOFALLBACK\n\n",
    );
    assert!(start.elapsed().as_secs() < 10);
    assert_ne!(out.status, 0);
    assert_eq!(
        out.stderr.lines().filter(|l| !l.contains("hint:")).count(),
        1,
        "{}",
        out.stderr
    );
    assert!(env
        .all_files()
        .iter()
        .all(|(_, c)| !String::from_utf8_lossy(c).contains("NOFALLBACK")));
}
