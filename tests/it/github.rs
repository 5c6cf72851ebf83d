//! GitHub hosts through real `git credential fill` with useHttpPath: the token whose scope
//! covers the repository, warnings and refusals before anything is sent.

use crate::support::{assert_has, assert_lacks, Env, DAY, NOW, SIX};

const INSTALLER: &str =
    "github_pat_11INSTALLER0000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

fn installer_env() -> Env {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            &SIX.join(","),
            "--permission",
            "contents=read",
            "--permission",
            "metadata=read",
            "--expires-in",
            "90d",
        ],
        INSTALLER,
    )
    .ok();
    env
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_installer_token_serves_all_six_repositories_and_nothing_else() {
    let env = installer_env();
    let expiry = NOW + 90 * DAY;
    for repo in SIX {
        for url in [
            format!("https://github.com/alta3/{repo}.git"),
            format!("https://github.com/Alta3/{repo}"),
        ] {
            let out = env.fill(&url);
            let want = format!(
                "username=x-access-token\npassword={INSTALLER}\npassword_expiry_utc={expiry}\n"
            );
            assert!(out.ok().stdout.ends_with(&want), "{url}: {}", out.stdout);
            assert_eq!(out.stderr, "", "{url}");
        }
    }
    let out = env.fill("https://github.com/alta3/other.git");
    assert_ne!(out.status, 0);
    assert!(!out.stdout.contains(INSTALLER));
    assert_has(&out.stderr, "git-credential-scoped: no token covers alta3/other; tokens for alta3 cover: labs, alta3-ansible, enchilada, infrastructure, demo, gutenberg");
    // Another owner's repositories get nothing and no hint.
    let out = env.fill("https://github.com/acme/labs.git");
    assert_lacks(&out.stderr, "git-credential-scoped");
}

