//! Issue 22 ("Integrity, round 2"): writes that must change what they report, secrets left
//! by killed writers, one validation of a secret whatever its source, damaged secret files
//! named, relative paths refused. One test (or a few) per item, numbered as there; each
//! failed before its fix.

use crate::support::{assert_has, assert_lacks, Env, Out, NOW};

const TOKEN: &str = "github_pat_11ROUNDTWO0000000000000_abcdefghijklmnopqrstuvwxyz0123456789";
const NEWER: &str = "github_pat_11ROUNDTWONEW00000000000_abcdefghijklmnopqrstuvwxyz0123456789";

fn get(env: &Env, path: &str) -> Out {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={path}\n\n").as_bytes(),
    )
}

/// A registry holding token `t` (file store), rewritten the other valid way TOML allows:
/// `token = [ { name = "t", ... } ]`, which `get` reads like `[[token]]` tables.
fn inline_tokens() -> Env {
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.add(&["t", "--owner", "o", "--all-repos", "--no-expiry"], TOKEN)
        .ok();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let (head, body) = text.split_once("[[token]]").unwrap();
    let fields: Vec<&str> = body.lines().filter(|l| l.contains(" = ")).collect();
    let inline = format!("{head}token = [ {{ {} }} ]\n", fields.join(", "));
    env.write_config(&inline);
    assert_has(&get(&env, "o/r.git").ok().stdout, TOKEN);
    env
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn i1_add_to_inline_tokens_adds_the_token() {
    let env = inline_tokens();
    env.add(&["u", "--owner", "p", "--all-repos", "--no-expiry"], NEWER)
        .ok();
    assert_has(&get(&env, "p/r.git").ok().stdout, NEWER);
    assert_has(&get(&env, "o/r.git").ok().stdout, TOKEN);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn i1_edit_of_inline_tokens_edits_the_token() {
    let env = inline_tokens();
    env.run(&["edit", "t", "--repo", "r"], b"").ok();
    assert_has(&get(&env, "o/r.git").ok().stdout, TOKEN);
    assert_lacks(&get(&env, "o/other.git").stdout, TOKEN);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn i1_remove_of_inline_tokens_removes_the_token_and_then_its_secret() {
    let env = inline_tokens();
    env.run(&["remove", "t", "--yes"], b"").ok();
    assert_lacks(
        &std::fs::read_to_string(env.config_path()).unwrap(),
        "name = \"t\"",
    );
    assert!(get(&env, "o/r.git").stdout.is_empty());
    assert!(
        env.stored_secrets().is_empty(),
        "{:?}",
        env.stored_secrets().len()
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn i1_rotate_of_inline_tokens_serves_the_new_secret() {
    let env = inline_tokens();
    env.run(
        &["rotate", "t", "--no-expiry"],
        format!("{NEWER}\n").as_bytes(),
    )
    .ok();
    assert_has(&get(&env, "o/r.git").ok().stdout, NEWER);
    assert_eq!(env.stored_secrets().len(), 1, "the old secret is deleted");
}

#[test]
fn i3_token_refuses_a_secret_env_value_with_a_line_break() {
    let mut env = Env::new().at(NOW);
    env.set("SPLIT", "github_pat_11ROUNDTWO_first\r\nsecond=line");
    env.run(
        &[
            "add",
            "t",
            "--owner",
            "o",
            "--all-repos",
            "--no-expiry",
            "--secret-env",
            "SPLIT",
        ],
        b"",
    )
    .ok();
    let out = env.run(&["token", "o/r"], b"");
    assert_ne!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_has(
        &out.stderr,
        "token 't' (environment variable SPLIT) holds a line break",
    );
    assert_lacks(&out.stderr, "second=line");
    let got = get(&env, "o/r.git");
    assert_has(&got.stdout, "quit=1");
    assert_lacks(&got.stdout, "second=line");
}

#[test]
fn i3_token_refuses_a_secret_command_output_with_a_space() {
    let env = Env::new().at(NOW);
    env.run(
        &[
            "add",
            "t",
            "--owner",
            "o",
            "--all-repos",
            "--no-expiry",
            "--secret-command",
            "echo 'github_pat_x yes'",
        ],
        b"",
    )
    .ok();
    let out = env.run(&["token", "o/r"], b"");
    assert_ne!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_has(&out.stderr, "holds spaces or control characters");
}

#[test]
fn i3_import_refuses_what_add_refuses() {
    let env = Env::new().at(NOW);
    let good = "github_pat_11GOOD00000000000000000_abcdefghijklmnopqrstuvwxyz0123456789";
    let lines = [
        format!("https://x:{good}@github.com/o/fine"),
        "https://x:github_pat_11LF%0Asecond@github.com/o/lf".to_string(),
        "https://x:github_pat_11SP%20second@github.com/o/sp".to_string(),
    ];
    std::fs::write(env.home.join(".git-credentials"), lines.join("\n") + "\n").unwrap();
    let out = env.run(&["import"], b"");
    out.ok();
    assert_has(&out.stdout, "line 2: its password holds a line break");
    assert_has(
        &out.stdout,
        "line 3: its password holds spaces or control characters",
    );
    assert_has(&out.stdout, "registered 1 token");
    assert_eq!(env.stored_secrets().len(), 1);
    for add in ["github_pat_11LF\nsecond", "github_pat_11SP second"] {
        let refused = env.add(&["u", "--owner", "o", "--all-repos", "--no-expiry"], add);
        assert_ne!(refused.status, 0);
    }
}

/// The secret file of token `t` after `add`.
fn secret_file(env: &Env) -> std::path::PathBuf {
    std::fs::read_dir(env.secrets_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap()
}

fn assert_named_never_shown(env: &Env, file: &std::path::Path, problem: &str) {
    for out in [get(env, "o/r.git"), env.run(&["token", "o/r"], b"")] {
        assert_has(&out.stderr, "token 't' (the file store's file ");
        assert_has(&out.stderr, &file.display().to_string());
        assert_has(&out.stderr, problem);
        assert_has(
            &out.stderr,
            "hint: store it again: git credential-scoped rotate t",
        );
        assert_lacks(&out.stderr, TOKEN);
        assert_lacks(&out.stdout, TOKEN);
    }
}

#[test]
fn i4_a_damaged_secret_file_is_named_never_shown() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--all-repos", "--no-expiry"], TOKEN)
        .ok();
    let file = secret_file(&env);
    // Written before fingerprints were recorded: the secret under the name alone.
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    let config: String = config
        .lines()
        .filter(|l| !l.starts_with("fingerprint"))
        .map(|l| format!("{l}\n"))
        .collect();
    env.write_config(&config);
    let legacy = env.secrets_dir().join("token%2Ft");
    std::fs::write(&legacy, format!("{TOKEN}\nquit=0\n")).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_named_never_shown(&env, &legacy, "holds a line break");
}

#[test]
fn i4_a_secret_file_changed_under_its_fingerprint_is_named_not_called_missing() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--all-repos", "--no-expiry"], TOKEN)
        .ok();
    let file = secret_file(&env);
    std::fs::write(&file, format!("{TOKEN}\0")).unwrap();
    assert_named_never_shown(&env, &file, "does not match the fingerprint");
}

#[test]
fn i14_a_line_the_registry_cannot_take_is_named_and_the_rest_imported() {
    let env = Env::new().at(NOW);
    let (a, b) = (
        "github_pat_11IMPA000000000000000000_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11IMPB000000000000000000_abcdefghijklmnopqrstuvwxyz0123456789",
    );
    let file = env.home.join(".git-credentials");
    let text = format!("https://x:{a}@github.com/o/one\n\nhttps://a%20b:{b}@github.com/p/two\n");
    std::fs::write(&file, text).unwrap();
    let out = env.run(&["import"], b"");
    out.ok();
    assert_has(&out.stdout, "line 3: the registry cannot take it: token 'p': 'username' must be a non-empty name without spaces");
    assert_has(&out.stdout, "registered 1 token");
    assert_lacks(&out.stdout, "nothing was imported");
    assert_has(&get(&env, "o/one.git").ok().stdout, a);
    assert!(get(&env, "p/two.git").stdout.is_empty());
}

#[test]
fn i2_a_killed_writers_temp_file_in_secrets_d_is_removed_by_the_next_change() {
    let env = Env::new().at(NOW);
    env.add(&["t", "--owner", "o", "--all-repos", "--no-expiry"], TOKEN)
        .ok();
    let dir = env.secrets_dir();
    // A live writer's temp file is locked by it and stays.
    let live = dir.join(".token%2Flive.tmp-Live01");
    let held = std::fs::File::create(&live).unwrap();
    held.lock().unwrap();
    for args in [
        &["add", "u", "--owner", "p", "--all-repos", "--no-expiry"][..],
        &["remove", "u", "--yes"][..],
        &["remove", "t", "--yes"][..],
    ] {
        // Killed between writing its temp file and the rename, for a key never written again.
        let dead = dir.join(".token%2Fgone%2Fsha256%3A0011223344556677.tmp-Dead01");
        std::fs::write(&dead, NEWER).unwrap();
        env.run(args, format!("{NEWER}\n").as_bytes()).ok();
        assert!(
            !dead.exists(),
            "{args:?} left a dead writer's secret behind"
        );
        assert!(live.exists(), "{args:?} removed a live writer's temp file");
    }
}

#[test]
fn i5_relative_config_and_data_paths_are_refused_and_get_stops_git() {
    for (var, rel) in [
        ("GIT_CREDENTIAL_SCOPED_CONFIG", "planted/config.toml"),
        ("GIT_CREDENTIAL_SCOPED_DATA_DIR", "planted"),
    ] {
        let mut env = Env::new().at(NOW);
        env.add(&["t", "--owner", "o", "--all-repos", "--no-expiry"], TOKEN)
            .ok();
        // What a repository could carry, in the directory git runs the helper from.
        std::fs::create_dir_all(env.home.join("planted")).unwrap();
        std::fs::write(
            env.home.join("planted/config.toml"),
            "version = 1\n[[token]]\nname = \"p\"\nowner = \"o\"\nrepositories = \"all\"\nsecret_env = \"PLANTED\"\n",
        )
        .unwrap();
        env.set(var, rel);
        env.set("PLANTED", NEWER);
        let out = get(&env, "o/r.git");
        assert_eq!(out.stdout, "quit=1\n", "{var}: {}", out.stderr);
        assert_has(&out.stderr, &format!("{var} is the relative path '{rel}'"));
        assert_has(&out.stderr, "hint: set");
        let list = env.run(&["list"], b"");
        assert_ne!(list.status, 0);
        assert_has(&list.stderr, &format!("{var} is the relative path"));
        assert_lacks(&list.stdout, "p ");
    }
}
