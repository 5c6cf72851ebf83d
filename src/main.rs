//! `git-credential-scoped`: argv → a helper action or a management command → exit code.
//! Everything else lives in the library; see `lib.rs` for the map.
//!
//! A plain Rust `main`. A C `main` that skipped std's start-up (the main thread's stack
//! guard reads /proc/self/maps; a handler and an alternate stack for stack overflows) was
//! measured against it, the same static-pie build otherwise, `git credential fill` through
//! `setup`'s configuration at 50 tokens: it saved 1.1% and 0.1% of the fill's wall time in
//! two runs of 1,500 interleaved rounds (paired medians; CPU time 1.2% and -0.5%; 4% of the
//! fill's user-space instructions, callgrind), under the 3% that would pay for a C `main`,
//! which under musl sees no arguments at all (issue 25).
//!
//! First the process is hardened (no core file of a process that may hold a token:
//! [`git_credential_scoped::harden`]); on unix SIGPIPE gets back its default action, as in a
//! C program: `list | head` ends quietly instead of reporting a broken pipe.

fn main() {
    git_credential_scoped::harden::no_core_dumps();
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_DFL before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(git_credential_scoped::cli::main())
}
