//! `git-credential-scoped`: argv → a helper action or a management command → exit code.
//! Everything else lives in the library; see `lib.rs` for the map.
//!
//! A plain Rust `main`: std's start-up hands it the arguments on every platform and C
//! library (a C `main` relying on glibc's init array saw no arguments under musl).

fn main() {
    std::process::exit(git_credential_scoped::cli::main())
}
