//! Many git processes at once (SPEC §9 "Reliability"): 32 concurrent streams of helper
//! processes, 100 mixed `store`/`get`/`erase` each, against one data directory (generic
//! credentials in the file store), while other processes `add`, `rotate`, `unreject` and
//! mark tokens rejected through the CLI, and `get` races `add`.
//!
//! Each worker owns its keys, so the expected final state is known exactly: no lost update
//! (every key whose last operation was a store is present with that value), no torn or
//! invalid file (everything parses; `list` and a `get` per key work), and every `get`
//! answers the value last stored for that key or nothing, never someone else's.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use git_credential_scoped::registry::credentials;
use git_credential_scoped::secret::fingerprint_of;

use crate::support::{Env, Out, NOW};

// Under wine (scripts/cross.sh) every process start goes through one wineserver and costs
// 0.2 s or more, and 32 streams make CreateProcess fail (ERROR_INTERNAL_ERROR): race fewer.
const WORKERS: usize = if cfg!(wine) { 4 } else { 32 };
const OPS: usize = if cfg!(wine) { 25 } else { 100 };
const KEYS: usize = 4;
const ADDS: usize = if cfg!(wine) { 6 } else { 24 };
const ROTATING: usize = 3;

/// A small deterministic generator (xorshift), one per worker.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn key(w: usize, k: usize) -> String {
    format!("protocol=https\nhost=example.com\npath=w{w}/k{k}\nusername=u{w}\n")
}

fn answer(w: usize, value: &str) -> String {
    format!("username=u{w}\npassword={value}\n")
}

fn ok(what: &str, out: Out) -> Out {
    assert_eq!(
        out.status, 0,
        "{what}: exit {}\nstdout: {}\nstderr: {}",
        out.status, out.stdout, out.stderr
    );
    out
}

/// One worker's 100 operations; returns the expected final value of each of its keys.
fn worker(env: &Env, w: usize) -> Vec<Option<String>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((w as u64 + 1) * 0x1000_0001));
    let mut expect: Vec<Option<String>> = vec![None; KEYS];
    for i in 0..OPS {
        let k = rng.next(KEYS);
        match rng.next(10) {
            0..=4 => {
                let v = format!("v-{w}-{k}-{i}");
                let stdin = format!("{}password={v}\n\n", key(w, k));
                ok("store", env.run(&["store"], stdin.as_bytes()));
                expect[k] = Some(v);
            }
            5..=6 => {
                let out = ok(
                    "get",
                    env.run(&["get"], format!("{}\n", key(w, k)).as_bytes()),
                );
                let want = expect[k].as_deref().map_or(String::new(), |v| answer(w, v));
                assert_eq!(out.stdout, want, "worker {w} key {k} op {i}");
            }
            7 => {
                // erase with the right password (erases) or a wrong one (keeps).
                let wrong = rng.next(2) == 0;
                let password = match (&expect[k], wrong) {
                    (Some(v), false) => v.clone(),
                    _ => "not-the-password".to_string(),
                };
                let stdin = format!("{}password={password}\n\n", key(w, k));
                ok("erase", env.run(&["erase"], stdin.as_bytes()));
                if !wrong {
                    expect[k] = None;
                }
            }
            8 => {
                ok(
                    "erase",
                    env.run(&["erase"], format!("{}\n", key(w, k)).as_bytes()),
                );
                expect[k] = None;
            }
            _ => {
                // Someone else's key: their value or nothing, never ours or garbage.
                let (ow, ok_) = ((w + 1 + rng.next(WORKERS - 1)) % WORKERS, rng.next(KEYS));
                let out = ok(
                    "get",
                    env.run(&["get"], format!("{}\n", key(ow, ok_)).as_bytes()),
                );
                let prefix = format!("username=u{ow}\npassword=v-{ow}-{ok_}-");
                assert!(
                    out.stdout.is_empty()
                        || (out.stdout.starts_with(&prefix)
                            && out.stdout.lines().count() == 2
                            && out.stdout.ends_with('\n')),
                    "worker {w} reading {ow}/{ok_}: {:?}",
                    out.stdout
                );
            }
        }
    }
    expect
}

fn token(tag: &str, i: usize, n: usize) -> String {
    format!("github_pat_11RACE{tag:0>4}{i:04}{n:06}_abcdefghijklmnopqrstuvwxyz0123456789")
}

