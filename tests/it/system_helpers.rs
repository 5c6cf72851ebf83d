//! The helpers that git installers set system-wide: Git for Windows writes
//! `credential.helper = manager` into its system gitconfig, and Apple's git (Xcode) ships
//! `credential.helper = osxkeychain` in its own. `setup` writes only the global config; its
//! empty `helper =` for https://github.com resets the list git has collected so far, system
//! entries included (git reads system, global, local in that order and runs `credential.*`
//! matches in order of appearance), so after setup neither helper is asked for — or handed —
//! a github.com token, while both still serve every other host. Real git decides here; the
//! two helpers are scripts that log how git called them.

use crate::support::{assert_has, run_with_stdin, Env, Out, BIN};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SYSTEM: &str = "[credential]\n\thelper = osxkeychain\n\thelper = manager\n";
const TOKEN: &str = "github_pat_11SYSTEMHELPERS000000_abcdefghijklmnopqrstuvwxyz0123456789ABCD";

struct World {
    env: Env,
    log: PathBuf,
    system: PathBuf,
}

fn world() -> World {
    let mut env = Env::new();
    let tools = env.tmp.path().join("tools");
    let log = env.tmp.path().join("helpers.log");
    std::fs::create_dir_all(&tools).unwrap();
    for name in ["osxkeychain", "manager"] {
        let path = tools.join(format!("git-credential-{name}"));
        // Answers nothing, like a helper that has no credential for the host.
        let script = format!(
            "#!/bin/sh\necho \"{name} $1\" >>'{}'\ncat >/dev/null\n",
            log.display()
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let system = env.tmp.path().join("etc/gitconfig");
    std::fs::create_dir_all(system.parent().unwrap()).unwrap();
    std::fs::write(&system, SYSTEM).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    env.set(
        "PATH",
        &format!(
            "{}:{}:/usr/local/bin:/usr/bin:/bin",
            tools.display(),
            bin_dir.display()
        ),
    );
    env.set("GIT_CONFIG_NOSYSTEM", "0");
    env.set("GIT_CONFIG_SYSTEM", &system.to_string_lossy());
    World { env, log, system }
}

impl World {
    fn git(&self, args: &[&str], stdin: &str) -> Out {
        let mut c = self.env.command("git");
        c.args(args);
        run_with_stdin(c, stdin.as_bytes())
    }

    /// How git called the two system helpers since the last call.
    fn calls(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        text
    }
}

#[test]
fn setup_resets_the_system_helpers_of_git_for_windows_and_xcode_for_github_only() {
    let w = world();
    // Before: git asks both system helpers for github.com.
    let out = w.git(
        &["credential", "fill"],
        "url=https://github.com/o/r.git\n\n",
    );
    assert_ne!(out.status, 0, "nobody has a credential yet");
    assert_eq!(w.calls(), "osxkeychain get\nmanager get\n");

    let setup = w.env.run(&["setup"], b"");
    setup.ok();
    assert_has(&setup.stdout, "osxkeychain");
    assert_has(&setup.stdout, "manager");
    assert_eq!(
        std::fs::read_to_string(&w.system).unwrap(),
        SYSTEM,
        "the system file is untouched"
    );
    w.env
        .add(&["t", "--owner", "o", "--repo", "r", "--no-expiry"], TOKEN)
        .ok();

    // After: github.com is ours alone, for get and for the store git runs after a success.
    let out = w.git(
        &["credential", "fill"],
        "url=https://github.com/o/r.git\n\n",
    );
    assert_has(&out.ok().stdout, &format!("password={TOKEN}\n"));
    w.git(&["credential", "approve"], &out.stdout).ok();
    w.git(&["credential", "reject"], &out.stdout).ok();
    assert_eq!(w.calls(), "", "no system helper saw a github.com request");

    // Every other host still goes to them.
    let out = w.git(&["credential", "fill"], "url=https://example.com/x.git\n\n");
    assert_ne!(out.status, 0);
    assert_eq!(w.calls(), "osxkeychain get\nmanager get\n");
}
