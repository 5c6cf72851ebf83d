//! Issue 12: only the user's own config decides where a token goes, nothing hangs or
//! crashes on what is found in files or the environment, and no multi-step change loses or
//! resurrects data. One test per item of the issue, numbered as there; each failed before
//! the fix. (#8, a secret command's children, and #9's linear parse are unit tests in
//! src/secrets/command.rs and src/registry/config.rs; #15 is in github.rs.)

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{assert_has, assert_lacks, Env, Out, NOW};

const TOKEN: &str = "github_pat_11INTEGRITY000000000000_abcdefghijklmnopqrstuvwxyz0123456789";
const NEWER: &str = "github_pat_11INTEGRITYNEW0000000000_abcdefghijklmnopqrstuvwxyz0123456789";

fn chmod(p: &std::path::Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn with_token() -> Env {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(
        &["alta3", "--owner", "alta3", "--repo", "labs", "--no-expiry"],
        TOKEN,
    )
    .ok();
    env
}

fn get(env: &Env, path: &str) -> Out {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={path}\n\n").as_bytes(),
    )
}

/// Runs the binary, failing the test (not hanging it) when it takes longer than `limit`.
fn run_within(env: &Env, args: &[&str], stdin: &[u8], limit: Duration) -> Out {
    let mut c = env.command(crate::support::BIN);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return Out {
                status: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(p: &std::path::Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo");
}

#[test]
fn i01_an_at_sign_after_the_host_never_moves_a_token_elsewhere() {
    let env = with_token();
    for url in [
        "https://evil.test#@github.com/alta3/labs",
        "https://evil.test?@github.com/alta3/labs",
    ] {
        let out = env.run(&["get"], format!("url={url}\n\n").as_bytes());
        assert_lacks(&out.stdout, TOKEN);
        let check = env.run(&["check", url], b"");
        assert_eq!(check.status, 1, "{url}: {}", check.stdout);
        assert!(
            check.stdout.starts_with("not-github https://evil.test"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn i02_a_forged_cache_in_a_directory_others_may_write_is_never_trusted() {
    let mut env = with_token();
    let shared = env.tmp.path().join("shared-data");
    std::fs::create_dir(&shared).unwrap();
    env.set("GIT_CREDENTIAL_SCOPED_DATA_DIR", shared.to_str().unwrap());
    env.add(
        &["mine", "--owner", "o", "--repo", "r", "--no-expiry"],
        TOKEN,
    )
    .ok();
    assert!(get(&env, "o/r").ok().stdout.contains(TOKEN));
    // Someone else rewrites the cache (its header copied) to send the token to evil.test
    // and to run a command of theirs, in a directory they may write.
    let cache = shared.join("registry.cache");
    let forged = std::fs::read_to_string(&cache)
        .unwrap()
        .replace("T github.com o", "T evil.test o")
        .replace("G github.com o", "G evil.test o");
    std::fs::write(&cache, forged).unwrap();
    chmod(&shared, 0o777);
    let out = env.run(&["get"], b"protocol=https\nhost=evil.test\npath=o/r\n\n");
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(
        &out.stderr,
        "(the data directory) may be written by group or others",
    );
    assert_has(&out.stderr, "chmod 700");
    assert_lacks(&out.stderr, TOKEN);
}

#[test]
fn i03_a_config_is_judged_where_it_really_lives_and_by_its_owner() {
    let mut env = with_token();
    // A symlink from the private config directory into a world-writable one.
    let open = env.tmp.path().join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let real = open.join("config.toml");
    std::fs::copy(env.config_path(), &real).unwrap();
    chmod(&real, 0o600);
    let link = env.tmp.path().join("link.toml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    env.set("GIT_CREDENTIAL_SCOPED_CONFIG", link.to_str().unwrap());
    let out = get(&env, "alta3/labs");
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(
        &out.stderr,
        "is writable by group or others, who could replace",
    );
    // A config owned by another (non-root) user: changing an owner needs root (CI is).
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if !crate::support::prerequisite("the ownership half needs root", root) {
        return;
    }
    chmod(&open, 0o755);
    Command::new("chown")
        .args(["4242", real.to_str().unwrap()])
        .status()
        .unwrap();
    let out = get(&env, "alta3/labs");
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "belongs to another user (uid 4242)");
}

#[test]
fn i04_a_typo_in_the_config_is_an_error_naming_file_line_and_key() {
    let env = Env::new().at(NOW);
    env.write_config(
        "version = 1\n[[token]]\nname = \"t\"\nowner = \"alta3\"\nrepositories = [\"labs\"]\nexpire = \"2020-01-01\"\nsecret_env = \"T\"\n",
    );
    let mut env = env;
    env.set("T", TOKEN);
    let out = get(&env, "alta3/labs");
    assert_eq!(
        out.stdout, "quit=1\n",
        "the expired token must never be served"
    );
    assert_has(
        &out.stderr,
        "config.toml, line 6: unknown key 'expire'; did you mean 'expires'?",
    );
    env.write_config("version = 1\n[setings]\nwarn_days = 3\n");
    let list = env.run(&["list"], b"");
    assert_eq!(list.status, 2);
    assert_has(
        &list.stderr,
        "line 2: unknown key 'setings'; did you mean 'settings'?",
    );
}

#[test]
fn i05_an_odd_character_in_a_time_is_refused_not_a_crash() {
    let env = Env::new().at(NOW);
    env.write_config(
        "version = 1\n[[token]]\nname = \"t\"\nowner = \"alta3\"\nrepositories = [\"labs\"]\nexpires = \"2027-01-01 00:00:00 +0é0\"\n",
    );
    for out in [
        get(&env, "alta3/labs"),
        env.run(&["get"], b"protocol=https\nhost=example.com\n\n"),
    ] {
        assert_eq!(out.status, 2, "{}", out.stderr);
        assert_has(&out.stderr, "token 't': 'expires' must be");
        assert_lacks(&out.stderr, "panicked");
    }
    let env = Env::new().at(NOW);
    let out = env.add(
        &[
            "t",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires",
            "2027-01-01 00:00:00 +0é0",
        ],
        TOKEN,
    );
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "--expires must be a date");
}

#[test]
fn i06_a_session_bus_that_never_answers_does_not_hang_get() {
    let mut env = Env::new().at(NOW);
    env.write_config(
        "version = 1\n[[token]]\nname = \"kr\"\nowner = \"alta3\"\nrepositories = [\"labs\"]\nsecret = \"keyring\"\nfingerprint = \"sha256:0000000000000000\"\n",
    );
    // A socket that accepts connections and never says a word.
    let sock = env.tmp.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(4) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", sock.display()),
    );
    let start = Instant::now();
    let out = run_within(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        Duration::from_secs(30),
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "did not answer within 5 s");
    drop(held);
}

#[test]
fn i07_fifos_and_devices_in_a_files_place_are_refused_at_once() {
    let quick = Duration::from_secs(10);
    // The registry cache as a FIFO, then as a link to /dev/zero.
    let env = with_token();
    let cache = env.data_dir().join("registry.cache");
    std::fs::remove_file(&cache).unwrap();
    mkfifo(&cache);
    let out = run_within(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        quick,
    );
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "registry.cache is not a regular file");
    std::fs::remove_file(&cache).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &cache).unwrap();
    let out = run_within(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        quick,
    );
    assert_has(&out.stderr, "registry.cache is a symbolic link");
    std::fs::remove_file(&cache).unwrap();
    // A secret's file, and a lock file, as FIFOs.
    let env = with_token();
    let secret = std::fs::read_dir(env.secrets_dir())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::remove_file(&secret).unwrap();
    mkfifo(&secret);
    let out = run_within(
        &env,
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
        quick,
    );
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "is not a regular file");
    let lock = env.data_dir().join(".credentials.lock");
    let _ = std::fs::remove_file(&lock);
    mkfifo(&lock);
    let out = run_within(
        &env,
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=p\n\n",
        quick,
    );
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, ".credentials.lock is not a regular file");
}

