//! The OS keyring of macOS (Keychain) and Windows (Credential Manager), for real: a token
//! added with the keyring store is served by `get`, no file holds its secret, the entry has
//! the name docs/GUIDE.md gives for it, and `remove` takes it away again. (Linux's Secret
//! Service is tested in keyring.rs against a private gnome-keyring.)
//!
//! Ignored by default: it writes to the keyring of the user who runs the tests.
//! `scripts/cross.sh` runs it under wine (whose Credential Manager lives in a throw-away
//! prefix) and the macOS and Windows CI jobs run it on their runners, both with
//! `cargo test --test it os_keyring -- --ignored`.

use crate::support::{assert_has, Env};
use git_credential_scoped::secret::fingerprint_of;

#[test]
#[ignore = "writes to this user's Keychain or Credential Manager (run it with: cargo test --test it os_keyring -- --ignored)"]
fn a_token_added_to_the_os_keyring_is_served_by_get_and_gone_after_remove() {
    // One name per run, so that a run killed half-way cannot disturb the next one.
    let name = format!("os-keyring-test-{}", std::process::id());
    let secret = format!(
        "github_pat_11OSKEYRING{}_notARealTokenJustATestValue",
        std::process::id()
    );
    let mut env = Env::new();
    env.store = "keyring";
    let added = env.add(
        &[&name, "--owner", "o", "--repo", "r", "--no-expiry"],
        &secret,
    );
    added.ok();
    assert_has(&env.run(&["list"], b"").ok().stdout, &name);

    let out = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert_eq!(
        out.ok().stdout,
        format!("username=x-access-token\npassword={secret}\n")
    );
    for (path, content) in env.all_files() {
        assert!(
            !String::from_utf8_lossy(&content).contains(&secret),
            "{} holds the secret",
            path.display()
        );
    }
    // The account (Keychain) or target (Credential Manager) docs/GUIDE.md gives.
    let key = format!("token/{name}/{}", fingerprint_of(secret.as_bytes()));
    assert_eq!(
        os_entry(&key).as_deref(),
        Some(secret.as_str()),
        "the entry under the documented name"
    );

    env.run(&["remove", &name, "--yes"], b"").ok();
    assert_eq!(os_entry(&key), None, "removed");
    assert_eq!(
        env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n")
            .ok()
            .stdout,
        ""
    );
}

/// The secret of the Keychain item named `git-credential-scoped` with account `key`, asked of
/// macOS's own `security` tool rather than of the code under test.
#[cfg(target_os = "macos")]
fn os_entry(key: &str) -> Option<String> {
    let out = std::process::Command::new("security")
        .args([
            "find-generic-password",
            "-s",
            "git-credential-scoped",
            "-a",
            key,
            "-w",
        ])
        .output()
        .expect("run security");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The secret of the generic credential whose target is `git-credential-scoped:KEY`, read by
/// that target alone (the name Credential Manager lists), not the way the program builds it.
#[cfg(windows)]
fn os_entry(key: &str) -> Option<String> {
    use keyring_core::api::CredentialStoreApi;
    let store = windows_native_keyring_store::Store::new().expect("Credential Manager");
    let target = format!("git-credential-scoped:{key}");
    let modifiers = std::collections::HashMap::from([("target", target.as_str())]);
    let entry = store
        .build("any service", "any user", Some(&modifiers))
        .expect("entry");
    match entry.get_secret() {
        Ok(bytes) => Some(String::from_utf8(bytes).expect("UTF-8 secret")),
        Err(keyring_core::Error::NoEntry) => None,
        Err(e) => panic!("Credential Manager: {e}"),
    }
}
