//! The README cannot rot: every ```sh block in it carries a marker, and the blocks marked
//! `<!-- readme-test: quickstart -->` and `<!-- readme-test: installer -->` are run verbatim
//! with `sh -e` in a hermetic environment, from a clean checkout (see `install.rs`), with a
//! dummy token (on stdin for the hidden prompt, in `ALTA3_TOKEN` for the installer script).
//!
//! The only thing replaced is the network: `url.<mirror>.insteadOf = https://github.com/`
//! (given to git through `GIT_CONFIG_COUNT`, not written to any file) points the clones at
//! local bare repositories, so they need no GitHub; that git really gets the token for each
//! of those URLs from the installed helper is then asked of git itself with
//! `git credential fill`, through the config `install.sh` wrote.

use crate::support::{assert_has, run_with_stdin, Env, Out, NOW, SIX};
use std::path::{Path, PathBuf};

use super::install::build_command;

const README: &str = include_str!("../../README.md");
const GUIDE: &str = include_str!("../../docs/GUIDE.md");
const FAQ: &str = include_str!("../../docs/FAQ.md");
const TOKEN: &str =
    "github_pat_11README00000000000000_readmeTestOnlyNotARealToken0123456789abcdefghij";

pub struct Block {
    pub marker: Option<String>,
    pub info: String,
    pub body: String,
    pub line: usize,
}

/// The fenced code blocks of a markdown text, each with the `<!-- readme-test: ... -->`
/// marker on the last non-blank line before it, if any.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut last_text = "";
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                last_text = line;
            }
            continue;
        };
        let marker = last_text
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|m| m.strip_suffix("-->"))
            .map(|m| m.trim().to_string());
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push(Block {
            marker,
            info: info.trim().to_string(),
            body,
            line: n + 1,
        });
        last_text = "";
    }
    out
}

fn block(name: &str) -> String {
    marked(README, "README.md", name)
}

/// The block of docs/GUIDE.md marked `<!-- readme-test: NAME -->` (run by the tests of the
/// module it is about).
pub fn guide_block(name: &str) -> String {
    marked(GUIDE, "docs/GUIDE.md", name)
}

/// The block of docs/FAQ.md marked `<!-- readme-test: NAME -->`.
pub fn faq_block(name: &str) -> String {
    marked(FAQ, "docs/FAQ.md", name)
}

fn marked(text: &str, file: &str, name: &str) -> String {
    let found: Vec<Block> = blocks(text)
        .into_iter()
        .filter(|b| b.marker.as_deref() == Some(name))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{file} needs one block marked readme-test: {name}"
    );
    found.into_iter().next().map(|b| b.body).unwrap_or_default()
}

/// The GUIDE's marked blocks and the tests that run them.
const GUIDE_BLOCKS: [&str; 17] = [
    "guide-import",           // import::the_guide_s_import_steps_run_as_written
    "guide-import-gh",        // import::a_token_gh_holds_is_imported_with_the_scope_given
    "guide-cron",             // monitor::the_guide_s_cron_line_and_timer_run_as_written
    "guide-systemd-service",  // monitor::the_guide_s_cron_line_and_timer_run_as_written
    "guide-new-token",        // docs::registering_a_token_as_the_guide_shows
    "guide-add",              // docs::registering_a_token_as_the_guide_shows
    "guide-several",          // docs::several_organizations_as_the_guide_shows
    "guide-several-check",    // docs::several_organizations_as_the_guide_shows
    "guide-file-store",       // docs::the_secret_stores_as_the_guide_shows
    "guide-secret-command",   // docs::the_secret_stores_as_the_guide_shows
    "guide-headless-keyring", // docs::the_headless_keyring_recipe_works
    "guide-ghe-config",       // docs::an_enterprise_host_as_the_guide_shows
    "guide-ghe",              // docs::an_enterprise_host_as_the_guide_shows
    "guide-rotate",           // docs::rotating_and_editing_as_the_guide_shows
    "guide-edit",             // docs::rotating_and_editing_as_the_guide_shows
    "guide-registry",         // docs::the_registry_file_example_reads_as_documented
    "guide-settings",         // docs::the_registry_file_example_reads_as_documented
];

