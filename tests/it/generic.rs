//! Generic credentials for any host through real `git credential fill/approve/reject`,
//! with git's matching rules.

use crate::support::Env;

fn approve(env: &Env, fields: &str) {
    env.git(&["credential", "approve"], format!("{fields}\n").as_bytes())
        .ok();
}

fn reject(env: &Env, fields: &str) {
    env.git(&["credential", "reject"], format!("{fields}\n").as_bytes())
        .ok();
}

/// What `git credential fill` prints, or `None` when the helper had nothing (git fails: no prompt).
fn fill(env: &Env, fields: &str) -> Option<String> {
    let out = env.git(&["credential", "fill"], format!("{fields}\n").as_bytes());
    (out.status == 0).then_some(out.stdout)
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn stores_and_returns_a_credential() {
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=u\npassword=p");
    assert_eq!(
        fill(&env, "url=https://example.com").unwrap(),
        "protocol=https\nhost=example.com\nusername=u\npassword=p\n"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn storing_again_with_the_same_key_overwrites() {
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=u\npassword=one");
    approve(&env, "url=https://example.com\nusername=u\npassword=two");
    assert!(fill(&env, "url=https://example.com\nusername=u")
        .unwrap()
        .contains("password=two\n"));
    let index = std::fs::read_to_string(env.data_dir().join("credentials")).unwrap();
    assert_eq!(index.lines().filter(|l| !l.starts_with('#')).count(), 1);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn users_hosts_ports_and_protocols_stay_apart() {
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=alice\npassword=a");
    approve(&env, "url=https://example.com\nusername=bob\npassword=b");
    approve(
        &env,
        "url=https://example.com:8443\nusername=carol\npassword=c",
    );
    approve(&env, "url=http://example.com\nusername=dave\npassword=d");
    assert!(fill(&env, "url=https://example.com\nusername=bob")
        .unwrap()
        .contains("password=b\n"));
    assert!(fill(&env, "url=https://example.com:8443")
        .unwrap()
        .contains("username=carol\n"));
    assert!(fill(&env, "url=http://example.com")
        .unwrap()
        .contains("username=dave\n"));
    assert!(fill(&env, "url=https://example.org").is_none());
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn paths_are_matched_only_when_stored_and_asked_for() {
    let env = Env::new();
    let useful = |env: &Env, fields: &str| {
        let out = env.git(
            &["-c", "credential.useHttpPath=true", "credential", "fill"],
            format!("{fields}\n").as_bytes(),
        );
        (out.status == 0).then_some(out.stdout)
    };
    env.git(
        &["-c", "credential.useHttpPath=true", "credential", "approve"],
        b"url=https://example.com/repo.git\nusername=u\npassword=p\n\n",
    )
    .ok();
    assert!(useful(&env, "url=https://example.com/repo.git")
        .unwrap()
        .contains("password=p"));
    assert!(useful(&env, "url=https://example.com/other.git").is_none());
    // Without useHttpPath git sends no path, and a stored path matches anything.
    assert!(fill(&env, "url=https://example.com")
        .unwrap()
        .contains("password=p"));
}

#[test]
fn empty_username_is_not_absent() {
    let env = Env::new();
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=\npassword=empty-user\n\n",
    )
    .ok();
    let out = env.run(&["get"], b"protocol=https\nhost=example.com\nusername=\n\n");
    assert_eq!(out.ok().stdout, "username=\npassword=empty-user\n");
    let out = env.run(
        &["get"],
        b"protocol=https\nhost=example.com\nusername=someone\n\n",
    );
    assert_eq!(out.ok().stdout, "");
}

#[test]
fn expiry_and_refresh_token_round_trip() {
    let env = Env::new();
    env.run(&["store"], b"protocol=https\nhost=example.com\nusername=u\npassword=p\npassword_expiry_utc=9999999999\noauth_refresh_token=rt\n\n").ok();
    let out = env.run(&["get"], b"protocol=https\nhost=example.com\n\n");
    assert_eq!(
        out.ok().stdout,
        "username=u\npassword=p\npassword_expiry_utc=9999999999\noauth_refresh_token=rt\n"
    );
}

#[test]
fn ephemeral_credentials_are_not_stored() {
    let env = Env::new();
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=p\nephemeral=1\n\n",
    )
    .ok();
    assert_eq!(
        env.run(&["get"], b"protocol=https\nhost=example.com\n\n")
            .ok()
            .stdout,
        ""
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn erase_honours_the_given_password_and_wildcards() {
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=alice\npassword=a");
    approve(&env, "url=https://example.com\nusername=bob\npassword=b");
    reject(
        &env,
        "url=https://example.com\nusername=alice\npassword=wrong",
    );
    assert!(fill(&env, "url=https://example.com\nusername=alice").is_some());
    reject(&env, "url=https://example.com\nusername=alice\npassword=a");
    assert!(fill(&env, "url=https://example.com\nusername=alice").is_none());
    assert!(fill(&env, "url=https://example.com\nusername=bob").is_some());
    // Only the host: every user goes.
    env.run(&["erase"], b"protocol=https\nhost=example.com\n\n")
        .ok();
    assert!(fill(&env, "url=https://example.com\nusername=bob").is_none());
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn erase_without_protocol_or_host_erases_nothing() {
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=u\npassword=p");
    env.run(&["erase"], b"username=u\n\n").ok();
    env.run(&["erase"], b"protocol=https\n\n").ok();
    assert!(fill(&env, "url=https://example.com").is_some());
}

// Modes are unix permission bits (Windows: the profile directory's ACLs, GUIDE).
#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    approve(&env, "url=https://example.com\nusername=u\npassword=p");
    let dir = env.data_dir();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.join("credentials")), 0o600);
    assert_eq!(mode(&env.secrets_dir()), 0o700);
    let files: Vec<_> = std::fs::read_dir(env.secrets_dir())
        .unwrap()
        .flatten()
        .collect();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
    }
}
