//! `doctor` against crafted git configurations in the hermetic HOME: each finding, its fix,
//! the exit code, and the JSON shape.

use crate::support::{assert_has, Env, Out, NOW};

const SECRET: &str =
    "github_pat_11DOCTOR0000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

fn git(env: &Env, args: &[&str]) {
    let mut c = env.command("git");
    c.args(["config", "--global"]).args(args);
    let status = c.status().expect("git");
    assert!(status.success(), "git config {args:?}");
}

/// What `setup` writes: a reset, then this helper, and useHttpPath.
fn set_up(env: &Env) {
    git(env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        env,
        &["--add", "credential.https://github.com.helper", "scoped"],
    );
    git(env, &["credential.https://github.com.useHttpPath", "true"]);
}

/// What `setup --cargo` writes, so that whether this machine has cargo on PATH does not
/// change what doctor finds.
fn cargo_set_up(env: &Env) {
    let dir = env.home.join(".cargo");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[net]\ngit-fetch-with-cli = true\n",
    )
    .unwrap();
}

fn with_token() -> Env {
    let env = Env::new().at(NOW);
    cargo_set_up(&env);
    env.add(
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "90d",
        ],
        SECRET,
    )
    .ok();
    env
}

fn doctor(env: &Env) -> Out {
    let out = env.run(&["doctor"], b"");
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    out
}