/// The FAQ's marked blocks and the tests that run them.
const FAQ_BLOCKS: [&str; 5] = [
    "faq-doctor",       // docs::the_faq_s_commands_run_as_written
    "faq-check",        // docs::the_faq_s_commands_run_as_written
    "faq-rotate",       // docs::the_faq_s_commands_run_as_written
    "faq-cargo",        // docs::the_faq_s_commands_run_as_written
    "faq-gh-setup-git", // docs::gh_auth_setup_git_after_setup_as_the_faq_says
];

/// Every shell block of `text` is marked with a known name or `skip (why)`, and every
/// known name marks a block.
fn check_markers(text: &str, file: &str, known: &[&str]) {
    for b in blocks(text).iter().filter(|b| {
        b.info.is_empty() || ["sh", "bash", "shell", "console"].contains(&b.info.as_str())
    }) {
        assert!(
            !b.info.is_empty(),
            "{file} line {}: a block needs its language (```sh, ```toml, ...)",
            b.line
        );
        let marker = b.marker.as_deref().unwrap_or_else(|| {
            panic!(
                "{file} line {}: a ```{} block needs <!-- readme-test: NAME --> on the line before it (and a test), or <!-- readme-test: skip (why) -->",
                b.line, b.info
            )
        });
        let ok = known.contains(&marker) || (marker.starts_with("skip (") && marker.ends_with(')'));
        assert!(ok, "{file} line {}: unknown marker '{marker}'", b.line);
    }
    for name in known {
        assert!(!marked(text, file, name).is_empty(), "{name}");
    }
}

#[test]
fn every_shell_block_in_the_guide_is_run_by_a_test_or_says_why_not() {
    check_markers(GUIDE, "docs/GUIDE.md", &GUIDE_BLOCKS);
}

#[test]
fn every_shell_block_in_the_faq_is_run_by_a_test_or_says_why_not() {
    check_markers(FAQ, "docs/FAQ.md", &FAQ_BLOCKS);
}

#[test]
fn every_shell_block_in_the_readme_is_run_by_a_test_or_says_why_not() {
    let all = blocks(README);
    assert!(all.len() >= 4, "README.md lost its examples");
    for b in all
        .iter()
        .filter(|b| ["sh", "bash", "shell", "console"].contains(&b.info.as_str()))
    {
        let marker = b.marker.as_deref().unwrap_or_else(|| {
            panic!(
                "README.md line {}: a ```{} block needs <!-- readme-test: NAME --> on the line before it (and a test), or <!-- readme-test: skip (why) -->",
                b.line, b.info
            )
        });
        let known = ["quickstart", "installer"].contains(&marker)
            || (marker.starts_with("skip (") && marker.ends_with(')'));
        assert!(
            known,
            "README.md line {}: unknown marker '{marker}'",
            b.line
        );
    }
    let quick = block("quickstart");
    for step in [
        "./install.sh",
        "new-token-url",
        " add ",
        " check ",
        "git clone ",
    ] {
        assert!(quick.contains(step), "the quickstart lost '{step}'");
    }
    let installer = block("installer");
    for repo in SIX {
        assert!(
            installer.contains(repo),
            "the installer scenario lost {repo}"
        );
    }
    assert!(installer.contains("\"$ALTA3_TOKEN\" | git credential-scoped add"));
}

/// Bare repositories `ROOT/alta3/NAME`, each with one commit; the URL prefix that reaches them.
fn mirror(env: &Env, names: &[&str]) -> String {
    let root = env.tmp.path().join("mirror");
    let work = env.tmp.path().join("mirror-work");
    let git = |args: &[&str], dir: &Path| {
        let mut c = env.command("git");
        c.args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(dir);
        run_with_stdin(c, b"").ok();
    };
    std::fs::create_dir_all(&work).unwrap();
    git(&["init", "-q", "-b", "main"], &work);
    std::fs::write(work.join("README"), "mirror\n").unwrap();
    git(&["add", "README"], &work);
    git(&["commit", "-q", "-m", "first"], &work);
    for name in names {
        let dest = root.join("alta3").join(name);
        git(
            &[
                "clone",
                "-q",
                "--bare",
                &work.to_string_lossy(),
                &dest.to_string_lossy(),
            ],
            env.tmp.path(),
        );
    }
    format!("file://{}/", root.display())
}

