//! `install.sh` from a clean checkout into a temp HOME: the binary runs, git's config holds
//! exactly what `setup` writes, a second run changes no byte and says so, and `--uninstall`
//! takes all of it away again.
//!
//! The clean checkout is a copy of the files git would commit (tracked plus untracked, minus
//! ignored — `git ls-files`), without `target/` or anything else built. It lives at a fixed
//! place under cargo's target dir and is synced file by file (a file whose bytes did not
//! change keeps its mtime), and `install.sh` runs with `CARGO_TARGET_DIR` set to this
//! workspace's own target dir: a from-scratch release build costs minutes on 2 cores, this
//! way the dependencies are shared and the crate itself is rebuilt only when it changed.

use crate::support::{assert_has, run_with_stdin, Env, Out};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BIN_NAME: &str = "git-credential-scoped";
/// Where no release is: a loopback port nothing listens on.
const NO_RELEASE: &str = "https://127.0.0.1:9";

/// The workspace's target dir (the parent of `CARGO_TARGET_TMPDIR`).
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// The clean checkout, synced once per test run.
pub fn checkout() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-checkout");
        sync_checkout(Path::new(env!("CARGO_MANIFEST_DIR")), &dest);
        dest
    })
}

fn sync_checkout(src: &Path, dest: &Path) {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(src)
        .output()
        .expect("git ls-files in the workspace");
    assert!(listed.status.success(), "git ls-files failed");
    let mut wanted = std::collections::BTreeSet::new();
    for rel in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = PathBuf::from(String::from_utf8_lossy(rel).into_owned());
        // Build output of nested crates is not source (the root's target/ is ignored).
        if rel.components().any(|c| c.as_os_str() == "target") {
            continue;
        }
        let from = src.join(&rel);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let to = dest.join(&rel);
        let same = std::fs::read(&to).ok() == std::fs::read(&from).ok() && mode(&to) == mode(&from);
        if !same {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
        wanted.insert(to);
    }
    remove_unlisted(dest, &wanted);
}

fn mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).ok().map(|m| m.permissions().mode())
}

fn remove_unlisted(dir: &Path, wanted: &std::collections::BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            remove_unlisted(&p, wanted);
        } else if !wanted.contains(&p) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// A command for `program` in the hermetic env, able to build with cargo: cargo's own
/// directory on PATH (after `first_on_path`), the real CARGO_HOME/RUSTUP_HOME (HOME is a temp
/// dir), and CARGO_TARGET_DIR shared with this workspace.
pub fn build_command(env: &Env, program: &Path, first_on_path: Option<&Path>) -> Command {
    let mut c = env.command(&program.to_string_lossy());
    let cargo = Path::new(env!("CARGO"));
    let mut path = Vec::new();
    if let Some(p) = first_on_path {
        path.push(p.to_path_buf());
    }
    path.extend(cargo.parent().map(Path::to_path_buf));
    path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    c.env("PATH", std::env::join_paths(path).expect("PATH"));
    let real_home = std::env::var_os("HOME").map(PathBuf::from);
    for (var, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        let dir = std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| real_home.as_ref().map(|h| h.join(default)));
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            c.env(var, dir);
        }
    }
    if let Some(t) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        c.env("RUSTUP_TOOLCHAIN", t);
    }
    c.env("CARGO_TARGET_DIR", target_dir());
    c.env("CARGO_TERM_COLOR", "never");
    // install.sh looks for a release first: here none is reachable (nothing listens on
    // loopback's port 9), so it builds, unless a test serves one (release_install.rs).
    if !env
        .extra
        .iter()
        .any(|(k, _)| k == "GIT_CREDENTIAL_SCOPED_RELEASE_URL")
    {
        c.env("GIT_CREDENTIAL_SCOPED_RELEASE_URL", NO_RELEASE);
    }
    c.current_dir(checkout());
    c
}

fn install_sh(env: &Env, args: &[&str]) -> Out {
    let mut c = build_command(env, &checkout().join("install.sh"), None);
    c.args(args);
    run_with_stdin(c, b"")
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let mtime = e.metadata().ok().and_then(|m| m.modified().ok());
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default(), mtime));
            }
        }
    }
    out.sort();
    out
}

fn git_global(env: &Env, args: &[&str]) -> String {
    let mut c = env.command("git");
    c.args(["config", "--global"]).args(args);
    run_with_stdin(c, b"").stdout
}

