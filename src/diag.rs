//! The one way anything reaches stderr: lines prefixed `git-credential-scoped:` (so git's
//! user sees where they come from), one line each, written to the writer the caller was
//! given. A leaf: every layer may use it, it uses nothing.

use std::io::Write;

pub const PREFIX: &str = "git-credential-scoped: ";

/// Writes each line of `text` with the prefix. Errors writing to stderr are ignored: there
/// is nowhere left to report them.
pub fn say(diag: &mut impl Write, text: &str) {
    for line in text.lines() {
        let _ = writeln!(diag, "{PREFIX}{line}");
    }
}