/// Runs a README block with `sh -e` from the clean checkout, `~/.local/bin` first on PATH.
fn run_block(env: &Env, script: &str, mirror: &str, stdin: &[u8]) -> Out {
    let local_bin = env.home.join(".local/bin");
    let mut c = build_command(env, Path::new("/bin/sh"), Some(&local_bin));
    c.args(["-e", "-c", script]);
    c.env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", format!("url.{mirror}.insteadOf"))
        .env("GIT_CONFIG_VALUE_0", "https://github.com/");
    run_with_stdin(c, stdin)
}

/// What git itself gets for `url` through the config the README's commands wrote.
fn fill(env: &Env, url: &str) -> Out {
    let mut c = env.command("git");
    let path = [env.home.join(".local/bin"), PathBuf::from("/usr/local/bin")]
        .into_iter()
        .chain(["/usr/bin", "/bin"].map(PathBuf::from));
    c.env("PATH", std::env::join_paths(path).expect("PATH"));
    c.args(["credential", "fill"]);
    run_with_stdin(c, format!("url={url}\n\n").as_bytes())
}

fn assert_git_gets_the_token(env: &Env, repo: &str) {
    let out = fill(env, &format!("https://github.com/alta3/{repo}"));
    out.ok();
    assert!(
        out.stdout.contains(&format!(
            "path=alta3/{repo}\nusername=x-access-token\npassword={TOKEN}\n"
        )),
        "{repo}: {}\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn readme_quickstart_runs_as_written() {
    let env = Env::new();
    let mirror = mirror(&env, &["labs", "demo"]);
    let out = run_block(
        &env,
        &block("quickstart"),
        &mirror,
        format!("{TOKEN}\n").as_bytes(),
    );
    assert_eq!(
        out.status, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert!(out
        .stdout
        .contains("https://github.com/settings/personal-access-tokens/new?"));
    assert_has(&out.stdout, "added token 'alta3'");
    assert!(
        env.home.join("src/labs/.git").is_dir(),
        "the clone is there"
    );
    for repo in ["labs", "demo"] {
        assert_git_gets_the_token(&env, repo);
    }
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
}

/// The release page the README's one-line install downloads from.
const RELEASE_PAGE: &str = concat!(
    "https://github.com/alta3/git-credential-scoped/releases/download/v",
    env!("CARGO_PKG_VERSION")
);

/// The README's one-line install of a release: the same line in "Install a release" and in
/// the installer scenario, for this version.
fn one_line_install() -> String {
    let installer = block("installer");
    let line = installer
        .lines()
        .find(|l| l.contains("sha256sum --ignore-missing -c SHA256SUMS"))
        .expect("the installer scenario downloads and verifies a release")
        .to_string();
    assert!(
        blocks(README).iter().any(|b| b.body.trim() == line),
        "\"Install a release\" shows another line than the installer scenario runs: {line}"
    );
    assert!(
        line.contains(RELEASE_PAGE),
        "not this version's release: {line}"
    );
    assert!(
        line.starts_with(&format!("v={} ", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    line
}

#[test]
fn readme_installer_scenario_runs_as_written() {
    let mut env = Env::new().at(NOW);
    env.set("ALTA3_TOKEN", TOKEN);
    env.set("ALTA3_TOKEN_EXPIRES", "2027-04-15"); // 90 days after the fixed clock
    let mirror = mirror(&env, &SIX);
    // The release page, served from loopback (the only other thing replaced); curl trusts
    // its certificate through CURL_CA_BUNDLE.
    let release = crate::release_install::serve_release(env.tmp.path());
    env.set("CURL_CA_BUNDLE", &release.ca_cert_path().to_string_lossy());
    let line = one_line_install();
    let script =
        block("installer").replace(&line, &line.replace(RELEASE_PAGE, &release.base_url()));
    let out = run_block(&env, &script, &mirror, b"");
    assert_eq!(
        out.status, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    for repo in SIX {
        assert!(
            env.home.join("alta3").join(repo).join(".git").is_dir(),
            "{repo} was cloned"
        );
        assert_git_gets_the_token(&env, repo);
    }
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
}
