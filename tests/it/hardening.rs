//! Issue 21's hardening, checked on what is shipped: the binary `scripts/build-release.sh`
//! builds and `install.sh` installs is position-independent (a PIE or static-pie) with full
//! RELRO and a non-executable stack (read with `readelf`), and a process that reads a secret
//! writes no core file (src/harden.rs).
//!
//! The release build is the one `install.rs` makes too: the same clean checkout and target
//! dir, so whichever test comes second finds it built. The ELF checks are Linux's: macOS
//! links Mach-O executables, position-independent by default.

#[cfg(target_os = "linux")]
use crate::install::{build_command, checkout};
use crate::support::{run_with_stdin, Env};
#[cfg(target_os = "linux")]
use std::path::{Path, PathBuf};

#[cfg(target_os = "linux")]
/// `readelf` with `args` on `bin`, or None when readelf is not installed (then the test
/// fails under CI and says so otherwise).
fn readelf(args: &[&str], bin: &Path) -> Option<String> {
    let out = std::process::Command::new("readelf")
        .args(args)
        .arg(bin)
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    assert!(out.status.success(), "readelf {args:?} {}", bin.display());
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(target_os = "linux")]
/// What is wrong with `bin`'s hardening, one line each; empty when nothing is. None when
/// readelf is not installed.
fn hardening_faults(bin: &Path) -> Option<Vec<String>> {
    let header = readelf(&["-h", "-W"], bin)?;
    let program = readelf(&["-l", "-W"], bin)?;
    let dynamic = readelf(&["-d", "-W"], bin)?;
    let mut faults = Vec::new();
    let kind = header
        .lines()
        .find_map(|l| l.trim().strip_prefix("Type:"))
        .unwrap_or("")
        .trim()
        .to_string();
    if !kind.starts_with("DYN") {
        faults.push(format!("ELF type {kind:?}, not DYN (PIE or static-pie)"));
    }
    let now = dynamic.lines().any(|l| {
        (l.contains("(FLAGS)") && l.contains("BIND_NOW"))
            || (l.contains("(FLAGS_1)") && l.split_whitespace().any(|w| w == "NOW"))
            || l.contains("(BIND_NOW)")
    });
    if !now {
        faults.push("no BIND_NOW / FLAGS_1 NOW in the dynamic section".into());
    }
    let segment = |name: &str| program.lines().find(|l| l.trim_start().starts_with(name));
    if segment("GNU_RELRO").is_none() {
        faults.push("no GNU_RELRO segment".into());
    }
    match segment("GNU_STACK") {
        None => faults.push("no GNU_STACK segment (the stack would be executable)".into()),
        Some(line) => {
            // Type, offset, two addresses, two sizes, then the flags (R, W, E), then the
            // alignment.
            let words: Vec<&str> = line.split_whitespace().collect();
            let flags = words.get(6..words.len().saturating_sub(1)).unwrap_or(&[]);
            if flags.iter().any(|w| w.contains('E')) {
                faults.push(format!("GNU_STACK is executable: {}", line.trim()));
            }
        }
    }
    Some(faults)
}

#[cfg(target_os = "linux")]
fn assert_hardened(bin: &Path) {
    let Some(faults) = hardening_faults(bin) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "readelf is not installed (Debian: apt-get install binutils)"
        );
        eprintln!("readelf is not installed (Debian: apt-get install binutils); skipped");
        return;
    };
    assert!(faults.is_empty(), "{}: {faults:#?}", bin.display());
}

#[cfg(target_os = "linux")]
#[test]
fn the_release_binary_and_the_installed_one_are_pie_with_full_relro_and_no_exec_stack() {
    let env = Env::new();
    // The build install.sh runs, by the same script in the same checkout.
    let built = run_with_stdin(
        build_command(&env, &checkout().join("scripts/build-release.sh"), None),
        b"",
    );
    let built = PathBuf::from(built.ok().stdout.trim_end());
    assert_hardened(&built);

    let prefix = env.tmp.path().join("prefix/bin");
    let mut install = build_command(&env, &checkout().join("install.sh"), None);
    install.args(["--prefix", &prefix.to_string_lossy()]);
    run_with_stdin(install, b"").ok();
    assert_hardened(&prefix.join("git-credential-scoped"));
}

#[cfg(target_os = "linux")]
#[test]
fn the_checks_find_a_fixed_address_executable() {
    // A program linked at a fixed address, with lazy binding, no RELRO and an executable
    // stack: the checks name all four faults, so they are not vacuous.
    let env = Env::new();
    let src = env.tmp.path().join("fixed.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let out = env.tmp.path().join("fixed");
    let cc = std::process::Command::new("cc")
        .args(["-no-pie", "-Wl,-z,lazy,-z,norelro,-z,execstack", "-o"])
        .arg(&out)
        .arg(&src)
        .output();
    if !cc.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var_os("CI").is_none(), "cc could not link");
        eprintln!("no C compiler to link a fixed-address program; skipped");
        return;
    }
    let Some(faults) = hardening_faults(&out) else {
        assert!(std::env::var_os("CI").is_none(), "readelf is not installed");
        return;
    };
    let text = faults.join("\n");
    for fault in ["not DYN", "BIND_NOW", "GNU_RELRO", "executable"] {
        assert!(text.contains(fault), "{fault}: {text}");
    }
}

/// A `secret_command` that records the core-file limit it inherited from the process that
/// reads the secret.
#[test]
fn the_process_that_reads_a_secret_writes_no_core_file() {
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the one struct passed.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut hard) }, 0);
    if hard.rlim_max == 0 {
        // Core files cannot be allowed here, so the limit the helper sets would not show.
        assert!(std::env::var_os("CI").is_none(), "the hard core limit is 0");
        eprintln!("the hard core-file limit is 0 here; skipped");
        return;
    }
    let env = Env::new();
    let seen = env.tmp.path().join("core-limit");
    let command = format!("ulimit -c >'{}'; printf github_pat_CMD", seen.display());
    env.run(
        &[
            "add",
            "viacmd",
            "--owner",
            "o",
            "--repo",
            "r",
            "--no-expiry",
            "--secret-command",
            &command,
        ],
        b"",
    )
    .ok();
    // Started with core files allowed (raised to the hard limit), as a user's shell may do.
    let mut get = env.command(crate::support::BIN);
    get.arg("get");
    // SAFETY: pre_exec runs in the forked child before exec; setrlimit is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        get.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
    let out = run_with_stdin(get, b"protocol=https\nhost=github.com\npath=o/r\n\n");
    assert!(out.ok().stdout.contains("password=github_pat_CMD\n"));
    let limit = std::fs::read_to_string(&seen).expect("the secret command ran");
    assert_eq!(limit.trim(), "0", "the core limit the secret command saw");
}

/// main.rs gives SIGPIPE back its default action: output into a closed pipe (`list | head`)
/// ends the program quietly, as it ends a C program, rather than with an error message.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut c = env.command(crate::support::BIN);
    c.args(["completions", "bash"])
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    let out = c.output().expect("run the binary");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
