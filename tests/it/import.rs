//! `import`: moving in from git's credential-store and from gh (asked with `gh auth token`). The scenario of
//! issue 16: a 12-line `~/.git-credentials` — two secrets across the six repositories of
//! `alta3` (one of them on a second line spelled `labs.git`), one secret seen for two
//! owners, a host-only line, a classic token and a non-GitHub host — gives exactly two
//! tokens; `get` then answers every repository from the registry; the old file is left as
//! it was, or, with `--remove-imported`, loses exactly the imported lines.

use crate::support::{assert_has, assert_lacks, Env, Out, NOW, SIX};
use git_credential_scoped::registry::config;
use git_credential_scoped::registry::{Expiry, Repos, SecretSource};
use git_credential_scoped::secret::fingerprint_of;
use git_credential_scoped::secrets::StoreKind;

const A: &str =
    "github_pat_11IMPORTA00000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str =
    "github_pat_11IMPORTB00000000000000_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const TWO_OWNERS: &str =
    "github_pat_11IMPORTC00000000000000_cccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const HOST_ONLY: &str =
    "github_pat_11IMPORTD00000000000000_dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
const CLASSIC: &str = "ghp_IMPORT0123456789abcdefghijklmnopqrstu";
const GITLAB: &str = "glpat-IMPORT0123456789abcdef";

/// The 12 lines; B's lines carry a percent-encoded user name, as git writes it.
fn store_text() -> String {
    [
        format!("https://x-access-token:{A}@github.com/alta3/labs"),
        format!("https://x-access-token:{A}@github.com/alta3/alta3-ansible"),
        format!("https://x-access-token:{A}@github.com/alta3/enchilada"),
        format!("https://ci%40alta3:{B}@github.com/alta3/infrastructure"),
        format!("https://ci%40alta3:{B}@github.com/alta3/demo"),
        format!("https://ci%40alta3:{B}@github.com/alta3/gutenberg"),
        format!("https://x-access-token:{A}@github.com/alta3/labs.git"),
        format!("https://x-access-token:{TWO_OWNERS}@github.com/client-x/portal"),
        format!("https://x-access-token:{TWO_OWNERS}@github.com/client-y/api"),
        format!("https://me:{HOST_ONLY}@github.com"),
        format!("https://me:{CLASSIC}@github.com/me/dotfiles"),
        format!("https://me:{GITLAB}@gitlab.example.com/team/app"),
    ]
    .join("\n")
        + "\n"
}

/// The five lines that are not imported, in their order.
fn kept_lines() -> String {
    store_text()
        .lines()
        .skip(7)
        .map(|l| format!("{l}\n"))
        .collect()
}

fn moving_in() -> Env {
    let env = Env::new().at(NOW);
    std::fs::write(env.home.join(".git-credentials"), store_text()).unwrap();
    env
}

fn assert_no_secret(out: &Out) {
    for s in [A, B, TWO_OWNERS, HOST_ONLY, CLASSIC, GITLAB] {
        assert_lacks(&out.stdout, s);
        assert_lacks(&out.stderr, s);
    }
}

/// The plan for the 12 lines, as `import` prints it after its first line.
fn plan_text() -> String {
    let (fa, fb, fc) = (
        fingerprint_of(A.as_bytes()),
        fingerprint_of(B.as_bytes()),
        fingerprint_of(TWO_OWNERS.as_bytes()),
    );
    format!(
        "token 'alta3' for alta3 on github.com
  repositories: labs, alta3-ansible, enchilada
  permissions:  contents=read (assumed: the source does not say; fix it in the config if it differs)
  expires:      unknown (--verify asks GitHub)
  username:     x-access-token
  secret:       file store, fingerprint {fa}
  from:         lines 1, 2, 3, 7
token 'alta3-2' for alta3 on github.com
  repositories: infrastructure, demo, gutenberg
  permissions:  contents=read (assumed: the source does not say; fix it in the config if it differs)
  expires:      unknown (--verify asks GitHub)
  username:     ci@alta3
  secret:       file store, fingerprint {fb}
  from:         lines 4, 5, 6
not imported:
  lines 8, 9: the same secret ({fc}) is used for the owners client-x and client-y: a fine-grained token belongs to one owner, so only one of these ever worked; register it for its owner by hand: git credential-scoped add NAME --owner OWNER --repo REPO --verify
  line 10: github.com without a repository path (stored while credential.useHttpPath was off): which owner and repositories the token covers cannot be told; register it by hand with `git credential-scoped add NAME --owner OWNER --repo REPO`
  line 11: a classic personal access token (ghp_...): it reaches every repository of its account, so there is nothing to route; keep it where it is, or replace it with fine-grained tokens
  line 12: gitlab.example.com is not a GitHub host: left to git's credential-store, which keeps serving it
"
    )
}

