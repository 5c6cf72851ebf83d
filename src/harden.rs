//! Process hardening, done first in every invocation: a process that may hold a token does
//! not leave it in a core file, as ssh-agent does for its keys.
//!
//! - Every Unix: the soft `RLIMIT_CORE` is set to 0, so a crash writes no core file. The hard
//!   limit stays, so a command this process starts (a `secret_command`, git) may raise it
//!   again; it inherits 0 otherwise.
//! - Linux, in addition: `prctl(PR_SET_DUMPABLE, 0)`. The kernel then writes no core even
//!   through a `core_pattern` pipe that ignores the limit, and other processes of the same
//!   user can no longer attach a debugger or read `/proc/PID/mem` and `environ`. An `exec`
//!   makes the new program dumpable again, so the commands this process starts are unaffected.
//! - Windows: nothing. A crash dump there is written by Windows Error Reporting when the
//!   machine's settings ask for it (`LocalDumps`), not by a per-process switch a program
//!   sets for itself; the program does not change them.
//!
//! This costs three system calls, about 5 µs on a loaded 2-core machine where a `get` takes
//! 1 ms. Failing them changes nothing of what the program answers, so their results are not
//! checked: a sandbox that refuses `prctl` must not turn a `get` into an error.

/// Keeps this process's memory out of core files (and, on Linux, away from debuggers of the
/// same user). Called by `main` before anything is read.
pub fn no_core_dumps() {
    #[cfg(unix)]
    limit_core_to_zero();
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_DUMPABLE takes one integer argument and touches no memory of
    // this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0 as libc::c_ulong);
    }
}

#[cfg(unix)]
fn limit_core_to_zero() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read or write the one struct passed, which lives on
    // this stack for the duration of each call.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_CORE, &mut limit) != 0 {
            limit.rlim_max = 0;
        }
        limit.rlim_cur = 0;
        libc::setrlimit(libc::RLIMIT_CORE, &limit);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::process::Command;

    /// The test binary runs itself again for this one test with this variable set, so the
    /// process that turns dumping off is a fresh one and not the test harness.
    const CHILD: &str = "GIT_CREDENTIAL_SCOPED_HARDEN_CHILD";

    #[test]
    fn a_hardened_process_writes_no_core_and_is_not_dumpable() {
        if std::env::var_os(CHILD).is_some() {
            return in_the_child();
        }
        let exe = std::env::current_exe().expect("the test binary's path");
        let out = Command::new(exe)
            .args([
                "--exact",
                "harden::tests::a_hardened_process_writes_no_core_and_is_not_dumpable",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("run the test binary again");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "the child ran the test: {text}");
    }

    /// Core files allowed first (up to the hard limit, as a user's shell may do), then
    /// hardened: the soft limit is 0, the hard one kept, and on Linux the process is not
    /// dumpable.
    fn in_the_child() {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit read or write the one struct passed.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_CORE, &mut limit), 0);
            assert_ne!(
                limit.rlim_max, 0,
                "the hard core limit is 0: nothing to show"
            );
            limit.rlim_cur = limit.rlim_max;
            assert_eq!(libc::setrlimit(libc::RLIMIT_CORE, &limit), 0);
        }
        super::no_core_dumps();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!(limit.rlim_cur, 0, "the soft core limit");
        assert_ne!(limit.rlim_max, 0, "the hard limit stays");
        #[cfg(target_os = "linux")]
        // SAFETY: PR_GET_DUMPABLE takes no argument and returns the flag.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE) }, 0);
    }
}
