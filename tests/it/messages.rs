//! Issue 24 #15: what the program says when it refuses or hints, in the common situations
//! of a first hour: one line per message, at most about 100 characters of words before the
//! command or URL it gives, no line said twice, and at most two hints for one outcome.

use crate::support::{Env, NOW};

const TOKEN: &str = "github_pat_11MESSAGES00000000000_abcdefghijklmnopqrstuvwxyz0123456789AB";
const WORDS: usize = 110;

/// The words of a message line before the first command or URL it gives.
fn words(line: &str) -> &str {
    let body = line.strip_prefix("git-credential-scoped: ").unwrap_or(line);
    let cut = [
        "run: ",
        "https://",
        "http://",
        "git credential-scoped ",
        "`",
    ]
    .iter()
    .filter_map(|m| body.find(m))
    .min()
    .unwrap_or(body.len());
    &body[..cut]
}

fn judge(what: &str, stderr: &str, problems: &mut Vec<String>) {
    let lines: Vec<&str> = stderr.lines().collect();
    for l in &lines {
        if words(l).chars().count() > WORDS {
            problems.push(format!(
                "{what}: {} characters before the command: {l}",
                words(l).chars().count()
            ));
        }
        if lines.iter().filter(|m| *m == l).count() > 1 {
            problems.push(format!("{what}: said twice: {l}"));
        }
    }
    let hints = lines.iter().filter(|l| l.contains(": hint: ")).count();
    if hints > 2 {
        problems.push(format!("{what}: {hints} hints:\n{stderr}"));
    }
}

#[cfg_attr(wine, ignore = "needs git, which wine does not have")]
#[test]
fn refusals_and_hints_are_short_single_lines_said_once() {
    let mut env = Env::new().at(NOW);
    env.use_http_path();
    let add = |args: &[&str], s: &str| env.add(args, s);
    add(
        &[
            "alta3",
            "--owner",
            "alta3",
            "--repo",
            "labs",
            "--expires-in",
            "90d",
        ],
        TOKEN,
    )
    .ok();
    add(
        &[
            "old",
            "--owner",
            "old",
            "--repo",
            "r",
            "--expires",
            "2027-01-01",
        ],
        TOKEN,
    )
    .ok();
    add(
        &[
            "soon",
            "--owner",
            "soon",
            "--repo",
            "r",
            "--expires-in",
            "2d",
        ],
        TOKEN,
    )
    .ok();
    add(&["unk", "--owner", "unk", "--repo", "r"], TOKEN).ok();
    let get = |path: &str| format!("protocol=https\nhost=github.com\npath={path}\n\n");
    let mut problems = Vec::new();
    let mut cases: Vec<(String, crate::support::Out)> = vec![
        (
            "check uncovered".into(),
            env.run(&["check", "https://github.com/alta3/other"], b""),
        ),
        (
            "check expired".into(),
            env.run(&["check", "https://github.com/old/r"], b""),
        ),
        (
            "check expiring".into(),
            env.run(&["check", "https://github.com/soon/r"], b""),
        ),
        (
            "check no path".into(),
            env.run(&["check", "https://github.com/"], b""),
        ),
        (
            "check not github".into(),
            env.run(&["check", "https://ghe.example.com/o/r"], b""),
        ),
        ("check --all".into(), env.run(&["check", "--all"], b"")),
        (
            "get expired".into(),
            env.run(&["get"], get("old/r").as_bytes()),
        ),
        (
            "get uncovered".into(),
            env.run(&["get"], get("alta3/other").as_bytes()),
        ),
        (
            "add twice".into(),
            env.add(&["alta3", "--owner", "alta3", "--repo", "labs"], TOKEN),
        ),
        (
            "add undeclared".into(),
            env.add(
                &[
                    "x",
                    "--owner",
                    "o",
                    "--repo",
                    "r",
                    "--host",
                    "ghe.example.com",
                ],
                TOKEN,
            ),
        ),
        ("remove no tty".into(), env.run(&["remove", "alta3"], b"")),
        ("unknown command".into(), env.run(&["chek", "x"], b"")),
        ("token outside a checkout".into(), env.run(&["token"], b"")),
        ("show unknown".into(), env.run(&["show", "unk"], b"")),
        ("rotate nobody".into(), env.run(&["rotate", "nobody"], b"")),
    ];
    env.run(&["erase"], format!("protocol=https\nhost=github.com\npath=alta3/labs\nusername=x-access-token\npassword={TOKEN}\n\n").as_bytes());
    cases.push((
        "get rejected".into(),
        env.run(&["get"], get("alta3/labs").as_bytes()),
    ));
    cases.push((
        "check rejected".into(),
        env.run(&["check", "https://github.com/alta3/labs"], b""),
    ));
    // No helper for git: check's not-asked line.
    let bare = Env::new().at(NOW);
    bare.add(&["t", "--owner", "o", "--repo", "r"], TOKEN).ok();
    cases.push((
        "check not asked".into(),
        bare.run(&["check", "https://github.com/o/r"], b""),
    ));
    // No keyring.
    env.store = "keyring";
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    cases.push((
        "add no keyring".into(),
        env.add(&["k", "--owner", "k", "--repo", "r"], TOKEN),
    ));
    for (what, out) in &cases {
        judge(what, &out.stderr, &mut problems);
        judge(what, &out.stdout, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