#[test]
fn many_processes_lose_nothing_and_tear_nothing() {
    let start = Instant::now();
    let mut env = Env::new().at(NOW);
    // The property is "nothing lost, nothing torn", not "fast enough on this machine": a
    // loaded 2-core runner may keep a writer waiting for seconds, so the lock wait is a
    // generous deadline (ten minutes) that only a hung writer reaches.
    env.set("GIT_CREDENTIAL_SCOPED_LOCK_WAIT_MS", "600000");
    let env = Arc::new(env);
    // Tokens that will be rotated and one that will be rejected and unrejected.
    for j in 0..ROTATING {
        env.add(
            &[
                "rot".to_string() + &j.to_string(),
                "--owner".into(),
                "rot".into(),
                "--repo".into(),
                format!("r{j}"),
                "--no-expiry".into(),
            ]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
            &token("rot", j, 0),
        )
        .ok();
    }
    env.add(
        &["rej", "--owner", "rej", "--repo", "r", "--no-expiry"],
        &token("rej", 0, 0),
    )
    .ok();
    let done = Arc::new(AtomicBool::new(false));
    let mut threads: Vec<std::thread::JoinHandle<usize>> = Vec::new();

    // add racing get: tokens race/r{i} appear one by one; a get answers nothing or exactly
    // that token, never an error, never another token.
    {
        let env = Arc::clone(&env);
        threads.push(std::thread::spawn(move || {
            for i in 0..ADDS {
                let name = format!("a{i}");
                let repo = format!("r{i}");
                ok(
                    "add",
                    env.add(
                        &[&name, "--owner", "race", "--repo", &repo, "--no-expiry"],
                        &token("add", i, 0),
                    ),
                );
            }
            ADDS
        }));
    }
    for g in 0..2 {
        let (env, done) = (Arc::clone(&env), Arc::clone(&done));
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng(77 + g);
            let mut answered = 0;
            while !done.load(Ordering::Relaxed) {
                let i = rng.next(ADDS);
                let out = ok(
                    "get racing add",
                    env.run(
                        &["get"],
                        format!("protocol=https\nhost=github.com\npath=race/r{i}\n\n").as_bytes(),
                    ),
                );
                let want = format!("username=x-access-token\npassword={}\n", token("add", i, 0));
                assert!(
                    out.stdout.is_empty() || out.stdout == want,
                    "race/r{i}: {:?}",
                    out.stdout
                );
                answered += usize::from(!out.stdout.is_empty());
            }
            answered
        }));
    }
    // rotate: one thread per token, so each token's last secret is known; gets of it answer
    // one of its secrets.
    for j in 0..ROTATING {
        let (env, done) = (Arc::clone(&env), Arc::clone(&done));
        threads.push(std::thread::spawn(move || {
            let name = format!("rot{j}");
            let mut n = 0;
            while !done.load(Ordering::Relaxed) || n < 3 {
                n += 1;
                ok(
                    "rotate",
                    env.run(
                        &["rotate", &name, "--no-expiry"],
                        format!("{}\n", token("rot", j, n)).as_bytes(),
                    ),
                );
                let out = ok(
                    "get rotated",
                    env.run(
                        &["get"],
                        format!("protocol=https\nhost=github.com\npath=rot/r{j}\n\n").as_bytes(),
                    ),
                );
                let prefix =
                    format!("username=x-access-token\npassword=github_pat_11RACE0rot{j:04}");
                assert!(out.stdout.starts_with(&prefix), "rot{j}: {:?}", out.stdout);
            }
            n
        }));
    }
    // The server rejects a token (git's erase after a 401) and someone unrejects it.
    {
        let (env, done) = (Arc::clone(&env), Arc::clone(&done));
        threads.push(std::thread::spawn(move || {
            let mut n = 0;
            let erase = format!(
                "protocol=https\nhost=github.com\npath=rej/r\npassword={}\n\n",
                token("rej", 0, 0)
            );
            while !done.load(Ordering::Relaxed) {
                ok("erase token", env.run(&["erase"], erase.as_bytes()));
                ok("unreject", env.run(&["unreject", "rej"], b""));
                n += 1;
            }
            n
        }));
    }

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let env = Arc::clone(&env);
            std::thread::spawn(move || worker(&env, w))
        })
        .collect();
    let expected: Vec<Vec<Option<String>>> =
        workers.into_iter().map(|t| t.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    let mut rotations = Vec::new();
    for (i, t) in threads.into_iter().enumerate() {
        let n = t.join().unwrap();
        if (3..3 + ROTATING).contains(&i) {
            rotations.push(n);
        }
    }
    let busy = start.elapsed();

    verify_final_state(&env, &expected, &rotations);
    eprintln!(
        "concurrency: {} helper processes in {:.1} s, final checks {:.1} s",
        WORKERS * OPS,
        busy.as_secs_f64(),
        start.elapsed().as_secs_f64() - busy.as_secs_f64()
    );
}