#[test]
fn install_sh_installs_sets_up_git_is_idempotent_and_uninstalls_everything() {
    let env = Env::new();
    let prefix = env.tmp.path().join("prefix/bin");
    let prefix_arg = prefix.to_string_lossy().into_owned();
    let binary = prefix.join(BIN_NAME);
    let bash = env
        .home
        .join(".local/share/bash-completion/completions")
        .join(BIN_NAME);
    let man = env.home.join(".local/share/man/man1");

    let started = std::time::Instant::now();
    let first = install_sh(&env, &["--prefix", &prefix_arg]);
    eprintln!("install.sh, first run: {:?}", started.elapsed());
    first.ok();
    assert_has(
        &first.stdout,
        &format!("no release reachable at {NO_RELEASE}"),
    );
    assert_has(&first.stdout, "building from source instead");
    assert!(
        first
            .stdout
            .contains(&format!("installed {}", binary.display())),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("set up git-credential-scoped for https://github.com"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stderr
            .contains(&format!("{prefix_arg} is not on PATH")),
        "the prefix is not on PATH, so it warns: {}",
        first.stderr
    );

    let mut version = env.command(&binary.to_string_lossy());
    version.arg("--version");
    let v = run_with_stdin(version, b"");
    v.ok();
    assert_eq!(
        v.stdout,
        format!("{BIN_NAME} {}\n", env!("CARGO_PKG_VERSION"))
    );
    // The helper by absolute path of the installed binary (issue 13).
    let path = binary.display();
    assert_eq!(
        git_global(&env, &["--list"]),
        format!(
            "credential.https://github.com.helper=\n\
             credential.https://github.com.helper={path}\n\
             credential.https://github.com.usehttppath=true\n"
        )
    );
    assert_eq!(
        git_global(&env, &["--get-all", "credential.https://github.com.helper"]),
        format!("\n{path}\n")
    );
    assert_eq!(
        git_global(
            &env,
            &["--get-all", "credential.https://github.com.useHttpPath"]
        ),
        "true\n"
    );
    let completion = std::fs::read_to_string(&bash).unwrap_or_default();
    assert!(
        completion.contains("complete -F") && completion.contains(BIN_NAME),
        "{completion}"
    );
    let page = std::fs::read_to_string(man.join(format!("{BIN_NAME}.1"))).unwrap_or_default();
    assert!(page.contains(".TH git-credential-scoped"), "{page}");
    assert!(man.join(format!("{BIN_NAME}-setup.1")).is_file());

    let before = (
        snapshot(env.tmp.path()),
        std::fs::read(env.home.join(".gitconfig")).ok(),
    );
    let started = std::time::Instant::now();
    let second = install_sh(&env, &["--prefix", &prefix_arg]);
    eprintln!("install.sh, second run: {:?}", started.elapsed());
    second.ok();
    assert_has(&second.stdout, "nothing to do:");
    assert_has(&second.stdout, "already set up");
    assert!(
        !second.stdout.contains("installed /") && !second.stdout.contains("updated /"),
        "{}",
        second.stdout
    );
    let after = (
        snapshot(env.tmp.path()),
        std::fs::read(env.home.join(".gitconfig")).ok(),
    );
    assert!(before == after, "the second run changed files");

    let gone = install_sh(&env, &["--prefix", &prefix_arg, "--uninstall"]);
    gone.ok();
    assert_has(
        &gone.stdout,
        "removed git-credential-scoped for https://github.com",
    );
    assert_eq!(git_global(&env, &["--list"]), "");
    assert!(!binary.exists() && !bash.exists());
    let pages: Vec<_> = std::fs::read_dir(&man)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(pages.is_empty(), "{pages:?}");

    let again = install_sh(&env, &["--prefix", &prefix_arg, "--uninstall"]);
    again.ok();
    assert_has(&again.stdout, "nothing to do:");
}

#[test]
fn install_sh_help_usage_errors_and_missing_tools() {
    let env = Env::new();
    let help = install_sh(&env, &["--help"]);
    help.ok();
    for word in [
        "--prefix DIR",
        "--uninstall",
        "~/.local/bin",
        "never prompts",
        "--from-source",
        "--attestation",
        "GIT_CREDENTIAL_SCOPED_RELEASE_URL",
        "CURL_CA_BUNDLE",
        "SHA256SUMS",
    ] {
        assert!(help.stdout.contains(word), "{word}: {}", help.stdout);
    }
    let bad = install_sh(&env, &["--frobnicate"]);
    assert_eq!(bad.status, 2);
    assert_has(&bad.stderr, "unknown argument: --frobnicate");

    // A PATH with the basics but neither cargo nor git.
    let tools = env.tmp.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for t in ["dirname", "basename", "sed", "cat", "uname", "mktemp", "rm"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(t))
            .find(|p| p.exists());
        if let Some(p) = found {
            std::os::unix::fs::symlink(p, tools.join(t)).unwrap();
        }
    }
    let mut c = build_command(&env, &checkout().join("install.sh"), None);
    c.env("PATH", &tools);
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 1);
    assert_has(&out.stderr, "git is not installed");

    std::os::unix::fs::symlink(which("git").expect("git on PATH"), tools.join("git")).unwrap();
    let mut c = build_command(&env, &checkout().join("install.sh"), None);
    c.env("PATH", &tools);
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 1);
    assert_has(&out.stderr, "cargo is not installed");
    assert!(!env.home.join(".gitconfig").exists(), "nothing was set up");
}

