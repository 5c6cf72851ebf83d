//! Issue 17: every fix `doctor` prints fixes. For each finding: make the situation, read the
//! finding's `fix` from `doctor --json`, run it as it stands with `sh -c` in the same
//! hermetic environment (a token on stdin where the command reads one), and check that
//! `doctor` no longer reports it.
//!
//! The findings and the test that runs each fix:
//!
//! | code | fix | test |
//! |---|---|---|
//! | helper-missing | `git credential-scoped setup` | `helper_missing` |
//! | helper-not-first | `git credential-scoped setup` | `helper_not_first` |
//! | helper-shell | `git credential-scoped setup` | `helper_shell` |
//! | write-back | `git credential-scoped setup` | `write_back` (and `setup::setup_says_which_setup_fixes_a_helper_read_from_a_later_file` for `--local`) |
//! | use-http-path-off | `git config --global credential.https://H.useHttpPath true` | `use_http_path_off` |
//! | helper-not-on-path | `/path/to/git-credential-scoped setup` | `helper_not_on_path` |
//! | helper-path-stale | `git credential-scoped setup` | `helper_path_stale` |
//! | helper-path-other | `git credential-scoped setup` | `helper_path_other` |
//! | config-permissions | `chmod go-w CONFIG` | `config_permissions` |
//! | data-permissions | `chmod 700 DIR` | `data_permissions` |
//! | keyring-unreachable | `git credential-scoped rotate NAME --secret-store file` | `keyring_unreachable` |
//! | host-undeclared | `printf '[[host]]…' >> CONFIG` | `host_undeclared` |
//! | token-expired, token-expiring | `git credential-scoped rotate NAME --expires-in 90d` | `token_expired_and_expiring` |
//! | token-rejected | `git credential-scoped check --online URL` | `online_fixes` |
//! | token-no-contents | `git credential-scoped rotate NAME --expires-in 90d --verify` | `online_fixes` |
//! | token-expiry-unknown | `git credential-scoped check --online URL` | `online_fixes` |
//! | overlapping-scopes | `git credential-scoped edit NAME --remove-repo SHARED` (none for a layered pair: never a remove) | `overlapping_scopes`, `fixes::layered_tokens_get_no_fix_and_remove_asks_first` |
//! | default-ambiguous | `git credential-scoped edit NAME --no-default` | `default_ambiguous` |
//! | cargo-without-git | `git credential-scoped setup --cargo` | `cargo_without_git` |
//! | secret-env-unset | none to run: the variable must hold the token (`export VAR=…`); `secret_env_unset` sets it and the finding is gone |
//! | config-invalid, git-unavailable | none: only the user can decide what the file should say / install git |

use std::io::Write;
use std::process::Stdio;

use crate::support::{Env, BIN, NOW};

const TOKEN: &str = "github_pat_11FIXES000000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";
const NEW: &str = "github_pat_11FIXESNEW00000000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";

/// The findings of `doctor --json`.
fn findings(env: &Env) -> Vec<serde_json::Value> {
    let out = env.run(&["doctor", "--json"], b"");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("doctor --json");
    doc["findings"].as_array().cloned().unwrap_or_default()
}

/// The one finding with `code` (about `token`, when given).
fn finding(env: &Env, code: &str, token: Option<&str>) -> Option<serde_json::Value> {
    findings(env)
        .into_iter()
        .find(|f| f["code"] == code && token.is_none_or(|t| f["token"] == t))
}