fn verify_final_state(env: &Env, expected: &[Vec<Option<String>>], rotations: &[usize]) {
    let data = env.data_dir();
    // Every file parses.
    let index = credentials::load(&data).expect("the credential index parses");
    let list = ok("list", env.run(&["list", "--json"], b""));
    for i in 0..ADDS {
        assert!(
            list.stdout.contains(&format!("\"a{i}\"")),
            "a{i} was lost:\n{}",
            list.stdout
        );
    }
    ok("list", env.run(&["list"], b""));
    // No lost update: exactly the keys whose last operation stored a value, with that value.
    let indexed: BTreeSet<Vec<u8>> = index.iter().filter_map(|e| e.path.clone()).collect();
    let mut wrong = Vec::new();
    for (w, keys) in expected.iter().enumerate() {
        for (k, v) in keys.iter().enumerate() {
            let there = indexed.contains(format!("w{w}/k{k}").as_bytes());
            match (v, there) {
                (Some(v), false) => wrong.push(format!(
                    "worker {w} key {k}: the store of {v} (its last operation) was lost"
                )),
                (None, true) => wrong.push(format!(
                    "worker {w} key {k}: erased last, but still in the index"
                )),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let present: usize = expected.iter().flatten().filter(|v| v.is_some()).count();
    assert_eq!(
        index.len(),
        present,
        "index entries (one per key) vs keys stored last"
    );
    std::thread::scope(|s| {
        for chunk in expected.chunks(WORKERS / 4).enumerate() {
            s.spawn(move || {
                let (c, workers) = chunk;
                for (dw, keys) in workers.iter().enumerate() {
                    let w = c * (WORKERS / 4) + dw;
                    for (k, v) in keys.iter().enumerate() {
                        let out = ok(
                            "final get",
                            env.run(&["get"], format!("{}\n", key(w, k)).as_bytes()),
                        );
                        let want = v.as_deref().map_or(String::new(), |v| answer(w, v));
                        assert_eq!(out.stdout, want, "final state of worker {w} key {k}");
                    }
                }
            });
        }
    });
    // Each token's fingerprint, as the config records it.
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let fps: HashMap<String, String> = config
        .split("[[token]]")
        .filter_map(|t| {
            let name = t.split("name = \"").nth(1)?.split('"').next()?.to_string();
            let fp = t
                .split("fingerprint = \"")
                .nth(1)?
                .split('"')
                .next()?
                .to_string();
            Some((name, fp))
        })
        .collect();
    // The secret store holds exactly the secrets of the index and of the tokens: nothing
    // orphaned, nothing missing.
    let keys: BTreeSet<String> = env.stored_secrets().into_iter().map(|(k, _)| k).collect();
    let mut want: BTreeSet<String> = index.iter().map(|e| e.secret_key()).collect();
    let names = (0..ADDS)
        .map(|i| format!("a{i}"))
        .chain((0..ROTATING).map(|j| format!("rot{j}")))
        .chain(["rej".to_string()]);
    for name in names {
        want.insert(format!("token/{name}/{}", fps[&name]));
    }
    assert_eq!(keys, want);
    // Each rotated token ends with its last secret, and the config's fingerprint agrees.
    for (j, n) in rotations.iter().enumerate() {
        let last = token("rot", j, *n);
        let out = ok(
            "get rotated",
            env.run(
                &["get"],
                format!("protocol=https\nhost=github.com\npath=rot/r{j}\n\n").as_bytes(),
            ),
        );
        assert_eq!(
            out.stdout,
            format!("username=x-access-token\npassword={last}\n")
        );
        assert_eq!(
            fps.get(&format!("rot{j}")),
            Some(&fingerprint_of(last.as_bytes()))
        );
    }
    // No temp file was left behind by anyone.
    for e in std::fs::read_dir(&data).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "left-over {name}");
    }
}