fn which(program: &str) -> Option<PathBuf> {
    ["/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(program))
        .find(|p| p.exists())
}

#[test]
fn install_sh_and_the_scripts_are_shellcheck_clean() {
    let Some(shellcheck) = which("shellcheck") else {
        crate::support::prerequisite("shellcheck (Debian: apt-get install shellcheck)", false);
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scripts = vec![root.join("install.sh"), root.join(".ci/run")];
    for entry in std::fs::read_dir(root.join("scripts")).expect("read scripts/") {
        let path = entry.expect("list scripts/").path();
        if path.extension().is_some_and(|e| e == "sh") {
            scripts.push(path);
        }
    }
    assert!(scripts.len() > 10, "{scripts:?}");
    // -x: follow the `. scripts/lib/common.sh` lines; run from the root, as their
    // `# shellcheck source=` paths are written.
    let out = Command::new(shellcheck)
        .arg("-x")
        .args(&scripts)
        .current_dir(root)
        .output()
        .expect("run shellcheck");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A copy of the binary installed in `PREFIX` (as install.sh would), set up for github.com,
/// an enterprise host and cargo.
fn installed_and_set_up(env: &mut Env) -> (PathBuf, PathBuf) {
    let prefix = env.tmp.path().join("prefix");
    std::fs::create_dir_all(&prefix).unwrap();
    let bin = prefix.join(BIN_NAME);
    std::fs::copy(crate::support::BIN, &bin).unwrap();
    let cargo_home = env.tmp.path().join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    env.set("CARGO_HOME", &cargo_home.to_string_lossy());
    for args in [
        &["setup"][..],
        &["setup", "--host", "ghe.example.com"],
        &["setup", "--cargo"],
    ] {
        let mut c = env.command(&bin.to_string_lossy());
        c.args(args);
        run_with_stdin(c, b"").ok();
    }
    (prefix, cargo_home.join("config.toml"))
}

fn uninstall_sh(env: &Env, prefix: &Path) -> Out {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let mut c = env.command(&script.to_string_lossy());
    c.arg("--prefix").arg(prefix).arg("--uninstall");
    run_with_stdin(c, b"")
}

#[test]
fn uninstall_sh_takes_back_every_host_and_cargo_and_names_no_deleted_program() {
    // Issue 24 #7: --uninstall undid github.com only, and its last hint named the program
    // it had just deleted.
    let mut env = Env::new();
    let (prefix, cargo_file) = installed_and_set_up(&mut env);
    assert!(cargo_file.is_file());
    let out = uninstall_sh(&env, &prefix);
    out.ok();
    assert_has(
        &out.stdout,
        "removed git-credential-scoped for https://ghe.example.com",
    );
    assert_has(&out.stdout, "removed setup's change to cargo");
    assert_eq!(git_global(&env, &["--list"]), "");
    assert!(!cargo_file.exists() && !prefix.join(BIN_NAME).exists());
    let last = out.stdout.lines().last().unwrap_or("");
    assert_has(last, "uninstalled (");
    assert!(!last.contains("credential-scoped "), "{last}");
}

#[test]
fn uninstall_sh_without_the_binary_prints_commands_that_remove_what_setup_wrote() {
    // Issue 24 #7: the printed pattern ('^(scoped)?$') no longer matched the absolute path
    // setup writes.
    let mut env = Env::new();
    let (prefix, _) = installed_and_set_up(&mut env);
    std::fs::remove_file(prefix.join(BIN_NAME)).unwrap();
    let out = uninstall_sh(&env, &prefix);
    out.ok();
    let commands: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| l.starts_with("git config"))
        .collect();
    assert_eq!(commands.len(), 3, "{}", out.stderr);
    let run = |cmd: &str| {
        let mut c = env.command("sh");
        c.args(["-c", cmd]);
        run_with_stdin(c, b"")
    };
    let listed = run(commands[0]);
    assert_has(&listed.ok().stdout, "credential.https://github.com.helper ");
    assert_has(&listed.stdout, "credential.https://ghe.example.com.helper ");
    for cmd in &commands[1..] {
        run(cmd).ok();
    }
    assert_eq!(
        git_global(&env, &["--get-regexp", "^credential.https://github.com"]),
        ""
    );
}

#[test]
fn install_sh_help_shows_what_setup_writes_and_a_true_path_warning() {
    // Issue 24 #11: the help showed `helper = scoped`; setup writes the absolute path.
    let env = Env::new();
    let help = install_sh(&env, &["--help"]);
    help.ok();
    assert_has(
        &help.stdout,
        "\"DIR/git-credential-scoped\" (its absolute path)",
    );
    assert!(!help.stdout.contains("\"scoped\""), "{}", help.stdout);
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh")).unwrap();
    assert!(
        !script.contains("so git cannot find"),
        "the PATH warning says git cannot find it"
    );
}
