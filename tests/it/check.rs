//! `check URL...` offline: each verdict, the exit codes, the JSON shape, agreement with what
//! `get` does for the same URL, that the keyring stays closed, and that git is asked whether it would ask the helper.

use crate::support::{assert_has, Env, DAY, NOW};

const ALTA3: &str =
    "github_pat_11CHECK00000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";
const OTHER: &str =
    "github_pat_11OTHER00000000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW";

fn env_with(tokens: &[(&str, &[&str])]) -> Env {
    let env = Env::new().at(NOW);
    env.use_http_path();
    for (secret, args) in tokens {
        env.add(args, secret).ok();
    }
    env
}

fn alta3() -> Env {
    env_with(&[(
        ALTA3,
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            "labs,demo",
            "--expires-in",
            "90d",
        ],
    )])
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_covered_repository_passes_with_the_token_named() {
    let env = alta3();
    let out = env.run(
        &[
            "check",
            "https://github.com/alta3/labs.git",
            "https://x-access-token@github.com/Alta3/demo",
        ],
        b"",
    );
    assert_eq!(
        out.ok().stdout,
        "ok        https://github.com/alta3/labs.git  token 'alta3' (contents=read, expires 2027-04-15, in 90 days)\n\
         ok        https://x-access-token@github.com/Alta3/demo  token 'alta3' (contents=read, expires 2027-04-15, in 90 days)\n"
    );
    assert_eq!(out.stderr, "");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn the_json_shape_is_stable() {
    let env = alta3();
    let out = env.run(
        &["check", "--json", "https://user:pw@github.com/alta3/labs"],
        b"",
    );
    assert_eq!(
        out.ok().stdout,
        concat!(
            r#"{"ok":true,"results":[{"url":"https://user@github.com/alta3/labs","host":"github.com","#,
            r#""repository":"alta3/labs","token":"alta3","verdict":"ok","serves":true,"#,
            r#""expires":"2027-04-15T00:00:00Z","days_left":90,"messages":[],"online":null}]}"#,
            "\n"
        )
    );
    assert!(
        !out.stdout.contains("pw"),
        "a password in a URL is never echoed"
    );
    let uncovered = env.run(&["check", "--json", "https://github.com/alta3/other"], b"");
    assert_eq!(uncovered.status, 1);
    assert!(
        uncovered.stdout.starts_with(r#"{"ok":false,"results":[{"url":"https://github.com/alta3/other","host":"github.com","repository":"alta3/other","token":null,"verdict":"uncovered","serves":false,"expires":null,"days_left":null,"messages":["no token covers alta3/other; tokens for alta3 cover: labs, demo","hint: if token 'alta3' was also given alta3/other on GitHub, run: git credential-scoped edit alta3 --add-repo other; otherwise create a token for it: git credential-scoped new-token-url --owner alta3 --repo other","hint: create a token for alta3/other at https://github.com/settings/personal-access-tokens/new?"#),
        "{}",
        uncovered.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn an_uncovered_repository_names_what_the_owner_tokens_cover_and_how_to_get_one() {
    let env = alta3();
    let out = env.run(&["check", "https://github.com/alta3/other"], b"");
    assert_eq!(out.status, 1);
    assert_eq!(
        out.stdout,
        "uncovered https://github.com/alta3/other: no token covers alta3/other; tokens for alta3 cover: labs, demo\n"
    );
    // Issue 17 #6: the reasons and hints go to stderr, the table to stdout.
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "git-credential-scoped: no token covers alta3/other; tokens for alta3 cover: labs, demo"
    );
    // Issue 14: GitHub lets a token be given another repository; `edit` follows it.
    assert_eq!(
        lines[1],
        "git-credential-scoped: hint: if token 'alta3' was also given alta3/other on GitHub, run: git credential-scoped edit alta3 --add-repo other; otherwise create a token for it: git credential-scoped new-token-url --owner alta3 --repo other"
    );
    assert!(lines[2].contains("target_name=alta3"), "{}", out.stdout);
    assert!(
        lines[2].contains("git credential-scoped add alta3-other --owner alta3 --repo other"),
        "{}",
        out.stdout
    );
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn expired_expiring_no_contents_and_no_write_verdicts() {
    let env = env_with(&[
        (
            ALTA3,
            &[
                "old", "--owner", "oldco", "--repo", "x", "--expires", "2026-12-01",
            ],
        ),
        (
            OTHER,
            &["soon", "--owner", "soonco", "--repo", "x", "--expires-in", "3d"],
        ),
        (
            "github_pat_11NOCONTENTS0000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
            &[
                "blind",
                "--owner",
                "nc",
                "--repo",
                "x",
                "--permission",
                "contents=none",
                "--no-expiry",
            ],
        ),
    ]);
    let check = |url: &str, extra: &[&str]| {
        let mut args = vec!["check", "--json"];
        args.extend_from_slice(extra);
        args.push(url);
        env.run(&args, b"")
    };
    let expired = check("https://github.com/oldco/x", &[]);
    assert_eq!(expired.status, 1);
    assert!(
        expired
            .stdout
            .contains(r#""verdict":"expired","serves":false"#),
        "{}",
        expired.stdout
    );
    assert_has(&expired.stdout, "git credential-scoped rotate old");
    let soon = check("https://github.com/soonco/x", &[]);
    assert_eq!(soon.status, 0, "an expiring token is still sent");
    assert_has(&soon.stdout, r#""verdict":"expiring","serves":true"#);
    assert_has(&soon.stdout, r#""days_left":3"#);
    let blind = check("https://github.com/nc/x", &[]);
    assert_eq!(blind.status, 1);
    assert_has(&blind.stdout, r#""verdict":"no-contents""#);
    let push = check("https://github.com/soonco/x", &["--write"]);
    assert_eq!(push.status, 1);
    assert_has(&push.stdout, r#""verdict":"no-write""#);
    let human = env.run(&["check", "https://github.com/oldco/x"], b"");
    assert!(
        human.stdout.starts_with(
            "refused   https://github.com/oldco/x  token 'old': expired 2026-12-01 (45 days ago)\n"
        ),
        "{}",
        human.stdout
    );
    let later = Env {
        now: Some(NOW + 2 * DAY),
        ..env
    };
    let out = later.run(&["check", "https://github.com/soonco/x"], b"");
    assert!(out.stdout.starts_with("expiring  "), "{}", out.stdout);
    assert_has(&out.stdout, "in 1 day");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_rejected_token_is_refused_like_get_refuses_it() {
    let env = alta3();
    env.run(
        &["erase"],
        format!("protocol=https\nhost=github.com\npath=alta3/labs.git\nusername=x\npassword={ALTA3}\n\n").as_bytes(),
    )
    .ok();
    let out = env.run(&["check", "--json", "https://github.com/alta3/demo"], b"");
    assert_eq!(out.status, 1);
    assert_has(&out.stdout, r#""verdict":"rejected""#);
    let fill = env.fill("https://github.com/alta3/demo");
    assert_ne!(fill.status, 0);
    assert_has(&fill.stderr, "refused to send token 'alta3'");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn not_github_insecure_and_pathless_urls() {
    let env = alta3();
    for (url, verdict) in [
        ("https://gitlab.com/alta3/labs", "not-github"),
        ("https://github.com.evil.test/alta3/labs", "not-github"),
        ("http://github.com/alta3/labs", "insecure-protocol"),
        ("https://github.com/alta3", "no-path"),
        ("https://github.com", "no-path"),
    ] {
        let out = env.run(&["check", "--json", url], b"");
        assert_eq!(out.status, 1, "{url}");
        assert!(
            out.stdout.contains(&format!(r#""verdict":"{verdict}""#)),
            "{url}: {}",
            out.stdout
        );
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn check_and_get_agree_on_every_url() {
    let env = env_with(&[
        (
            ALTA3,
            &[
                "alta3",
                "--owner",
                "alta3",
                "--repo",
                "labs",
                "--expires-in",
                "90d",
            ],
        ),
        (
            OTHER,
            &[
                "old",
                "--owner",
                "alta3",
                "--repo",
                "demo",
                "--expires",
                "2026-01-01",
            ],
        ),
    ]);
    for url in [
        "https://github.com/alta3/labs",
        "https://github.com/alta3/demo",
        "https://github.com/alta3/other",
        "https://github.com/acme/labs",
    ] {
        let check = env.run(&["check", url], b"");
        let fill = env.fill(url);
        assert_eq!(
            check.status == 0,
            fill.status == 0,
            "{url}\ncheck: {}\nfill: {}",
            check.stdout,
            fill.stderr
        );
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn exit_codes_for_a_mix_and_for_usage_errors() {
    let env = alta3();
    let mixed = env.run(
        &[
            "check",
            "https://github.com/alta3/labs",
            "https://github.com/alta3/nope",
        ],
        b"",
    );
    assert_eq!(mixed.status, 1);
    assert_eq!(
        mixed.stdout.lines().filter(|l| !l.starts_with(' ')).count(),
        2
    );
    let bad = env.run(&["check", "not a url"], b"");
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.starts_with("git-credential-scoped: "),
        "{}",
        bad.stderr
    );
    let ssh = env.run(&["check", "git@github.com:alta3/labs.git"], b"");
    assert_eq!(ssh.status, 2);
    assert_has(&ssh.stderr, "SSH remotes");
    let none = env.run(&["check"], b"");
    assert_eq!(none.status, 2);
    let help = env.run(&["check", "--help"], b"");
    assert!(help.ok().stdout.contains(r#""verdict""#), "{}", help.stdout);
}

// The unreachable keyring is Linux's (no session bus here); Keychain and Credential Manager are always there.
#[cfg(target_os = "linux")]
#[test]
fn offline_check_leaves_the_keyring_closed_and_doctor_says_it_is_unreachable() {
    // Issue 24 #2 (which undoes issue 17 #7's connection): offline check opens no secret
    // store — a keyring may ask to be unlocked, a secret command may stall. Whether the
    // store can be reached is doctor's finding (and check --online needs the secret).
    let env = Env::new().at(NOW);
    env.use_http_path();
    env.write_config(
        "version = 1\n[[token]]\nname = \"kr\"\nowner = \"alta3\"\nrepositories = [\"labs\"]\nexpires = \"2027-06-01\"\nsecret = \"keyring\"\n",
    );
    let out = env.run(&["check", "https://github.com/alta3/labs"], b"");
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("ok "), "{}", out.stdout);
    let doctor = env.run(&["doctor", "--json"], b"");
    assert_has(&doctor.stdout, r#""code":"keyring-unreachable""#);
    let get = env.run(
        &["get"],
        b"protocol=https\nhost=github.com\npath=alta3/labs\n\n",
    );
    assert_eq!(get.stdout, "quit=1\n");
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn a_stored_credential_for_an_uncovered_repository_counts_as_served_like_get() {
    let env = alta3();
    env.run(
        &["store"],
        b"protocol=https\nhost=github.com\npath=alta3/other\nusername=me\npassword=typed-at-a-prompt\n\n",
    )
    .ok();
    let out = env.run(&["check", "--json", "https://github.com/alta3/other"], b"");
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert_has(&out.stdout, r#""verdict":"uncovered","serves":true"#);
    assert!(!out.stdout.contains("typed-at-a-prompt"));
}

#[test]
fn new_token_url_prints_the_link_and_the_repositories_to_tick() {
    let env = Env::new();
    let out = env.run(
        &[
            "new-token-url",
            "--owner",
            "alta3",
            "--repo",
            "labs,demo",
            "--expires-in",
            "90",
        ],
        b"",
    );
    let lines: Vec<&str> = out.ok().stdout.lines().collect();
    assert_eq!(
        lines[0],
        "https://github.com/settings/personal-access-tokens/new?name=alta3&description=git-credential-scoped%3A%20labs%2C%20demo&target_name=alta3&expires_in=90&contents=read"
    );
    assert!(
        lines.contains(&"  alta3/labs") && lines.contains(&"  alta3/demo"),
        "{}",
        out.stdout
    );
    assert_has(&out.stdout, "git credential-scoped add alta3 --owner alta3 --repo labs,demo --permission contents=read --expires-in 90d --verify");
    let json = env.run(
        &[
            "new-token-url",
            "--owner",
            "alta3",
            "--name",
            "ci",
            "--expires-in",
            "none",
            "--permission",
            "contents=write",
            "--json",
        ],
        b"",
    );
    assert_eq!(
        json.ok().stdout,
        "{\"url\":\"https://github.com/settings/personal-access-tokens/new?name=ci&description=git-credential-scoped%3A%20all%20alta3%20repositories&target_name=alta3&expires_in=none&contents=write\",\"owner\":\"alta3\",\"repositories\":\"all\",\"name\":\"ci\",\"expires_in\":\"none\",\"add_command\":\"git credential-scoped add ci --owner alta3 --all-repos --permission contents=write --no-expiry --verify\"}\n"
    );
    let bad = env.run(
        &["new-token-url", "--owner", "alta3", "--expires-in", "400"],
        b"",
    );
    assert_eq!(bad.status, 2);
    assert_has(&bad.stderr, "366");
}
