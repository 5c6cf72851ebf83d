//! The loopback GitHub of `scripts/bench.sh`'s clone row:
//! `bench_server ROOT OWNER REPO...` with the token's secret on the first line of stdin.
//!
//! Serves the given repositories of OWNER (created under ROOT/repos) to one token with
//! `contents: read` on all of OWNER's repositories, then prints `port=PORT`, `ca=PATH` and
//! `ready` on stdout, one per line, and serves until stdin reaches end of file (the bench
//! closes it, or dies). The secret comes on stdin, not as an argument, so it never shows in
//! the process list.

use std::io::{BufRead, Read, Write};

use gh_test_server::{TestServer, TokenSpec};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(root), Some(owner)) = (args.first(), args.get(1)) else {
        eprintln!("usage: bench_server ROOT OWNER REPO... (the token's secret on stdin)");
        std::process::exit(2);
    };
    let mut stdin = std::io::stdin().lock();
    let mut secret = String::new();
    stdin.read_line(&mut secret)?;
    let secret = secret.trim();
    if secret.is_empty() {
        eprintln!("bench_server: no secret on stdin");
        std::process::exit(2);
    }
    let server = TestServer::start(
        std::path::Path::new(root),
        vec![TokenSpec::new("bench", secret, owner)],
    )?;
    for repo in &args[2..] {
        server.create_repo(owner, repo)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "port={}", server.port())?;
    writeln!(out, "ca={}", server.ca_cert_path().display())?;
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    // Serve until the other end of stdin goes away.
    let mut sink = [0u8; 256];
    while stdin.read(&mut sink)? > 0 {}
    drop(server);
    Ok(())
}
