//! `git-credential-scoped`: argv → a helper action or a management command → exit code.
//! Everything else lives in the library; see `lib.rs` for the map.
//!
//! git starts this program for every authenticated request, so start-up time is part of the
//! product. The C `main` below skips std's `lang_start`, whose set-up of a stack-overflow
//! guard for the main thread (it reads and parses /proc/self/maps) costs more instructions
//! than answering a request. std works the same without it (arguments come through glibc's
//! init array, macOS's `_NSGetArgv` and Windows' `GetCommandLineW`); what changes is that a
//! stack overflow ends in a plain SIGSEGV rather than a message, and SIGPIPE keeps its
//! default action, as in any C program. `process::exit` still flushes stdout.

#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    std::process::exit(git_credential_scoped::cli::main())
}