#[test]
fn lfs_paths_map_to_the_same_token() {
    let env = installer_env();
    let out = env.run(
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs.git/info/lfs\n\n",
    );
    assert!(out.ok().stdout.contains(INSTALLER));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_expired_token_stops_git_at_once_without_a_prompt() {
    let env = installer_env();
    let later = Env {
        now: Some(NOW + 91 * DAY),
        ..env
    };
    let start = std::time::Instant::now();
    let out = later.fill("https://github.com/alta3/labs.git");
    assert!(start.elapsed().as_secs() < 5);
    assert_ne!(out.status, 0);
    assert!(!out.stdout.contains(INSTALLER));
    assert_has(&out.stderr, "git-credential-scoped: refused to send token 'alta3' for alta3/labs on github.com: it expired 2027-04-15 (1 day ago)");
    assert_has(
        &out.stderr,
        "hint: create a new token at https://github.com/settings/personal-access-tokens/new?",
    );
    assert_has(&out.stderr, "git credential-scoped rotate alta3");
    assert_has(&out.stderr, "told us to quit");
    assert_lacks(&out.stderr, "Username for");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_expiring_token_answers_and_warns_once() {
    let env = installer_env();
    let soon = Env {
        now: Some(NOW + 85 * DAY),
        ..env
    };
    let out = soon.fill("https://github.com/alta3/labs.git");
    assert!(out.ok().stdout.contains(INSTALLER));
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0]
            .starts_with("git-credential-scoped: token 'alta3' expires 2027-04-15 (in 5 days)"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("rotate alta3"));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn on_expired_warn_sends_the_expired_token_with_a_warning() {
    let env = installer_env();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    env.write_config(&format!("{text}\n[settings]\non_expired = \"warn\"\n"));
    let later = Env {
        now: Some(NOW + 91 * DAY),
        ..env
    };
    let out = later.fill("https://github.com/alta3/labs.git");
    assert!(out.ok().stdout.contains(INSTALLER));
    assert_has(&out.stderr, "sending it anyway");
    // git drops a credential whose password_expiry_utc is past: none is sent (issue 23).
    assert_lacks(&out.stdout, "password_expiry_utc");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_token_without_contents_is_refused() {
    let env = Env::new().at(NOW);
    env.add(
        &[
            "meta",
            "--owner",
            "o",
            "--repo",
            "r",
            "--permission",
            "contents=none",
            "--no-expiry",
        ],
        INSTALLER,
    )
    .ok();
    let out = env.fill("https://github.com/o/r.git");
    assert_ne!(out.status, 0);
    assert_has(&out.stderr, "it has no 'contents' permission");
    assert!(!out.stdout.contains(INSTALLER));
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_narrowest_token_wins_and_the_answer_carries_the_username() {
    let env = Env::new().at(NOW);
    env.add(
        &["wide", "--owner", "o", "--all-repos", "--no-expiry"],
        "github_pat_WIDE",
    )
    .ok();
    env.add(
        &[
            "narrow",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
            "--username",
            "octo",
        ],
        "github_pat_NARROW",
    )
    .ok();
    let out = env.fill("https://github.com/o/r.git");
    assert!(
        out.ok()
            .stdout
            .contains("username=octo\npassword=github_pat_NARROW\n"),
        "{}",
        out.stdout
    );
    let out = env.fill("https://github.com/o/s.git");
    assert!(
        out.ok()
            .stdout
            .contains("username=x-access-token\npassword=github_pat_WIDE\n"),
        "{}",
        out.stdout
    );
    let out = env.fill("https://someone@github.com/o/s.git");
    assert!(
        out.ok()
            .stdout
            .contains("username=someone\npassword=github_pat_WIDE\n"),
        "{}",
        out.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn store_records_use_and_erase_marks_rejected_without_deleting() {
    let env = installer_env();
    let req = format!("protocol=https\nhost=github.com\npath=alta3/labs.git\nusername=x-access-token\npassword={INSTALLER}\n\n");
    env.run(&["store"], req.as_bytes()).ok();
    let show = env.run(&["show", "alta3", "--json"], b"");
    assert!(
        show.ok()
            .stdout
            .contains("\"last_used\":\"2027-01-15T00:00:00Z\""),
        "{}",
        show.stdout
    );
    let out = env.run(&["erase"], req.as_bytes());
    assert!(
        out.ok()
            .stderr
            .contains("the server rejected token 'alta3' for alta3/labs"),
        "{}",
        out.stderr
    );
    let out = env.fill("https://github.com/alta3/demo.git");
    assert_ne!(out.status, 0);
    assert_has(&out.stderr, "rejected by the server for alta3/labs today");
    let list = env.run(&["list"], b"");
    assert!(list.ok().stdout.contains("rejected"), "{}", list.stdout);
    env.run(&["unreject", "alta3"], b"").ok();
    assert!(env
        .fill("https://github.com/alta3/demo.git")
        .ok()
        .stdout
        .contains(INSTALLER));
    // Nothing of it was stored as a generic credential.
    assert!(!env.data_dir().join("credentials").exists());
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_prompted_token_is_kept_for_that_repository_only() {
    let env = Env::new();
    env.git(
        &["-c", "credential.useHttpPath=true", "credential", "approve"],
        b"url=https://github.com/acme/app.git/info/lfs\nusername=me\npassword=github_pat_TYPED\n\n",
    )
    .ok();
    assert!(env
        .fill("https://github.com/acme/app.git")
        .ok()
        .stdout
        .contains("github_pat_TYPED"));
    assert_ne!(env.fill("https://github.com/acme/other.git").status, 0);
}

#[test]
fn without_a_path_a_hint_and_only_the_default_token() {
    let env = installer_env();
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\n\n");
    assert_eq!(out.ok().stdout, "");
    assert_eq!(out.stderr, "git-credential-scoped: git sent no repository path for github.com, so the token cannot be chosen by repository; run: git config --global credential.https://github.com.useHttpPath true\n");
    env.add(
        &[
            "personal",
            "--owner",
            "me",
            "--all-repos",
            "--no-expiry",
            "--default",
        ],
        "github_pat_DEFAULT",
    )
    .ok();
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\n\n");
    assert_eq!(
        out.ok().stdout,
        "username=x-access-token\npassword=github_pat_DEFAULT\n"
    );
}

#[test]
fn plain_http_and_look_alike_hosts_never_get_a_token() {
    let env = installer_env();
    let out = env.run(
        &["get"],
        b"protocol=http\nhost=github.com\npath=alta3/labs.git\n\n",
    );
    assert_eq!(out.stdout, "");
    assert_has(&out.stderr, "takes tokens over https only");
    for host in [
        "github.com.evil.test",
        "evil.test",
        "github.com:8443",
        "GITHUB.COM.evil.test",
    ] {
        let out = env.run(
            &["get"],
            format!("protocol=https\nhost={host}\npath=alta3/labs.git\n\n").as_bytes(),
        );
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("", ""),
            "{host}"
        );
    }
    let out = env.run(
        &["get"],
        b"protocol=https\nhost=evil.test\npath=github.com/alta3/labs\n\n",
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn declared_hosts_match_with_their_port_and_may_allow_http() {
    let env = Env::new().at(NOW);
    env.write_config("version = 1\n[[host]]\nname = \"127.0.0.1:8443\"\napi = \"https://127.0.0.1:8443/api/v3\"\nallow_http = true\n");
    env.add(
        &[
            "loop",
            "--host",
            "127.0.0.1:8443",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
        ],
        "github_pat_LOOP",
    )
    .ok();
    let out = env.run(
        &["get"],
        b"protocol=http\nhost=127.0.0.1:8443\npath=o/r.git\n\n",
    );
    assert!(out.ok().stdout.contains("github_pat_LOOP"));
    let out = env.run(
        &["get"],
        b"protocol=https\nhost=127.0.0.1\npath=o/r.git\n\n",
    );
    assert_eq!(out.ok().stdout, "");
    // The host declaration survived the program's own write.
    assert!(std::fs::read_to_string(env.config_path())
        .unwrap()
        .contains("allow_http = true"));
}

#[test]
fn secret_env_and_secret_command_are_read_at_use_time() {
    let mut env = Env::new().at(NOW);
    env.run(
        &[
            "add",
            "viaenv",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
            "--secret-env",
            "MY_TOKEN",
        ],
        b"",
    )
    .ok();
    env.run(
        &[
            "add",
            "viacmd",
            "--owner",
            "p",
            "--repo",
            "r",
            "--no-expiry",
            "--secret-command",
            // Through sh -c, on Windows cmd /S /C.
            if cfg!(windows) {
                "echo github_pat_CMD"
            } else {
                "printf github_pat_CMD"
            },
        ],
        b"",
    )
    .ok();
    let out = env.run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n");
    // Issue 12 #15: refused with quit=1, so git stops instead of prompting.
    assert_eq!(out.stdout, "quit=1\n");
    assert_has(&out.stderr, "refused: the secret of token");
    assert_has(&out.stderr, "environment variable MY_TOKEN is not set");
    env.set("MY_TOKEN", "github_pat_ENV");
    assert!(env
        .run(&["get"], b"protocol=https\nhost=github.com\npath=o/r\n\n")
        .ok()
        .stdout
        .contains("password=github_pat_ENV\n"));
    assert!(env
        .run(&["get"], b"protocol=https\nhost=github.com\npath=p/r\n\n")
        .ok()
        .stdout
        .contains("password=github_pat_CMD\n"));
    let files = env.all_files();
    assert!(files
        .iter()
        .all(|(_, c)| !String::from_utf8_lossy(c).contains("github_pat_ENV")));
}

// "World-writable" is a unix mode bit; Windows has no such mode to set here.
#[cfg(unix)]
#[test]
fn a_world_writable_config_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = installer_env();
    std::fs::set_permissions(env.config_path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = env.fill("https://github.com/alta3/labs.git");
    assert_ne!(out.status, 0);
    assert_has(&out.stderr, "is writable by group or others");
    assert!(!out.stdout.contains(INSTALLER));
}

/// A gh-like program that prints the variables gh reads (values as their length only).
#[cfg(unix)]
fn gh_like(env: &Env) -> String {
    let path = env.tmp.path().join("gh");
    std::fs::write(
        &path,
        "#!/bin/sh\nfor v in GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN; do\n  eval \"val=\\${$v-}\"\n  printf '%s=%s\\n' \"$v\" \"${#val}\"\ndone\nprintf 'GH_HOST=%s\\n' \"${GH_HOST-unset}\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

/// gh reads GH_ENTERPRISE_TOKEN / GITHUB_ENTERPRISE_TOKEN (and GH_HOST) for an Enterprise
/// host, not GH_TOKEN: `exec` sets them there (issue 23), and only there.
#[cfg(unix)]
#[test]
fn exec_gives_gh_its_enterprise_variables_on_an_enterprise_host() {
    let mut env = Env::new().at(NOW);
    env.write_config("version = 1\n[[host]]\nname = \"ghe.example.com\"\n");
    let host = ["--host", "ghe.example.com"];
    let mut args = vec![
        "ghe",
        "--owner",
        "acme",
        "--repo",
        "infra",
        "--expires-in",
        "90d",
    ];
    args.extend_from_slice(&host);
    env.add(&args, INSTALLER).ok();
    env.add(
        &[
            "gh",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "90d",
        ],
        &INSTALLER.replace("INSTALLER", "GITHUBCOM"),
    )
    .ok();
    let gh = gh_like(&env);
    let len = INSTALLER.len();
    let out = env.run(
        &[
            "exec",
            "--repo",
            "acme/infra",
            "--host",
            "ghe.example.com",
            "--",
            &gh,
        ],
        b"",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("GH_TOKEN={len}\nGITHUB_TOKEN={len}\nGH_ENTERPRISE_TOKEN={len}\nGITHUB_ENTERPRISE_TOKEN={len}\nGH_HOST=ghe.example.com\n")
    );
    // A GH_HOST the user set is kept.
    env.set("GH_HOST", "other.example.com");
    let kept = env.run(
        &[
            "exec",
            "--repo",
            "acme/infra",
            "--host",
            "ghe.example.com",
            "--",
            &gh,
        ],
        b"",
    );
    assert_has(&kept.stdout, "GH_HOST=other.example.com");
    // github.com: the enterprise variables stay unset.
    let com = env.run(&["exec", "--repo", "alta3/labs", "--", &gh], b"");
    assert_has(
        &com.stdout,
        "GH_ENTERPRISE_TOKEN=0\nGITHUB_ENTERPRISE_TOKEN=0\n",
    );
}

/// Offline, a token for an owner that may be an organization, with no expiry or more than
/// 366 days, is warned about GitHub's default organization policy (issue 23).
#[test]
fn a_token_longer_than_the_default_organization_limit_is_warned_about() {
    let env = Env::new().at(NOW);
    let out = env.add(
        &[
            "forever",
            "--owner",
            "acme",
            "--repo",
            "infra",
            "--no-expiry",
        ],
        INSTALLER,
    );
    out.ok();
    assert_has(&out.stderr, "warning: token 'forever' has no expiry: if acme is an organization, GitHub's default policy refuses fine-grained tokens living longer than 366 days");
    let url = env.run(
        &["new-token-url", "--owner", "acme", "--expires-in", "none"],
        b"",
    );
    url.ok();
    assert_has(&url.stderr, "if acme is an organization, GitHub's default policy refuses fine-grained tokens living longer than 366 days");
    let fine = env.run(
        &["new-token-url", "--owner", "acme", "--expires-in", "90"],
        b"",
    );
    assert_lacks(&fine.stderr, "366");
    let short = env.add(
        &[
            "short",
            "--owner",
            "acme",
            "--repo",
            "labs",
            "--expires-in",
            "90d",
        ],
        &INSTALLER.replace("INSTALLER", "SHORTSHORT"),
    );
    assert_lacks(&short.stderr, "organization");
}
