//! `git-credential-scoped`: argv → a helper action or a management command → exit code.
//! Everything else lives in the library; see `lib.rs` for the map.

fn main() {
    std::process::exit(git_credential_scoped::cli::main());
}