fn get(env: &Env, path: &str) -> Out {
    env.run(
        &["get"],
        format!("protocol=https\nhost=github.com\npath={path}\n\n").as_bytes(),
    )
}

#[test]
fn a_credential_store_file_becomes_one_token_per_secret_and_is_left_as_it_was() {
    let env = moving_in();
    let file = env.home.join(".git-credentials");
    let out = env.run(&["import"], b"");
    out.ok();
    assert_no_secret(&out);
    let config = env.config_path();
    assert_eq!(
        out.stdout,
        format!(
            "12 credential lines in {}\n{}registered 2 tokens in {} (secrets in the file store)\n\
             their expiry is unknown, so nothing warns before they stop working; to record what GitHub reports, run: git credential-scoped check --online URL\n\
             {}: lines 1, 2, 3, 4, 5, 6, 7 now duplicate a secret registered for the same repository; the file is left as it was\n\
             to remove those lines (every other line is kept, in order), run: git credential-scoped import --remove-imported\n",
            file.display(),
            plan_text(),
            config.display(),
            file.display()
        )
    );
    assert_eq!(out.stderr, "");

    // The registry: two tokens, whole, their secrets in the chosen store under their keys.
    let reg = config::load(&config).unwrap();
    let got: Vec<(&str, &str, Repos, Option<&str>)> = reg
        .tokens
        .iter()
        .map(|t| {
            assert_eq!(t.host, "github.com");
            assert_eq!(t.expires, Expiry::Unknown);
            assert_eq!(t.source, SecretSource::Store(StoreKind::File));
            (
                t.name.as_str(),
                t.owner.as_str(),
                t.repos.clone(),
                t.username.as_deref(),
            )
        })
        .collect();
    let list = |r: &[&str]| Repos::List(r.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        got,
        [
            ("alta3", "alta3", list(&SIX[..3]), Some("x-access-token")),
            ("alta3-2", "alta3", list(&SIX[3..]), Some("ci@alta3")),
        ]
    );
    let fa = fingerprint_of(A.as_bytes());
    let fb = fingerprint_of(B.as_bytes());
    assert_eq!(
        env.stored_secrets(),
        [
            (format!("token/alta3-2/{fb}"), B.as_bytes().to_vec()),
            (format!("token/alta3/{fa}"), A.as_bytes().to_vec()),
        ]
    );

    // get answers each of the six repositories with its secret; the rest stays unanswered.
    for (i, repo) in SIX.iter().enumerate() {
        let (user, secret) = if i < 3 {
            ("x-access-token", A)
        } else {
            ("ci@alta3", B)
        };
        let out = get(&env, &format!("alta3/{repo}.git"));
        assert_eq!(
            out.ok().stdout,
            format!("username={user}\npassword={secret}\n"),
            "{repo}"
        );
        assert_eq!(out.stderr, "", "{repo}");
    }
    for path in ["client-x/portal", "client-y/api", "me/dotfiles"] {
        assert_eq!(get(&env, path).ok().stdout, "", "{path}");
    }
    let gitlab = env.run(
        &["get"],
        b"protocol=https\nhost=gitlab.example.com\npath=team/app\n\n",
    );
    assert_eq!(gitlab.ok().stdout, "");

    // The old file is exactly as it was.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), store_text());

    // Importing again registers nothing twice.
    let again = env.run(&["import"], b"");
    assert_has(
        &again.ok().stdout,
        &format!("  lines 1, 2, 3, 7: its secret ({fa}) is registered already, as token 'alta3'\n"),
    );
    assert_has(&again.stdout, "nothing to import\n");
    assert_eq!(config::load(&config).unwrap().tokens.len(), 2);
}

