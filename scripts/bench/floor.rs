// The Rust spawn floor: like floor.c, but it pays Rust's runtime start (std's stdio, the
// signal and stack-guard set-up), as git-credential-scoped does. Built with `rustc -O` by
// scripts/bench.sh, no cargo project.
use std::io::{Read, Write};

fn main() {
    let mut request = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut request);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(b"username=x-access-token\npassword=github_pat_floor\n");
}
