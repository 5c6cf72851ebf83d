//! Crash safety (SPEC §6, §9): a process SIGKILLed in the middle of a write leaves the
//! previous file intact and readable; a lock dies with its holder, so a killed holder never
//! blocks the next writer; a live holder makes a writer give up after the bounded wait with a
//! clear error (`GIT_CREDENTIAL_SCOPED_LOCK_WAIT_MS` shortens the wait for these tests).
//!
//! Lock holders are this test binary itself, re-run with `GCS_TEST_HOLD_LOCK` set: it takes
//! the lock through the library's own `files::lock` and sleeps until it is killed.

use crate::support::{assert_has, Env, Out, NOW};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use git_credential_scoped::files;
use git_credential_scoped::registry::{config, credentials};

const TOKEN: &str = "github_pat_11CRASH00000000000000000_abcdefghijklmnopqrstuvwxyz0123456789";

/// Not a test of its own: the body of the lock-holding child process.
#[test]
fn lock_holder_child_process() {
    let Ok(spec) = std::env::var("GCS_TEST_HOLD_LOCK") else {
        return;
    };
    let (dir, name) = spec.split_once('\n').expect("dir and lock name");
    let _lock = files::lock(Path::new(dir), name).expect("lock");
    // libtest may have printed "test NAME ... " without a line end: start a fresh line.
    println!("\nGCS-LOCKED");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

pub struct Holder(Child);

impl Holder {
    /// A live process holding `dir/name`, returned once it holds it.
    pub fn start(dir: &Path, name: &str) -> Holder {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash::lock_holder_child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GCS_TEST_HOLD_LOCK", format!("{}\n{name}", dir.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.trim() == "GCS-LOCKED" => break,
                Some(Ok(_)) => continue,
                other => panic!("the lock holder did not start: {other:?}"),
            }
        }
        Holder(child)
    }

    /// SIGKILL: no destructor, no unlock call; only the kernel releases the lock.
    pub fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn store(env: &Env, value: &str) -> Out {
    env.run(
        &["store"],
        format!("protocol=https\nhost=example.com\nusername=u\npassword={value}\n\n").as_bytes(),
    )
}

fn get(env: &Env) -> String {
    let out = env.run(
        &["get"],
        b"protocol=https\nhost=example.com\nusername=u\n\n",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.stdout
}

fn answer(value: &str) -> String {
    format!("username=u\npassword={value}\n")
}

#[test]
fn a_killed_lock_holder_does_not_block_the_next_writer() {
    let env = Env::new();
    store(&env, "old").ok();
    let data = env.data_dir();
    for lock in [credentials::LOCK, ".secrets.lock"] {
        let holder = Holder::start(&data, lock);
        holder.kill();
        assert!(data.join(lock).exists(), "the lock file stays behind");
        let started = Instant::now();
        store(&env, lock).ok();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{lock} blocked the writer for {:?}",
            started.elapsed()
        );
        assert_eq!(get(&env), answer(lock));
    }
}

#[test]
fn a_live_lock_holder_makes_writers_give_up_after_the_bounded_wait() {
    let mut env = Env::new().at(NOW);
    env.set("GIT_CREDENTIAL_SCOPED_LOCK_WAIT_MS", "400");
    store(&env, "old").ok();
    env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();
    let config_before = std::fs::read(env.config_path()).unwrap();
    let data = env.data_dir();
    let config_dir = env.config_path().parent().unwrap().to_path_buf();
    type Writer<'a> = Box<dyn Fn() -> Out + 'a>;
    let cases: [(&Path, &str, Writer); 3] = [
        (&data, credentials::LOCK, Box::new(|| store(&env, "new"))),
        // The file store writes each secret whole, with no lock of its own; the usage
        // state is read, changed and written back under its lock.
        (
            &data,
            ".state.lock",
            Box::new(|| env.run(&["unreject", "t"], b"")),
        ),
        (
            &config_dir,
            ".config.toml.lock",
            Box::new(|| {
                env.add(
                    &["u", "--owner", "o", "--repo", "s", "--expires-in", "90d"],
                    TOKEN,
                )
            }),
        ),
    ];
    for (dir, lock, write) in cases {
        let holder = Holder::start(dir, lock);
        let started = Instant::now();
        let out = write();
        let waited = started.elapsed();
        assert_eq!(out.status, 2, "{lock}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            waited >= Duration::from_millis(400) && waited < Duration::from_secs(5),
            "{lock}: gave up after {waited:?}"
        );
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first
                .starts_with("git-credential-scoped: timed out after 400 ms waiting for the lock ")
                && first.contains(&dir.join(lock).display().to_string())
                && first.contains("another git-credential-scoped process is still writing"),
            "{lock}: {}",
            out.stderr
        );
        assert_has(&out.stderr, "hint: ");
        assert!(!out.stderr.contains(TOKEN));
        holder.kill();
        // Nothing changed, and the next writer goes through.
        assert_eq!(get(&env), answer("old"), "{lock}");
        assert_eq!(std::fs::read(env.config_path()).unwrap(), config_before);
    }
    store(&env, "after").ok();
    assert_eq!(get(&env), answer("after"));
}