// The printed removal command is for sh (sed -i), as the user would paste it.
#[cfg(unix)]
#[test]
fn the_printed_command_removes_exactly_the_imported_lines() {
    let env = moving_in();
    let file = env.home.join(".git-credentials");
    let out = env.run(&["import"], b"");
    let command = out
        .ok()
        .stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("to remove those lines (every other line is kept, in order), run: ")
        })
        .expect("the removal command")
        .to_string();
    let mut sh = env.command("sh");
    sh.args(["-c", &command]);
    let removed = crate::support::run_with_stdin(sh, b"");
    removed.ok();
    assert_no_secret(&removed);
    assert_has(
        &removed.stdout,
        &format!(
            "{}: removed 7 lines now registered; 5 other lines kept as they were\n",
            file.display()
        ),
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept_lines());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let leftovers: Vec<String> = std::fs::read_dir(&env.home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".git-credentials") && n != ".git-credentials")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // get still answers from the registry.
    assert!(get(&env, "alta3/demo").ok().stdout.contains(B));
}

#[test]
fn remove_imported_in_one_go_keeps_a_last_line_without_line_end() {
    let env = Env::new().at(NOW);
    let file = env.home.join("creds");
    let text = store_text();
    let text = text.strip_suffix('\n').unwrap();
    std::fs::write(&file, text).unwrap();
    let out = env.run(
        &[
            "import",
            "--from",
            "store",
            file.to_str().unwrap(),
            "--remove-imported",
        ],
        b"",
    );
    out.ok();
    assert_no_secret(&out);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        kept_lines().strip_suffix('\n').unwrap()
    );
    assert_eq!(config::load(&env.config_path()).unwrap().tokens.len(), 2);
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    let env = moving_in();
    let file = env.home.join(".git-credentials");
    let out = env.run(&["import", "--dry-run", "--remove-imported"], b"");
    out.ok();
    assert_no_secret(&out);
    assert_eq!(
        out.stdout,
        format!(
            "dry run, nothing is changed: 12 credential lines in {}\n{}would register 2 tokens in {}\n{}: would remove lines 1, 2, 3, 4, 5, 6, 7\n",
            file.display(),
            plan_text(),
            env.config_path().display(),
            file.display()
        )
    );
    assert!(!env.config_path().exists());
    assert!(env.stored_secrets().is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), store_text());
}

#[test]
fn an_import_that_cannot_be_written_leaves_no_token_and_no_secret() {
    let mut env = moving_in();
    env.set("GIT_CREDENTIAL_SCOPED_TEST_FAIL", "config.toml");
    let out = env.run(&["import"], b"");
    assert_eq!(out.status, 2, "{}{}", out.stdout, out.stderr);
    assert_no_secret(&out);
    assert_has(&out.stderr, "nothing was imported");
    assert!(!env.config_path().exists());
    assert!(
        env.stored_secrets().is_empty(),
        "{:?}",
        env.stored_secrets()
    );
    assert_eq!(
        std::fs::read_to_string(env.home.join(".git-credentials")).unwrap(),
        store_text()
    );
}