/// Runs the finding's fix as it stands, with `stdin`, and checks it is gone afterwards.
fn fix_and_check(env: &Env, code: &str, token: Option<&str>, stdin: &str) {
    let f = finding(env, code, token)
        .unwrap_or_else(|| panic!("no {code} finding: {:?}", findings(env)));
    let fix = f["fix"]
        .as_str()
        .unwrap_or_else(|| panic!("{code} has no fix"));
    let mut c = env.command("sh");
    c.args(["-c", fix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{code}: `{fix}` failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        finding(env, code, token).is_none(),
        "{code} is still reported after `{fix}`: {:?}",
        findings(env)
    );
}

fn git(env: &Env, args: &[&str]) {
    let ok = env
        .command("git")
        .args(["config", "--global"])
        .args(args)
        .status()
        .unwrap();
    assert!(ok.success(), "git config {args:?}");
}

fn with_token() -> Env {
    let env = Env::new().at(NOW);
    env.add(
        &["t", "--owner", "o", "--repo", "r", "--expires-in", "90d"],
        TOKEN,
    )
    .ok();
    env
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_missing() {
    let env = with_token();
    fix_and_check(&env, "helper-missing", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_not_first() {
    let env = with_token();
    git(
        &env,
        &["--add", "credential.https://github.com.helper", "store"],
    );
    git(
        &env,
        &["--add", "credential.https://github.com.helper", BIN],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    fix_and_check(&env, "helper-not-first", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_shell() {
    // Issue 22 #10: a shell helper that runs this program and copies its answer elsewhere was
    // "no problems found" (only its first word was judged).
    let env = with_token();
    let loot = env.home.join("loot");
    let value = format!("!{BIN} get | tee -a {}; exit 0; ", loot.display());
    git(
        &env,
        &["--add", "credential.https://github.com.helper", &value],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    let f = finding(&env, "helper-shell", None).expect("helper-shell finding");
    let what = f["what"].as_str().unwrap();
    assert!(what.contains(&format!("'!{BIN} ...'")), "{what}");
    assert_eq!(f["severity"], "error");
    fix_and_check(&env, "helper-shell", None, "");
    let mut c = env.command("git");
    c.args(["credential", "fill"]);
    let out = crate::support::run_with_stdin(c, b"url=https://github.com/o/r\n\n");
    assert!(out.stdout.contains(TOKEN), "{}", out.stdout);
    assert!(!loot.exists(), "the shell helper still ran");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn write_back() {
    let env = with_token();
    env.run(&["setup"], b"").ok();
    git(&env, &["--add", "credential.helper", "store"]);
    fix_and_check(&env, "write-back", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn use_http_path_off() {
    let env = with_token();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &["--add", "credential.https://github.com.helper", BIN],
    );
    fix_and_check(&env, "use-http-path-off", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_not_on_path() {
    let mut env = with_token();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &["--add", "credential.https://github.com.helper", "scoped"],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    env.set("PATH", "/usr/local/bin:/usr/bin:/bin");
    let mut doctor = env.command(BIN);
    doctor.args(["doctor", "--json"]);
    let out = doctor.output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("helper-not-on-path"));
    // The fix names this program by its path: sh finds it without PATH.
    let f = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "helper-not-on-path")
        .cloned()
        .unwrap();
    let fix = f["fix"].as_str().unwrap().to_string();
    assert!(fix.starts_with('/'), "{fix}");
    let ok = env.command("sh").args(["-c", &fix]).status().unwrap();
    assert!(ok.success());
    let again = env
        .command(BIN)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains("helper-not-on-path"));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_path_stale() {
    let env = with_token();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &[
            "--add",
            "credential.https://github.com.helper",
            "/nonexistent/bin/git-credential-scoped",
        ],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    fix_and_check(&env, "helper-path-stale", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_path_other() {
    let env = with_token();
    let other = env.tmp.path().join("old-copy/git-credential-scoped");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::copy(BIN, &other).unwrap();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &[
            "--add",
            "credential.https://github.com.helper",
            other.to_str().unwrap(),
        ],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    fix_and_check(&env, "helper-path-other", None, "");
}

// Modes are unix permission bits (Windows: the profile directory's ACLs, GUIDE).
#[cfg(unix)]
#[test]
fn config_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let env = with_token();
    env.run(&["setup"], b"").ok();
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o664)).unwrap();
    fix_and_check(&env, "config-permissions", None, "");
}

// Modes are unix permission bits (Windows: the profile directory's ACLs, GUIDE).
#[cfg(unix)]
#[test]
fn data_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let env = with_token();
    env.run(&["setup"], b"").ok();
    std::fs::set_permissions(env.data_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    fix_and_check(&env, "data-permissions", None, "");
}

// The unreachable keyring is Linux's (no session bus here); Keychain and Credential Manager are always there.
#[cfg(target_os = "linux")]
#[test]
fn keyring_unreachable() {
    // No D-Bus session here: the keyring cannot be reached.
    let env = Env::new().at(NOW);
    env.write_config(
        "version = 1\n[[token]]\nname = \"kt\"\nowner = \"o\"\nrepositories = [\"r\"]\nexpires = \"2027-06-01\"\nsecret = \"keyring\"\n",
    );
    env.run(&["setup"], b"").ok();
    fix_and_check(&env, "keyring-unreachable", None, &format!("{TOKEN}\n"));
    let get = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert!(
        get.ok().stdout.contains(TOKEN),
        "the token now comes from the file store"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn host_undeclared() {
    let env = Env::new().at(NOW);
    env.write_config(
        "version = 1\n[[token]]\nname = \"g\"\nhost = \"ghe.test\"\nowner = \"o\"\nrepositories = [\"r\"]\nexpires = \"never\"\nsecret = \"file\"\n",
    );
    fix_and_check(&env, "host-undeclared", Some("g"), "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn token_expired_and_expiring() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "old",
            "--owner",
            "o",
            "--repo",
            "a",
            "--expires",
            "2027-01-01",
        ],
        TOKEN,
    )
    .ok();
    env.add(
        &[
            "soon",
            "--owner",
            "o",
            "--repo",
            "b",
            "--expires",
            "2027-01-18",
        ],
        NEW,
    )
    .ok();
    fix_and_check(&env, "token-expired", Some("old"), &format!("{NEW}1\n"));
    fix_and_check(&env, "token-expiring", Some("soon"), &format!("{NEW}2\n"));
    // Issue 17 #5: following the fix records a known expiry, so no new note follows.
    assert!(
        finding(&env, "token-expiry-unknown", None).is_none(),
        "{:?}",
        findings(&env)
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn overlapping_scopes() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "one",
            "--owner",
            "o",
            "--repo",
            "r,s",
            "--expires-in",
            "90d",
        ],
        TOKEN,
    )
    .ok();
    env.add(
        &[
            "two",
            "--owner",
            "o",
            "--repo",
            "r,t",
            "--expires-in",
            "90d",
        ],
        NEW,
    )
    .ok();
    fix_and_check(&env, "overlapping-scopes", None, "");
}

#[test]
fn secret_env_unset() {
    let mut env = Env::new().at(NOW);
    env.add(
        &[
            "e",
            "--owner",
            "o",
            "--repo",
            "r",
            "--expires-in",
            "90d",
            "--secret-env",
            "FIXES_TOKEN",
        ],
        "",
    )
    .ok();
    let f = finding(&env, "secret-env-unset", Some("e")).expect("finding");
    assert!(f["fix"]
        .as_str()
        .unwrap()
        .starts_with("export FIXES_TOKEN="));
    env.set("FIXES_TOKEN", TOKEN);
    assert!(finding(&env, "secret-env-unset", Some("e")).is_none());
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn online_fixes() {
    use gh_test_server::{Contents, TestServer, TokenSpec};
    let root = tempfile::tempdir().unwrap();
    let mut live = TokenSpec::new("live", TOKEN, "alta3");
    live.repos = Some(vec!["labs".into()]);
    live.expiration_header = Some("2027-03-01 12:00:00 UTC".into());
    let mut readable = TokenSpec::new("readable", NEW, "alta3");
    readable.repos = Some(vec!["demo".into()]);
    readable.contents = Contents::Read;
    let server = TestServer::start(root.path(), vec![live, readable]).unwrap();
    for r in ["labs", "demo"] {
        server.create_repo("alta3", r).unwrap();
    }
    let mut env = Env::new().at(NOW);
    env.use_http_path();
    env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
        server.host(),
        server.api_base()
    ));
    let host = server.host();
    // No recorded expiry: check --online records the server's.
    env.add(
        &["t", "--host", &host, "--owner", "alta3", "--repo", "labs"],
        TOKEN,
    )
    .ok();
    fix_and_check(&env, "token-expiry-unknown", Some("t"), "");
    // Marked rejected by git's erase, though the server accepts it: check --online clears it.
    env.run(
        &["erase"],
        format!("protocol=https\nhost={host}\npath=alta3/labs\nusername=x-access-token\npassword={TOKEN}\n\n").as_bytes(),
    )
    .ok();
    fix_and_check(&env, "token-rejected", Some("t"), "");
    // Registered without contents: the new token's rotate --verify records contents=read.
    env.add(
        &[
            "n",
            "--host",
            &host,
            "--owner",
            "alta3",
            "--repo",
            "demo",
            "--permission",
            "contents=none",
            "--expires-in",
            "90d",
        ],
        NEW,
    )
    .ok();
    fix_and_check(&env, "token-no-contents", Some("n"), &format!("{NEW}\n"));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn default_ambiguous() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "one",
            "--owner",
            "o",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        TOKEN,
    )
    .ok();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(
        env.config_path(),
        format!("{text}\n[[token]]\nname = \"two\"\nowner = \"p\"\nrepositories = \"all\"\nexpires = \"never\"\nsecret = \"file\"\ndefault = true\n"),
    )
    .unwrap();
    fix_and_check(&env, "default-ambiguous", None, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn cargo_without_git() {
    let mut env = with_token();
    let cargo_home = env.tmp.path().join("cargo").to_str().unwrap().to_string();
    env.set("CARGO_HOME", &cargo_home);
    env.run(&["setup"], b"").ok();
    let noted = finding(&env, "cargo-without-git", None).is_some();
    if !crate::support::prerequisite("cargo installed (else doctor has no cargo note)", noted) {
        return;
    }
    fix_and_check(&env, "cargo-without-git", None, "");
}