#[test]
fn the_default_wait_is_ten_seconds() {
    assert_eq!(files::LOCK_WAIT, Duration::from_secs(10));
}

/// Starts the binary with `stdin` and returns the running child.
fn spawn(env: &Env, args: &[&str], stdin: &[u8]) -> Child {
    let mut c = env.command(crate::support::BIN);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child
}

#[test]
fn a_store_killed_between_its_two_writes_leaves_the_old_credential() {
    let env = Env::new();
    store(&env, "old").ok();
    let data = env.data_dir();
    let count = || env.stored_secrets().len();
    let before = count();
    // Hold the index lock: the writer stores the new secret, then waits for the index.
    let holder = Holder::start(&data, credentials::LOCK);
    let mut writer = spawn(
        &env,
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=new\n\n",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while count() == before {
        assert!(
            Instant::now() < deadline,
            "the writer never wrote its secret"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    writer.kill().unwrap();
    writer.wait().unwrap();
    holder.kill();
    assert_eq!(get(&env), answer("old"));
    assert_eq!(credentials::load(&data).unwrap().len(), 1);
    env.run(&["list"], b"").ok();
    store(&env, "newer").ok();
    assert_eq!(get(&env), answer("newer"));
}

/// xorshift, seeded from the clock; the seed is printed so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn writers_killed_at_random_points_leave_the_old_or_the_new_state() {
    let env = Env::new().at(NOW);
    let seed = std::env::var("GCS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash seed: GCS_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();
    store(&env, "v0").ok();
    let mut current = "v0".to_string();
    let mut token_fp = fingerprint(&env, "t");
    let mut tokens = 1;
    let (mut completed, mut killed) = (0, 0);
    for i in 1..=40 {
        // A helper process lives a few milliseconds: most kills land inside it.
        let delay = Duration::from_micros(rng.next(8_000));
        match i % 3 {
            // A generic store.
            0 | 1 => {
                let new = format!("v{i}");
                let mut child = spawn(
                    &env,
                    &["store"],
                    format!("protocol=https\nhost=example.com\nusername=u\npassword={new}\n\n")
                        .as_bytes(),
                );
                std::thread::sleep(delay);
                let finished = child.try_wait().unwrap().is_some();
                let _ = child.kill();
                child.wait().unwrap();
                let got = get(&env);
                assert!(
                    got == answer(&current) || got == answer(&new),
                    "after killing store of {new} (old {current}): {got:?}"
                );
                if finished {
                    assert_eq!(got, answer(&new));
                }
                if got == answer(&new) {
                    current = new;
                }
                let index = credentials::load(&env.data_dir()).unwrap();
                assert_eq!(index.len(), 1, "one key, one entry");
                (completed, killed) = if finished {
                    (completed + 1, killed)
                } else {
                    (completed, killed + 1)
                };
            }
            // A config write: rotate or add, killed at a random point.
            _ => {
                let new = TOKEN.replace("abcdef", &format!("{i:06}"));
                let (args, adds): (Vec<String>, bool) = if rng.next(2) == 0 {
                    (
                        vec!["rotate".into(), "t".into(), "--no-expiry".into()],
                        false,
                    )
                } else {
                    (
                        [
                            "add",
                            &format!("n{i}"),
                            "--owner",
                            "o",
                            "--repo",
                            &format!("r{i}"),
                            "--no-expiry",
                        ]
                        .map(String::from)
                        .to_vec(),
                        true,
                    )
                };
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let mut child = spawn(&env, &args, format!("{new}\n").as_bytes());
                std::thread::sleep(delay);
                let _ = child.kill();
                child.wait().unwrap();
                // The config parses and holds the old or the new state.
                let reg = config::load(&env.config_path()).expect("config parses");
                let list = env.run(&["list"], b"");
                list.ok();
                if adds {
                    assert!(reg.tokens.len() == tokens || reg.tokens.len() == tokens + 1);
                    tokens = reg.tokens.len();
                } else {
                    let fp = fingerprint(&env, "t");
                    let new_fp = git_credential_scoped::secret::fingerprint_of(new.as_bytes());
                    assert!(fp == token_fp || fp == new_fp, "{fp} is neither");
                    token_fp = fp;
                }
                assert_eq!(reg.tokens.len(), tokens);
            }
        }
    }
    eprintln!("random kills: {killed} stores killed, {completed} finished first");
    // Normal writes of every file family clean up what killed writers left.
    store(&env, "final").ok();
    env.run(
        &["rotate", "t", "--no-expiry"],
        format!("{TOKEN}\n").as_bytes(),
    )
    .ok();
    assert_eq!(get(&env), answer("final"));
    for dir in [
        env.data_dir(),
        env.config_path().parent().unwrap().to_path_buf(),
    ] {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let cleaned = [
                ".credentials.tmp-",
                ".secrets.tmp-",
                ".config.toml.tmp-",
                ".state.tmp-",
            ];
            assert!(
                !cleaned.iter().any(|p| name.starts_with(p)),
                "left-over temp file {name}"
            );
        }
    }
}

fn fingerprint(env: &Env, name: &str) -> String {
    let reg = config::load(&env.config_path()).unwrap();
    reg.token(name).unwrap().fingerprint.clone().unwrap()
}