fn codes(env: &Env) -> String {
    env.run(&["doctor", "--json"], b"").stdout
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_clean_setup_passes() {
    let env = with_token();
    git(&env, &["credential.helper", "store"]);
    set_up(&env);
    let out = doctor(&env);
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert!(
        out.stdout.ends_with("no problems found\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "  helper list reset by an empty credential.https://github.com.helper (global, "
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  1. scoped  (credential.https://github.com.helper: global, "),
        "{}",
        out.stdout
    );
    assert_has(&out.stdout, "  useHttpPath: on\n");
    assert!(
        !out.stdout.contains("2. "),
        "the reset drops 'store'\n{}",
        out.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_missing_helper_is_an_error_fixed_by_setup() {
    let env = with_token();
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert_has(
        &out.stdout,
        "error: github.com: git does not ask git-credential-scoped for github.com\n",
    );
    assert_has(&out.stdout, "  fix: git credential-scoped setup\n");
    assert!(codes(&env).contains(r#""code":"helper-missing""#));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn another_helper_first_is_an_error_and_a_write_back() {
    let env = with_token();
    git(&env, &["credential.helper", "store"]);
    git(
        &env,
        &["--add", "credential.https://github.com.helper", "scoped"],
    );
    git(&env, &["credential.https://github.com.useHttpPath", "true"]);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout
            .contains("  1. store  (credential.helper: global, "),
        "{}",
        out.stdout
    );
    assert_has(&out.stdout, "  2. scoped  ");
    assert_has(&out.stdout, "error: github.com: helper 'store' (global, ");
    assert_has(
        &out.stdout,
        ") is asked before git-credential-scoped for github.com",
    );
    let json = codes(&env);
    assert!(json.contains(r#""code":"helper-not-first""#), "{json}");
    assert!(json.contains(r#""code":"write-back""#), "{json}");
    assert!(json.contains(r#""scoped_first":false"#), "{json}");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_write_back_helper_after_this_one_is_a_warning() {
    let env = with_token();
    set_up(&env);
    git(&env, &["--add", "credential.helper", "cache --timeout 900"]);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout
            .contains("  2. cache ...  (credential.helper: global, "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("warning: github.com: git also hands every token that worked for github.com to helper 'cache ...' (global, "),
        "{}",
        out.stdout
    );
    let json = codes(&env);
    assert!(
        json.contains(r#""scoped_first":true,"use_http_path":true,"write_back":["cache ..."]"#),
        "{json}"
    );
    assert!(!json.contains("helper-not-first"), "{json}");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn helper_values_are_shown_whole() {
    // Issue 24 #11: doctor cut values at the first space (`!'/home/me/my`): the program is
    // shown whole, its options (which may hold anything) as ` ...`.
    let env = with_token();
    set_up(&env);
    git(
        &env,
        &[
            "--add",
            "credential.https://github.com.helper",
            "!'/home/me/my tools/x' get",
        ],
    );
    let out = doctor(&env);
    assert_has(
        &out.stdout,
        "  2. !'/home/me/my tools/x' ...  (credential.https://github.com.helper: global, ",
    );
    assert_has(
        &out.stdout,
        "to helper '!'/home/me/my tools/x' ...' (global, ",
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn use_http_path_off_is_an_error_with_the_exact_command() {
    let env = with_token();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &["--add", "credential.https://github.com.helper", "scoped"],
    );
    git(&env, &["credential.useHttpPath", "false"]);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert_has(
        &out.stdout,
        "error: github.com: credential.useHttpPath is off for github.com\n",
    );
    assert_has(
        &out.stdout,
        "  fix: git config --global credential.https://github.com.useHttpPath true\n",
    );
    // git reads values in file order and the last one wins: the host's `yes` lands in the
    // earlier [credential "https://github.com"] section, so the later generic `false` still
    // rules, for git and for doctor alike.
    git(&env, &["credential.https://github.com.useHttpPath", "yes"]);
    assert_eq!(doctor(&env).status, 1);
    git(&env, &["--unset", "credential.useHttpPath"]);
    assert_eq!(doctor(&env).status, 0);
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn declared_hosts_and_token_hosts_are_checked_too() {
    let env = Env::new().at(NOW);
    env.write_config("version = 1\n[[host]]\nname = \"ghe.example.com\"\n");
    set_up(&env);
    let json = codes(&env);
    assert!(
        json.contains(r#""host":"ghe.example.com","helpers":[]"#),
        "{json}"
    );
    assert!(
        json.contains(r#""code":"helper-missing","host":"ghe.example.com""#),
        "{json}"
    );
    assert!(
        json.contains(r#""fix":"git credential-scoped setup --host ghe.example.com""#),
        "{json}"
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn token_findings_expired_expiring_rejected_unknown_and_overlaps() {
    let env = Env::new().at(NOW);
    env.write_config(concat!(
        "version = 1\n",
        "[[token]]\nname = \"old\"\nowner = \"a\"\nrepositories = [\"x\"]\nexpires = \"2026-12-01\"\nsecret = \"file\"\n",
        "[[token]]\nname = \"soon\"\nowner = \"b\"\nrepositories = [\"x\"]\nexpires = \"2027-01-18\"\nsecret = \"file\"\n",
        "[[token]]\nname = \"nodate\"\nowner = \"c\"\nrepositories = [\"x\"]\nsecret = \"file\"\n",
        "[[token]]\nname = \"twin1\"\nowner = \"d\"\nrepositories = [\"x\", \"y\"]\nexpires = \"never\"\nsecret = \"file\"\n",
        "[[token]]\nname = \"twin2\"\nowner = \"d\"\nrepositories = [\"y\"]\nexpires = \"never\"\nsecret = \"file\"\n",
        "[[token]]\nname = \"bad\"\nowner = \"e\"\nrepositories = [\"x\"]\nexpires = \"never\"\nsecret = \"file\"\nfingerprint = \"sha256:0000000000000000\"\n",
    ));
    set_up(&env);
    let state_dir = env.data_dir();
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(
        state_dir.join("state"),
        format!("bad - {} e/x\n", NOW - 100),
    )
    .unwrap();
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    let s = &out.stdout;
    assert!(
        s.contains("error: token 'old' expired 2026-12-01 (45 days ago)\n"),
        "{s}"
    );
    assert!(
        s.contains("error: token 'bad' was rejected by the server (401) and is marked so\n"),
        "{s}"
    );
    assert!(
        s.contains("  fix: git credential-scoped check --online https://github.com/e/x\n"),
        "{s}"
    );
    assert!(
        s.contains("warning: token 'soon' expires 2027-01-18 (in 3 days)\n"),
        "{s}"
    );
    assert!(
        s.contains("note: token 'nodate' has no recorded expiry\n"),
        "{s}"
    );
    assert!(
        s.contains("warning: tokens 'twin1' and 'twin2' both cover y of d on github.com (get sends 'twin2' for d/y)\n"),
        "{s}"
    );
    let json = codes(&env);
    for code in [
        "token-expired",
        "token-rejected",
        "token-expiring",
        "token-expiry-unknown",
        "overlapping-scopes",
    ] {
        assert!(
            json.contains(&format!(r#""code":"{code}""#)),
            "{code}: {json}"
        );
    }
    // Errors come first, then warnings, then notes.
    let first_note = s.find("\nnote: ").unwrap();
    assert!(s[..first_note].contains("\nwarning: "));
    assert!(!s[first_note..].contains("\nerror: "));
}

// The unreachable keyring is Linux's (no session bus here); Keychain and Credential Manager are always there.
#[cfg(target_os = "linux")]
#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_unreachable_keyring_is_reported_without_reading_a_secret() {
    let env = Env::new().at(NOW);
    env.write_config("version = 1\n[[token]]\nname = \"kr\"\nowner = \"a\"\nrepositories = [\"x\"]\nexpires = \"never\"\nsecret = \"keyring\"\n");
    set_up(&env);
    let out = doctor(&env);
    assert_eq!(out.status, 1, "{}", out.stdout);
    assert_has(&out.stdout, "secret store keyring, NOT reachable: 'kr'\n");
    assert_has(&out.stdout, "error: the OS keyring is not reachable");
    assert!(codes(&env).contains(r#""store":"keyring","tokens":["kr"],"reachable":false"#));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_unset_secret_env_is_a_warning() {
    let env = Env::new().at(NOW);
    env.write_config("version = 1\n[[token]]\nname = \"ci\"\nowner = \"a\"\nrepositories = [\"x\"]\nexpires = \"never\"\nsecret_env = \"CI_TOKEN\"\n");
    set_up(&env);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert_has(
        &out.stdout,
        "warning: token 'ci' reads its secret from $CI_TOKEN, which is not set here\n",
    );
    let mut with = Env::new().at(NOW);
    with.write_config("version = 1\n[[token]]\nname = \"ci\"\nowner = \"a\"\nrepositories = [\"x\"]\nexpires = \"never\"\nsecret_env = \"CI_TOKEN\"\n");
    set_up(&with);
    with.set("CI_TOKEN", SECRET);
    assert_eq!(doctor(&with).status, 0);
}

#[cfg(unix)]
#[test]
fn a_group_writable_config_is_an_error_with_chmod_as_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let env = with_token();
    set_up(&env);
    let path = env.config_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert_has(
        &out.stdout,
        &format!("error: {} is writable by group or others\n", path.display()),
    );
    assert_has(
        &out.stdout,
        &format!("  fix: chmod go-w {}\n", path.display()),
    );
    assert_eq!(
        out.stdout.matches("is writable by group or others").count(),
        1,
        "{}",
        out.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_config_that_does_not_parse_is_an_error_and_the_git_side_is_still_checked() {
    let env = Env::new().at(NOW);
    env.write_config(
        "version = 1
[[token]
",
    );
    set_up(&env);
    let out = doctor(&env);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.contains("error: ") && out.stdout.contains("is not valid TOML (line 2)"),
        "{}",
        out.stdout
    );
    assert_has(&out.stdout, "  1. scoped  ");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_json_shape_is_stable() {
    let env = with_token();
    set_up(&env);
    let out = env.run(&["doctor", "--json"], b"");
    let gitconfig = env.home.join(".gitconfig");
    let want = format!(
        concat!(
            r#"{{"ok":true,"config":"{cfg}","hosts":[{{"host":"github.com","helpers":[{{"value":"scoped","#,
            r#""key":"credential.https://github.com.helper","scope":"global","origin":"file:{gc}","ours":true,"only_for":null}}],"#,
            r#""reset":{{"key":"credential.https://github.com.helper","scope":"global","origin":"file:{gc}"}},"#,
            r#""scoped_first":true,"use_http_path":true,"write_back":[],"scheme":"https"}}],"#,
            r#""secret_stores":[{{"store":"file","tokens":["alta3"],"reachable":null}}],"findings":[]}}"#,
            "\n"
        ),
        cfg = env.config_path().display(),
        gc = gitconfig.display()
    );
    assert_eq!(out.ok().stdout, want);
}

/// A cargo home with a `cargo` program in its `bin` (as rustup installs it), and its config.
#[cfg(unix)]
fn cargo_home(env: &mut Env, config: Option<&str>) -> std::path::PathBuf {
    let home = env.tmp.path().join("cargo-home");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let cargo = home.join("bin/cargo");
    std::fs::write(&cargo, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    if let Some(text) = config {
        std::fs::write(home.join("config.toml"), text).unwrap();
    }
    env.set("CARGO_HOME", &home.to_string_lossy());
    home
}

// A fake cargo (an sh script) and a symlinked git: unix.
#[cfg(unix)]
#[test]
fn cargo_without_git_fetch_with_cli_is_a_note_fixed_by_setup_cargo() {
    // Issue 14: cargo's libgit2 ignores the reset, quit=1 and the helper's messages.
    let mut env = with_token();
    set_up(&env);
    let home = cargo_home(&mut env, Some("# mine\n[build]\njobs = 2\n"));
    let out = doctor(&env);
    assert_eq!(out.status, 0, "a note does not fail doctor: {}", out.stdout);
    assert_has(
        &out.stdout,
        &format!(
            "note: cargo fetches git dependencies with its built-in libgit2 (net.git-fetch-with-cli is not set in {})\n",
            home.join("config.toml").display()
        ),
    );
    assert_has(&out.stdout, "  fix: git credential-scoped setup --cargo\n");
    assert_has(&out.stdout, "no problems found (1 note)\n");
    assert!(codes(&env).contains(r#""severity":"note","code":"cargo-without-git""#));

    // The fix, then no note; CARGO_NET_GIT_FETCH_WITH_CLI=false still wins over the file.
    env.run(&["setup", "--cargo"], b"").ok();
    assert!(
        !codes(&env).contains("cargo-without-git"),
        "{}",
        codes(&env)
    );
    env.set("CARGO_NET_GIT_FETCH_WITH_CLI", "false");
    assert_has(
        &doctor(&env).stdout,
        "(CARGO_NET_GIT_FETCH_WITH_CLI=false is set)",
    );
}

// A fake cargo (an sh script) and a symlinked git: unix.
#[cfg(unix)]
#[test]
fn no_cargo_no_note() {
    let mut env = with_token();
    set_up(&env);
    let home = cargo_home(&mut env, None);
    std::fs::remove_file(home.join("bin/cargo")).unwrap();
    // A PATH with git but no cargo, whatever this machine has in /usr/bin.
    let bin = env.tmp.path().join("only-git");
    std::fs::create_dir_all(&bin).unwrap();
    let git = which("git");
    std::os::unix::fs::symlink(&git, bin.join("git")).unwrap();
    let helper_dir = std::path::Path::new(crate::support::BIN).parent().unwrap();
    env.set(
        "PATH",
        &format!("{}:{}", helper_dir.display(), bin.display()),
    );
    let out = doctor(&env);
    assert!(!out.stdout.contains("cargo"), "{}", out.stdout);
}

#[cfg(unix)] // used by the unix-only no_cargo_no_note
fn which(program: &str) -> std::path::PathBuf {
    ["/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| std::path::Path::new(d).join(program))
        .find(|p| p.exists())
        .expect("git is installed")
}

/// Keys of `credential.<url>.helper` that git's urlmatch reads in all its ways (issue 22 #9).
const URL_CASES: &[&str] = &[
    "https://github.com",
    "https://GitHub.com",
    "https://github.com:443",
    "https://github.com:0443",
    "https://github.com:",
    "https://github.com.",
    "https://github.COM.",
    "https://github.com..",
    "HTTPS://github.com",
    "https://*.com",
    "https://*.*",
    "https://*",
    "https://g*b.com",
    "https://*hub*.com",
    "https://*.github.com",
    "*.com",
    "github.com",
    "GitHub.com",
    "github.com:443",
    "github.com/alta3",
    "https://github.com:444",
    "https://github.com:65536",
    "http://github.com",
    "ftp://github.com",
    "https://github.com.evil",
    "https://github.com/",
    "https://github.com:443/",
    "https://github.com?x",
    "//github.com",
    "https:/github.com",
    "https://me@github.com",
    "https://github.com/alta3",
    "https://github.com/alta3/",
    "https://github.com/alta",
    "https://github.com/%61lta3",
    "https://github.com/alta3/../alta3",
    "https://github.com/alta3/labs.git",
    "https://github.com./alta3",
];

/// The keys git runs a helper of for `url`, in the order it runs them.
fn git_runs(env: &Env, url: &str) -> Vec<String> {
    let trace = env.home.join("trace");
    let _ = std::fs::remove_file(&trace);
    let mut c = env.command("git");
    c.args(["credential", "fill"]);
    crate::support::run_with_stdin(c, format!("url={url}\n\n").as_bytes());
    std::fs::read_to_string(&trace)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim_end_matches(" get").to_string())
        .collect()
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn doctor_agrees_with_gits_own_url_matching() {
    let env = Env::new().at(NOW);
    let trace = env.home.join("trace");
    for p in URL_CASES {
        let helper = format!("!echo '{p}' >>'{}'; true", trace.display());
        git(&env, &["--add", &format!("credential.{p}.helper"), &helper]);
    }
    let always = git_runs(&env, "https://github.com");
    let with_path = git_runs(&env, "https://github.com/alta3/labs");
    assert!(
        always.contains(&"https://github.com.".to_string()),
        "{always:?}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&env.run(&["doctor", "--json"], b"").stdout).unwrap();
    let host = &doc["hosts"][0];
    assert_eq!(host["host"], "github.com");
    let listed = |conditional: bool| -> Vec<String> {
        host["helpers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["only_for"].is_null() != conditional)
            .map(|h| {
                let key = h["key"].as_str().unwrap();
                key["credential.".len()..key.len() - ".helper".len()].to_string()
            })
            .collect()
    };
    assert_eq!(listed(false), always, "helpers for every URL of github.com");
    // The path keys git runs for /alta3/labs are the ones doctor lists as "URLs under".
    let under: Vec<String> = host["helpers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["only_for"]
                .as_str()
                .and_then(|c| c.strip_prefix("URLs under "))
                .is_some_and(|p| {
                    "/alta3/labs".starts_with(p) && "/alta3/labs/"[p.len()..].starts_with('/')
                })
        })
        .map(|h| h["key"].as_str().unwrap().to_string())
        .collect();
    let git_under: Vec<String> = with_path
        .iter()
        .filter(|k| !always.contains(k))
        .map(|k| format!("credential.{k}.helper"))
        .collect();
    assert_eq!(under, git_under, "helpers for URLs under /alta3");
    assert!(listed(true).contains(&"https://me@github.com".to_string()));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_json_example_in_help_shows_what_setup_writes() {
    // Issue 24 #11: the example showed `"value": "scoped"`; setup writes the absolute path.
    let env = with_token();
    env.run(&["setup"], b"").ok();
    let help = env.run(&["doctor", "--help"], b"").stdout;
    assert_has(
        &help,
        "{\"value\": \"/home/me/.local/bin/git-credential-scoped\",",
    );
    assert!(!help.contains("\"value\": \"scoped\""), "{help}");
    let doc: serde_json::Value =
        serde_json::from_str(&env.run(&["doctor", "--json"], b"").stdout).unwrap();
    let value = doc["hosts"][0]["helpers"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(value, crate::support::BIN);
    assert!(value.ends_with("/git-credential-scoped"), "{value}");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_short_name_with_options_is_still_found_missing_from_path() {
    // The helper's shown value became `scoped ...`; the PATH check reads the value itself.
    let mut env = with_token();
    git(&env, &["--add", "credential.https://github.com.helper", ""]);
    git(
        &env,
        &[
            "--add",
            "credential.https://github.com.helper",
            "scoped --config /x",
        ],
    );
    env.set("PATH", "/usr/local/bin:/usr/bin:/bin");
    let mut c = env.command(crate::support::BIN);
    c.args(["doctor", "--json"]);
    let out = crate::support::run_with_stdin(c, b"");
    assert_has(&out.stdout, "\"code\":\"helper-not-on-path\"");
}
