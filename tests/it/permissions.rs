//! File permissions (SPEC §6): the secret store's files and the directories holding them must
//! be private. Readable by group or others: repaired to 0600 / 0700 with one warning line.
//! Writable by them: refused, with the chmod command (its secrets may have been replaced, or
//! data planted that steers where tokens go).
//! The config holds no secrets, so it may be readable by others; writable is refused (it
//! decides where tokens are sent).

use crate::support::{assert_has, Env, Out, NOW};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const TOKEN: &str = "github_pat_11PERMS00000000000000000_abcdefghijklmnopqrstuvwxyz0123456789";

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, m: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
}

fn armed() -> Env {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();
    env.run(
        &["store"],
        b"protocol=https\nhost=example.com\nusername=u\npassword=pw\n\n",
    )
    .ok();
    env
}

fn get_token(env: &Env) -> Out {
    env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n")
}

fn get_generic(env: &Env) -> Out {
    env.run(&["get"], b"protocol=https\nhost=example.com\n\n")
}

/// The file holding the registered token's secret.
fn token_secret_file(env: &Env) -> std::path::PathBuf {
    fs::read_dir(env.secrets_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("token%2Ft%2F")
        })
        .expect("the token's secret file")
}

#[test]
fn files_are_created_private() {
    let env = armed();
    let data = env.data_dir();
    assert_eq!(mode(&data), 0o700);
    for f in ["credentials", "state", "registry.cache"] {
        let p = data.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{f}");
        }
    }
    assert_eq!(mode(&env.secrets_dir()), 0o700);
    for f in fs::read_dir(env.secrets_dir()).unwrap().flatten() {
        assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
    }
    assert_eq!(mode(&env.config_path()), 0o600);
}

#[test]
fn a_secret_file_readable_by_others_is_repaired_with_one_warning() {
    let env = armed();
    let secrets = token_secret_file(&env);
    chmod(&secrets, 0o644);
    let out = get_token(&env);
    assert!(out.ok().stdout.contains(TOKEN));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("git-credential-scoped: warning: ")
            && out
                .stderr
                .contains("was readable by group or others (mode 0644)")
            && out.stderr.contains("changed it to 0600"),
        "{}",
        out.stderr
    );
    assert_eq!(mode(&secrets), 0o600);
    // Once repaired, nothing more is said.
    let out = get_generic(&env);
    assert_eq!(
        (out.ok().stdout.as_str(), out.stderr.as_str()),
        ("username=u\npassword=pw\n", "")
    );
}

#[test]
fn a_data_directory_open_to_others_is_repaired_with_one_warning() {
    let env = armed();
    let data = env.data_dir();
    chmod(&data, 0o755);
    let out = get_generic(&env);
    assert_eq!(out.ok().stdout, "username=u\npassword=pw\n");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_has(&out.stderr, "changed it to 0700");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(get_generic(&env).stderr, "");
}

#[test]
fn a_secret_file_or_directory_writable_by_others_is_refused() {
    const SECRETS: &str = "holds secrets and is writable by group or others";
    const DATA: &str = "may be written by group or others";
    for (target, bad, why, fix) in [
        ("secret", 0o666, SECRETS, "chmod 600"),
        ("secret", 0o620, SECRETS, "chmod 600"),
        ("secrets.d", 0o777, SECRETS, "chmod 700"),
        ("", 0o777, DATA, "chmod 700"),
        ("", 0o730, DATA, "chmod 700"),
    ] {
        let env = armed();
        let p = match target {
            "secret" => token_secret_file(&env),
            "" => env.data_dir(),
            dir => env.data_dir().join(dir),
        };
        chmod(&p, bad);
        let mut runs = vec![(get_token(&env), "quit=1\n")];
        // One secret's file concerns that secret only; a directory concerns them all.
        if target != "secret" {
            runs.push((get_generic(&env), "quit=1\n"));
            runs.push((
                env.run(
                    &["store"],
                    b"protocol=https\nhost=example.com\nusername=v\npassword=x\n\n",
                ),
                "",
            ));
        }
        for (out, stdout) in runs {
            assert_eq!(out.stdout, stdout, "{target} {bad:o}");
            assert_eq!(out.status, 2, "{target} {bad:o}: {}", out.stderr);
            assert!(
                out.stderr.contains(why) && out.stderr.contains(fix),
                "{target} {bad:o}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains(TOKEN));
        }
        assert_eq!(
            mode(&p),
            bad,
            "a refused file is left for the user to check"
        );
    }
}

#[test]
fn a_config_readable_by_others_is_fine_but_writable_is_refused() {
    let env = armed();
    let config = env.config_path();
    chmod(&config, 0o644);
    let out = get_token(&env);
    assert_eq!(out.ok().stderr, "");
    assert!(out.stdout.contains(TOKEN));
    env.run(&["list"], b"").ok();
    for bad in [0o664, 0o646, 0o660] {
        chmod(&config, bad);
        let runs = [
            (get_token(&env), "quit=1\n"),
            (env.run(&["list"], b""), ""),
            (env.run(&["check", "https://github.com/o/r"], b""), ""),
            (env.add(&["u", "--owner", "o", "--repo", "s"], TOKEN), ""),
        ];
        for (out, stdout) in runs {
            assert_eq!(out.stdout, stdout, "{bad:o}");
            assert_eq!(out.status, 2, "{bad:o}: {}", out.stderr);
            assert!(
                out.stderr.contains("writable by group or others")
                    && out.stderr.contains("chmod go-w"),
                "{bad:o}: {}",
                out.stderr
            );
        }
    }
    chmod(&config, 0o600);
    assert!(get_token(&env).ok().stdout.contains(TOKEN));
}