#[test]
fn i09_doctor_finishes_on_a_key_full_of_stars() {
    let env = Env::new();
    let key = format!("credential.https://{}x.com.helper", "*".repeat(100));
    let ok = env
        .command("git")
        .args(["config", "--global", &key, "store"])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = run_within(&env, &["doctor"], b"", Duration::from_secs(20));
    assert_has(&out.stdout, "github.com");
}

#[test]
fn i10_an_online_check_never_undoes_a_remove_made_while_it_waited() {
    use gh_test_server::{TestServer, TokenSpec};
    let root = tempfile::tempdir().unwrap();
    let mut spec = TokenSpec::new("t", TOKEN, "alta3");
    spec.repos = Some(vec!["labs".into()]);
    spec.expiration_header = Some("2027-03-01 12:00:00 UTC".into());
    let server = TestServer::start(root.path(), vec![spec]).unwrap();
    server.create_repo("alta3", "labs").unwrap();
    let mut env = Env::new().at(NOW);
    env.use_http_path();
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
        server.host(),
        server.api_base()
    ));
    env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
    env.add(
        &[
            "t",
            "--host",
            &server.host(),
            "--owner",
            "alta3",
            "--repo",
            "labs",
        ],
        TOKEN,
    )
    .ok();
    server.delay_api(Duration::from_millis(1500));
    let mut c = env.command(crate::support::BIN);
    c.args(["check", "--online", &server.url("alta3", "labs")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let checking = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    env.run(&["remove", "t", "--yes"], b"").ok();
    let out = checking.wait_with_output().unwrap();
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert_lacks(&config, "name = \"t\"");
    let get = env.run(
        &["get"],
        format!(
            "protocol=https\nhost={}\npath=alta3/labs\n\n",
            server.host()
        )
        .as_bytes(),
    );
    assert_lacks(&get.stdout, TOKEN);
    let _ = out;
}

#[test]
fn i11_remove_racing_add_never_loses_the_added_secret() {
    // The file store's lock is held while `remove t` and then `add t` start: remove has
    // changed the registry and waits to delete the old secret, add waits too. Before the
    // fix, remove released the config's lock first, so add could store its secret under
    // the same key before remove deleted it. Now the delete happens under the config's lock
    // and the key carries the fingerprint.
    let env = Env::new().at(NOW);
    for round in 0..6 {
        let old = format!("{TOKEN}{round:02}");
        let new = format!("{NEWER}{round:02}");
        env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], &old)
            .ok();
        let holder = crate::crash::Holder::start(&env.data_dir(), ".secrets.lock");
        let mut remove = env.command(crate::support::BIN);
        remove
            .args(["remove", "t", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut remove = remove.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let mut add = env.command(crate::support::BIN);
        add.args(["add", "t", "--owner", "o", "--repo", "r", "--no-expiry"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut add = add.spawn().unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{new}\n").as_bytes())
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        holder.kill();
        remove.wait().unwrap();
        add.wait().unwrap();
        let list = env.run(&["list", "--json"], b"");
        if list.stdout.contains("\"name\":\"t\"") {
            let out = get(&env, "o/r");
            assert!(
                out.stdout.contains(&new),
                "round {round}: {}{}",
                out.stdout,
                out.stderr
            );
            env.run(&["remove", "t", "--yes"], b"").ok();
        }
        assert!(
            env.stored_secrets().is_empty(),
            "round {round}: {:?}",
            env.stored_secrets()
                .iter()
                .map(|s| &s.0)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn i12_a_rotate_that_fails_half_way_leaves_the_old_token_working() {
    let mut env = with_token();
    env.set("GIT_CREDENTIAL_SCOPED_TEST_FAIL", "config.toml");
    let out = env.run(
        &["rotate", "alta3", "--no-expiry"],
        format!("{NEWER}\n").as_bytes(),
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_has(&out.stderr, "injected failure");
    let env = Env {
        extra: Vec::new(),
        ..env
    };
    let served = get(&env, "alta3/labs");
    assert!(served.ok().stdout.contains(TOKEN), "{}", served.stdout);
    // git's store of the live token is recognised: no copy lands in the generic store.
    env.run(
        &["store"],
        format!("protocol=https\nhost=github.com\npath=alta3/labs\nusername=x-access-token\npassword={TOKEN}\n\n").as_bytes(),
    )
    .ok();
    assert!(!env.data_dir().join("credentials").exists());
    let keys: Vec<String> = env.stored_secrets().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 1, "the new secret was taken back: {keys:?}");
}

#[test]
fn i13_an_erase_whose_secret_cannot_be_deleted_keeps_its_index_entry() {
    let mut env = Env::new();
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=pw\n\n",
    )
    .ok();
    let secret = std::fs::read_dir(env.secrets_dir())
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    env.set(
        "GIT_CREDENTIAL_SCOPED_TEST_FAIL",
        &secret.file_name().to_string_lossy(),
    );
    let out = env.run(
        &["erase"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=pw\n\n",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    let env = Env {
        extra: Vec::new(),
        ..env
    };
    let index = std::fs::read_to_string(env.data_dir().join("credentials")).unwrap();
    assert_has(&index, "example.com");
    // A later erase reaches it, and then nothing is left.
    env.run(
        &["erase"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=pw\n\n",
    )
    .ok();
    assert_eq!(
        env.run(&["get"], b"protocol=https\nhost=example.com\n\n")
            .stdout,
        ""
    );
    assert!(env.stored_secrets().is_empty());
}

#[test]
fn i14_an_expiry_past_the_year_9999_is_refused_before_anything_is_stored() {
    let env = Env::new().at(NOW);
    let out = env.add(
        &[
            "t",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires",
            "253402300800",
        ],
        TOKEN,
    );
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "--expires must be a date");
    assert_lacks(&out.stderr, "config.toml");
    assert!(env.stored_secrets().is_empty());
    assert!(!env.config_path().exists());
}

#[test]
fn i16_a_narrower_token_passed_over_is_named() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "narrow",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires",
            "2027-01-10",
        ],
        TOKEN,
    )
    .ok();
    env.add(
        &["wide", "--owner", "alta3", "--all-repos", "--no-expiry"],
        NEWER,
    )
    .ok();
    let out = get(&env, "alta3/labs");
    assert!(out.ok().stdout.contains(NEWER));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_has(&out.stderr, "token 'narrow' covers this repository more narrowly but was passed over: it expired 2027-01-10 (5 days ago); sending 'wide' instead");
    assert_has(&out.stderr, "git credential-scoped rotate narrow");
}

#[test]
fn i17_setup_never_prints_another_helpers_options() {
    let env = Env::new();
    let secret_helper = "!f() { echo password=SETUP-SECRET-VALUE; }; f";
    let ok = env
        .command("git")
        .args(["config", "--global", "credential.helper", secret_helper])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = env.run(&["setup"], b"");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_has(&out.stdout, "no longer");
    assert_lacks(&out.stdout, "SETUP-SECRET-VALUE");
    assert_lacks(&out.stderr, "SETUP-SECRET-VALUE");
}

#[test]
fn i12_an_edit_never_undoes_a_rotate_made_while_it_waited() {
    // Issue 14: edit --verify asks the server before it takes the lock; a rotate meanwhile
    // gave the token a new secret, so what was verified no longer holds.
    use gh_test_server::{TestServer, TokenSpec};
    let root = tempfile::tempdir().unwrap();
    let mut spec = TokenSpec::new("t", TOKEN, "alta3");
    spec.repos = Some(vec!["labs".into(), "demo".into()]);
    let server = TestServer::start(root.path(), vec![spec]).unwrap();
    server.create_repo("alta3", "demo").unwrap();
    let mut env = Env::new().at(NOW);
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
        server.host(),
        server.api_base()
    ));
    env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
    let host = server.host();
    env.add(
        &[
            "t",
            "--host",
            &host,
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--no-expiry",
        ],
        TOKEN,
    )
    .ok();
    server.delay_api(Duration::from_millis(1500));
    let mut c = env.command(crate::support::BIN);
    c.args(["edit", "t", "--add-repo", "demo", "--verify"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let editing = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    env.run(
        &["rotate", "t", "--expires-in", "30d"],
        format!("{NEWER}\n").as_bytes(),
    )
    .ok();
    let out = editing.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_has(&stderr, "got a new secret meanwhile");
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert_has(&config, "repositories = [\"labs\"]");
    assert_has(&config, "expires = \"2027-02-14T00:00:00Z\"");
}

#[test]
fn i13_edits_and_rotates_at_once_all_take_effect() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--repo", "r0", "--no-expiry"], TOKEN)
        .ok();
    for round in 1..=8 {
        let secret = format!("{NEWER}{round:02}");
        std::thread::scope(|s| {
            s.spawn(|| {
                env.run(&["edit", "t", "--add-repo", &format!("r{round}")], b"")
                    .ok()
                    .status
            });
            s.spawn(|| {
                env.run(
                    &["rotate", "t", "--no-expiry"],
                    format!("{secret}\n").as_bytes(),
                )
                .ok()
                .status
            });
        });
        // Both happened: the new secret answers, for every repository added so far.
        for r in 0..=round {
            let out = get(&env, &format!("o/r{r}"));
            assert!(
                out.stdout.contains(&format!("password={secret}\n")),
                "round {round}, r{r}: {}{}",
                out.stdout,
                out.stderr
            );
        }
    }
}