#[test]
fn the_xdg_file_is_read_too_and_a_missing_one_is_explained() {
    let env = Env::new().at(NOW);
    let out = env.run(&["import"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "no credential-store file to import: ");
    assert_has(
        &out.stderr,
        "hint: name the file: git credential-scoped import --from store FILE",
    );
    let xdg = env.home.join(".config").join("git").join("credentials");
    std::fs::create_dir_all(xdg.parent().unwrap()).unwrap();
    std::fs::write(&xdg, format!("https://x:{A}@github.com/alta3/labs\n")).unwrap();
    let out = env.run(&["import"], b"");
    assert_has(
        &out.ok().stdout,
        &format!("1 credential line in {}\n", xdg.display()),
    );
    assert!(get(&env, "alta3/labs").ok().stdout.contains(A));
}

#[test]
fn store_options_and_gh_options_do_not_mix() {
    let env = moving_in();
    let out = env.run(&["import", "--owner", "alta3"], b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "go with --from gh");
    let out = env.run(
        &[
            "import",
            "--from",
            "gh",
            "--owner",
            "alta3",
            "--remove-imported",
        ],
        b"",
    );
    assert_eq!(out.status, 2);
    assert!(!env.config_path().exists());
}

/// A fake `gh` first on PATH: `gh auth token --hostname HOST [--user LOGIN]` prints the
/// token of `$FAKE_GH_TOKEN` for the words in `$FAKE_GH_KNOWS`, else fails as gh does when it
/// holds no token; every call is logged to `$FAKE_GH_LOG`.
#[cfg(unix)]
fn with_fake_gh(token: &str, knows: &str) -> Env {
    use std::os::unix::fs::PermissionsExt;
    let mut env = Env::new().at(NOW);
    let bin = env.home.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$FAKE_GH_LOG\"\nif [ \"$*\" = \"$FAKE_GH_KNOWS\" ]; then printf '%s\\n' \"$FAKE_GH_TOKEN\"; exit 0; fi\necho \"no oauth token found for $4\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let helper_dir = std::path::Path::new(crate::support::BIN).parent().unwrap();
    let path = format!("{}:{}:/usr/bin:/bin", bin.display(), helper_dir.display());
    env.set("PATH", &path);
    env.set("FAKE_GH_TOKEN", token);
    env.set("FAKE_GH_KNOWS", knows);
    let log = env.home.join("gh.log").to_str().unwrap().to_string();
    env.set("FAKE_GH_LOG", &log);
    env
}

#[cfg(unix)]
fn gh_calls(env: &Env) -> String {
    std::fs::read_to_string(env.home.join("gh.log")).unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn a_token_gh_holds_is_imported_with_the_scope_given() {
    let env = with_fake_gh(A, "auth token --hostname github.com");
    let missing = env.run(&["import", "--from", "gh"], b"");
    assert_eq!(missing.status, 2);
    assert_has(
        &missing.stderr,
        "--from gh needs --owner OWNER and --repo R... or --all-repos",
    );
    assert_eq!(
        gh_calls(&env),
        "",
        "gh is asked only once the arguments are right"
    );
    // The GUIDE's block, as written.
    let mut sh = env.command("sh");
    sh.args(["-e", "-c", &crate::readme::guide_block("guide-import-gh")]);
    let out = crate::support::run_with_stdin(sh, b"");
    out.ok();
    assert_no_secret(&out);
    assert_eq!(gh_calls(&env), "auth token --hostname github.com\n");
    assert_has(
        &out.stdout,
        "token 'alta3' for alta3 on github.com\n  repositories: labs, demo\n",
    );
    assert_has(
        &out.stdout,
        "  from:         gh auth token --hostname github.com\n",
    );
    assert_eq!(
        get(&env, "alta3/demo").ok().stdout,
        format!("username=x-access-token\npassword={A}\n")
    );
    assert_eq!(get(&env, "alta3/other").stdout, "");
}

#[cfg(unix)]
#[test]
fn gh_is_asked_for_the_login_given_which_becomes_the_user_name() {
    let env = with_fake_gh(A, "auth token --hostname github.com --user monalisa");
    let args = ["import", "--from", "gh", "--owner", "alta3", "--all-repos"];
    let out = env.run(&[&args[..], &["--user", "monalisa"]].concat(), b"");
    out.ok();
    assert_eq!(
        get(&env, "alta3/x").ok().stdout,
        format!("username=monalisa\npassword={A}\n")
    );
}

#[cfg(unix)]
#[test]
fn gh_not_signed_in_or_not_installed_is_said_and_nothing_imported() {
    let env = with_fake_gh(A, "auth token --hostname github.com --user someone-else");
    let args = ["import", "--from", "gh", "--owner", "alta3", "--all-repos"];
    let out = env.run(&args, b"");
    assert_eq!(out.status, 2);
    assert_has(&out.stderr, "gh holds no token for github.com (`gh auth token --hostname github.com` failed: no oauth token found for github.com); nothing was imported");
    assert_has(
        &out.stderr,
        "hint: sign in first: gh auth login --hostname github.com",
    );
    assert!(!env.config_path().exists());
    let mut env = env;
    let empty = env.home.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    env.set("PATH", empty.to_str().unwrap());
    let out = env.run(&args, b"");
    assert_eq!(out.status, 2);
    assert_has(
        &out.stderr,
        "gh (the GitHub CLI) is not installed, or not on PATH; nothing was imported",
    );
    assert!(!env.config_path().exists());
}

#[cfg(unix)]
#[test]
fn what_gh_prints_is_held_to_the_rules_of_every_secret() {
    let args = ["import", "--from", "gh", "--owner", "alta3", "--all-repos"];
    for (printed, why) in [
        (
            "github_pat_11SPACE000 second",
            "holds spaces or control characters",
        ),
        (
            "gho_IMPORT0123456789abcdefghij",
            "is not a fine-grained token",
        ),
        ("", "is empty"),
    ] {
        let env = with_fake_gh(printed, "auth token --hostname github.com");
        let out = env.run(&args, b"");
        assert_eq!(out.status, 2, "{printed}");
        assert_has(&out.stderr, why);
        assert_lacks(&out.stderr, "second");
        assert!(!env.config_path().exists());
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn verify_records_the_expiry_and_keeps_out_a_token_the_server_rejects() {
    use gh_test_server::{TestServer, TokenSpec};
    let root = tempfile::tempdir().unwrap();
    let mut live = TokenSpec::new("live", A, "alta3");
    live.repos = Some(vec!["labs".into()]);
    live.expiration_header = Some("2027-03-01 12:00:00 UTC".into());
    let server = TestServer::start(root.path(), vec![live]).expect("gh-test-server");
    server.create_repo("alta3", "labs").unwrap();
    let mut env = Env::new().at(NOW);
    env.write_config(&format!(
        "version = 1\n[[host]]\nname = \"{}\"\napi = \"{}\"\n",
        server.host(),
        server.api_base()
    ));
    env.set("GIT_SSL_CAINFO", server.ca_cert_path().to_str().unwrap());
    let host = server.host();
    let file = env.home.join(".git-credentials");
    std::fs::write(
        &file,
        format!("https://x:{A}@{host}/alta3/labs\nhttps://x:{B}@{host}/alta3/demo\n"),
    )
    .unwrap();
    let out = env.run(&["import", "--verify"], b"");
    out.ok();
    assert_no_secret(&out);
    assert_has(&out.stdout, "  expires:      2027-03-01 (in 45 days)\n");
    assert_has(
        &out.stdout,
        "  line 2: the server says: the server rejected token 'alta3-2'",
    );
    assert_has(&out.stdout, "registered 1 token in ");
    let reg = config::load(&env.config_path()).unwrap();
    assert_eq!(reg.tokens.len(), 1);
    assert_eq!(
        reg.tokens[0].expires,
        Expiry::At(NOW + 45 * 86_400 + 12 * 3600)
    );
    // Only the imported line is redundant; the rejected one stays where it was.
    assert_has(&out.stdout, ": line 1 now duplicates a secret registered");
}

// The GUIDE's shell block runs with sh -e (see docs.rs).
#[cfg(unix)]
#[test]
fn the_guide_s_import_steps_run_as_written() {
    let env = moving_in();
    let mut sh = env.command("sh");
    sh.args(["-e", "-c", &crate::readme::guide_block("guide-import")]);
    let out = crate::support::run_with_stdin(sh, b"");
    out.ok();
    assert_no_secret(&out);
    assert_has(
        &out.stdout,
        "dry run, nothing is changed: 12 credential lines in ",
    );
    assert_has(&out.stdout, "registered 2 tokens in ");
    assert_has(
        &out.stdout,
        "removed 7 lines now registered; 5 other lines kept as they were",
    );
    assert_eq!(
        std::fs::read_to_string(env.home.join(".git-credentials")).unwrap(),
        kept_lines()
    );
    assert_eq!(env.stored_secrets().len(), 2);
    for repo in SIX {
        assert_ne!(
            get(&env, &format!("alta3/{repo}")).ok().stdout,
            "",
            "{repo}"
        );
    }
}
