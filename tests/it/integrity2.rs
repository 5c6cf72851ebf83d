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

#[test]
fn i1_add_to_inline_tokens_adds_the_token() {
    let env = inline_tokens();
    env.add(&["u", "--owner", "p", "--all-repos", "--no-expiry"], NEWER)
        .ok();
    assert_has(&get(&env, "p/r.git").ok().stdout, NEWER);
    assert_has(&get(&env, "o/r.git").ok().stdout, TOKEN);
}

#[test]
fn i1_edit_of_inline_tokens_edits_the_token() {
    let env = inline_tokens();
    env.run(&["edit", "t", "--repo", "r"], b"").ok();
    assert_has(&get(&env, "o/r.git").ok().stdout, TOKEN);
    assert_lacks(&get(&env, "o/other.git").stdout, TOKEN);
}

#[test]
fn i1_remove_of_inline_tokens_removes_the_token_and_then_its_secret() {
    let env = inline_tokens();
    env.run(&["remove", "t"], b"").ok();
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
