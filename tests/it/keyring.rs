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
    // Issue 24 #4: the setting that works for a registered token, not the default for new ones.
    assert_has(&out.stderr, "rotate NAME --secret-store file");
    assert!(
        !out.stderr.contains("GIT_CREDENTIAL_SCOPED_SECRET_STORE"),
        "{}",
        out.stderr
    );
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

const FIRST_HOUR: &str =
    "github_pat_11FIRSTHOUR000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";

fn unreachable() -> Env {
    let mut env = Env::new().at(crate::support::NOW);
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    env
}

/// Issue 24 #5: with no keyring to keep it, `add` refuses before it reads the token, in
/// one line and one hint naming `--secret-store file` and what it means; no raw D-Bus text.
#[test]
fn add_says_the_keyring_is_unreachable_before_asking_for_the_token() {
    let env = unreachable();
    let out = env.add(&["t", "--owner", "o", "--repo", "r"], FIRST_HOUR);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "git-credential-scoped: the OS keyring is not reachable here, so the token was not asked for (GitHub shows it only once)\n\
         git-credential-scoped: hint: add --secret-store file to keep it in a private file (plaintext at rest, like git's credential-store)\n"
    );
    assert!(
        !env.config_path().exists()
            || !std::fs::read_to_string(env.config_path())
                .unwrap()
                .contains("name = \"t\"")
    );
    let mut file = vec!["t", "--owner", "o", "--repo", "r", "--secret-store", "file"];
    file.push("--no-expiry");
    env.add(&file, FIRST_HOUR).ok();
}

/// Issue 24 #4: moving a token off an unreachable keyring with the same secret keeps its
/// known expiry, so `check --all` stays green; a different secret is a new token.
#[test]
fn rotating_the_same_token_to_the_file_store_keeps_its_expiry() {
    let env = unreachable();
    let fp = git_credential_scoped::secret::fingerprint_of(FIRST_HOUR.as_bytes());
    env.write_config(&format!(
        "version = 1\n[[token]]\nname = \"kr\"\nowner = \"alta3\"\nrepositories = [\"labs\"]\nexpires = \"2027-06-01\"\nsecret = \"keyring\"\nfingerprint = \"{fp}\"\n"
    ));
    let out = env.run(
        &["rotate", "kr", "--secret-store", "file"],
        format!("{FIRST_HOUR}\n").as_bytes(),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(config.contains("expires = \"2027-06-01"), "{config}");
    let all = env.run(&["check", "--all"], b"");
    assert_eq!(all.status, 0, "{}{}", all.stdout, all.stderr);
    // A new secret without an expiry is a token of unknown expiry, as before.
    let out = env.run(&["rotate", "kr"], format!("{FIRST_HOUR}X\n").as_bytes());
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(env.run(&["check", "--all"], b"").status, 1);
}
