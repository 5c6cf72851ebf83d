//! Starts a server by hand for experiments:
//! `cargo run -p gh-test-server --example serve -- [SECONDS]` (default 120; from the
//! workspace root, which has no example of that name).
//!
//! It serves `alta3/labs`, `alta3/demo` and `other/labs` to two tokens, `read` (secret
//! `github_pat_example_read`, contents read, all of alta3's repositories, expiring) and `write`
//! (secret `github_pat_example_write`, contents write, alta3/labs only), and prints the
//! environment a git client needs.

use gh_test_server::{Contents, TestServer, TokenSpec};

fn main() -> std::io::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let root = std::env::temp_dir().join(format!("gh-test-server-example-{}", std::process::id()));
    let mut read = TokenSpec::new("read", "github_pat_example_read", "alta3");
    read.expiration_header = Some("2026-12-31 12:00:00 UTC".into());
    let mut write = TokenSpec::new("write", "github_pat_example_write", "alta3");
    write.contents = Contents::Write;
    write.repos = Some(vec!["labs".into()]);
    let server = TestServer::start(&root, vec![read, write])?;
    for (o, r) in [("alta3", "labs"), ("alta3", "demo"), ("other", "labs")] {
        server.create_repo(o, r)?;
    }
    println!("root:     {}", root.display());
    println!("clone:    {}", server.url("alta3", "labs"));
    println!("api:      {}", server.api_base());
    println!(
        "CA:       export GIT_SSL_CAINFO={}",
        server.ca_cert_path().display()
    );
    println!("try:      git -c credential.helper= -c 'credential.helper=!f() {{ echo username=x; echo password=github_pat_example_read; }}; f' clone {} /tmp/labs", server.url("alta3", "labs"));
    println!("serving for {seconds} s (GH_TEST_SERVER_DEBUG=1 logs each request)");
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    for e in server.log() {
        println!("{} {} {:?} {}", e.method, e.path, e.token, e.status);
    }
    drop(server);
    std::fs::remove_dir_all(&root)
}
