//! `install.sh` installing a release: archives made by `scripts/release-archive.sh` and a
//! `SHA256SUMS` served over HTTPS from loopback (gh-test-server's [`FileServer`], its CA
//! handed to curl through `CURL_CA_BUNDLE`, as install.sh documents), with a `cargo` on PATH
//! that fails the test if it runs: the release path needs no Rust toolchain.
//!
//! A wrong sum, a tampered or cut-short archive, an archive with anything more than the
//! binary and the documents, and a failed attestation are each refused with the earlier
//! install left byte for byte as it was.

use crate::install::{build_command, checkout};
use crate::support::{assert_has, run_with_stdin, Env, Out, BIN};
use gh_test_server::FileServer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const NAME: &str = "git-credential-scoped";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The release target install.sh picks on this machine.
fn target() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "macos" => format!("{arch}-apple-darwin"),
        _ => format!("{arch}-unknown-linux-musl"),
    }
}

fn archive_name() -> String {
    format!("{NAME}-{VERSION}-{}.tar.gz", target())
}

/// The binary the archive holds: `GIT_CREDENTIAL_SCOPED_MUSL_BIN` when set (scripts/test.sh
/// sets it to the musl static-pie build), else this build's binary without its debug info.
fn release_binary(dir: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("GIT_CREDENTIAL_SCOPED_MUSL_BIN") {
        return PathBuf::from(p);
    }
    let copy = dir.join(NAME);
    std::fs::copy(BIN, &copy).unwrap();
    let _ = Command::new("strip").arg(&copy).status();
    copy
}

/// A genuine archive with its `.sha256`, made once by scripts/release-archive.sh.
fn genuine() -> &'static (Vec<u8>, String) {
    static ARCHIVE: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-archive");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bin = release_binary(&dir);
        let out = Command::new(checkout().join("scripts/release-archive.sh"))
            .arg(&bin)
            .arg(target())
            .arg(dir.join("dist"))
            .output()
            .expect("run scripts/release-archive.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(path.ends_with(&archive_name()), "{path}");
        let sum = std::fs::read_to_string(format!("{path}.sha256")).unwrap();
        (std::fs::read(&path).unwrap(), sum)
    })
}

struct Release {
    env: Env,
    server: FileServer,
    dist: PathBuf,
    prefix: PathBuf,
    tools: PathBuf,
}

impl Release {
    /// A server publishing the genuine archive and SHA256SUMS.
    fn new() -> Release {
        let mut env = Env::new();
        let dist = env.tmp.path().join("release/dist");
        std::fs::create_dir_all(&dist).unwrap();
        let server = FileServer::start(&dist).expect("file server");
        env.set("GIT_CREDENTIAL_SCOPED_RELEASE_URL", &server.base_url());
        env.set("CURL_CA_BUNDLE", &server.ca_cert_path().to_string_lossy());
        let tools = env.tmp.path().join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        let marker = env.tmp.path().join("cargo-ran");
        write_script(
            &tools.join("cargo"),
            &format!(
                "touch '{}'; echo 'cargo must not run' >&2; exit 99\n",
                marker.display()
            ),
        );
        let r = Release {
            prefix: env.tmp.path().join("prefix/bin"),
            env,
            server,
            dist,
            tools,
        };
        let (bytes, sum) = genuine();
        r.publish(bytes, sum);
        r
    }

    fn publish(&self, archive: &[u8], sums: &str) {
        std::fs::write(self.dist.join(archive_name()), archive).unwrap();
        std::fs::write(self.dist.join("SHA256SUMS"), sums).unwrap();
    }

    fn install(&self, args: &[&str]) -> Out {
        let script = checkout().join("install.sh");
        let mut c = build_command(&self.env, &script, Some(&self.tools));
        c.arg("--prefix").arg(&self.prefix).args(args);
        let out = run_with_stdin(c, b"");
        assert!(
            !self.env.tmp.path().join("cargo-ran").exists(),
            "install.sh ran cargo: {}{}",
            out.stdout,
            out.stderr
        );
        out
    }

    /// Every file of the install (prefix, HOME) with its bytes.
    fn installed(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut all = files(&self.prefix);
        all.extend(files(&self.env.home));
        all
    }

    /// A good install, then `tamper`'s publication refused with `why` and nothing changed.
    fn refused_after_good_install(&self, archive: &[u8], sums: &str, why: &str) {
        self.install(&[]).ok();
        let before = self.installed();
        assert!(before.iter().any(|(p, _)| p.ends_with(NAME)));
        self.publish(archive, sums);
        let out = self.install(&[]);
        assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
        assert_has(&out.stderr, why);
        assert_has(&out.stderr, "nothing was installed");
        assert!(!out.stdout.contains("building"), "{}", out.stdout);
        assert!(self.installed() == before, "the earlier install changed");
    }
}

/// A server publishing the genuine archive and its SHA256SUMS from `dir/release`.
pub fn serve_release(dir: &Path) -> FileServer {
    let dist = dir.join("release");
    std::fs::create_dir_all(&dist).unwrap();
    let (bytes, sum) = genuine();
    std::fs::write(dist.join(archive_name()), bytes).unwrap();
    std::fs::write(dist.join("SHA256SUMS"), sum).unwrap();
    FileServer::start(&dist).expect("file server")
}

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

fn sums_for(archive: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hash}  {}\n", archive_name())
}

#[test]
fn install_sh_installs_a_verified_release_over_https_without_a_toolchain() {
    let r = Release::new();
    let started = std::time::Instant::now();
    let out = r.install(&[]);
    let took = started.elapsed();
    eprintln!("install.sh from a release: {took:?}");
    out.ok();
    assert_has(&out.stdout, "SHA-256 verified");
    assert_has(
        &out.stdout,
        &format!("installed {}", r.prefix.join(NAME).display()),
    );
    assert_has(
        &out.stdout,
        "set up git-credential-scoped for https://github.com",
    );
    let mut v = r.env.command(&r.prefix.join(NAME).to_string_lossy());
    v.arg("--version");
    assert_eq!(run_with_stdin(v, b"").stdout, format!("{NAME} {VERSION}\n"));
    assert!(took.as_secs() < 10, "install.sh took {took:?}");
    let want = ["/SHA256SUMS".to_string(), format!("/{}", archive_name())];
    assert_eq!(r.server.requests(), want);

    // A second run downloads again and changes nothing.
    let again = r.install(&[]);
    again.ok();
    assert_has(&again.stdout, "nothing to do:");
}

#[test]
fn a_wrong_sum_is_refused_and_the_old_install_stays() {
    let r = Release::new();
    let (bytes, _) = genuine();
    let wrong = format!("{}  {}\n", "0".repeat(64), archive_name());
    r.refused_after_good_install(bytes, &wrong, "but SHA256SUMS says");
}

#[test]
fn a_tampered_archive_is_refused_and_the_old_install_stays() {
    let r = Release::new();
    let (bytes, sum) = genuine();
    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x55;
    r.refused_after_good_install(&tampered, sum, "refused");
}

#[test]
fn a_download_cut_short_is_refused_and_the_old_install_stays() {
    let r = Release::new();
    r.install(&[]).ok();
    let before = r.installed();
    r.server.cut_short(&archive_name(), genuine().0.len() / 3);
    let out = r.install(&[]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(
        &out.stderr,
        "failed or was cut short; nothing was installed",
    );
    assert!(r.installed() == before, "the earlier install changed");

    // Cut short with a sum that matches what arrived: no archive in it, still refused.
    let (bytes, _) = genuine();
    let half = &bytes[..bytes.len() / 2];
    r.publish(half, &sums_for(half));
    let out = r.install(&[]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stderr, "nothing was installed");
    assert!(r.installed() == before, "the earlier install changed");
}

/// An archive with the genuine files plus `extra` (a path under the top directory), as
/// tar would make it; `link` makes `extra` a symbolic link to the binary instead.
fn archive_with(extra: &str, link: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let unpacked = dir.path().join("u");
    std::fs::create_dir_all(&unpacked).unwrap();
    let src = dir.path().join("a.tar.gz");
    std::fs::write(&src, &genuine().0).unwrap();
    let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
    ok(Command::new("tar")
        .arg("-xzf")
        .arg(&src)
        .arg("-C")
        .arg(&unpacked));
    let top = format!("{NAME}-{VERSION}-{}", target());
    let path = unpacked.join(&top).join(extra);
    if link {
        std::os::unix::fs::symlink(NAME, &path).unwrap();
    } else {
        write_script(&path, "echo surprise\n");
    }
    let out = dir.path().join("b.tar.gz");
    ok(Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(&unpacked)
        .arg(&top));
    std::fs::read(out).unwrap()
}

#[test]
fn an_archive_holding_anything_unexpected_is_refused_and_the_old_install_stays() {
    let r = Release::new();
    let extra = archive_with("postinstall.sh", false);
    r.refused_after_good_install(&extra, &sums_for(&extra), "holds something else than");
    let r = Release::new();
    let link = archive_with("docs/GUIDE.md.link", true);
    r.refused_after_good_install(&link, &sums_for(&link), "holds something else than");
}

#[test]
fn no_release_for_this_version_falls_back_to_building_and_says_so() {
    // A SHA256SUMS without this platform's archive: install.sh goes on to build, which the
    // failing `cargo` stands in for (the build itself is install.rs's test).
    let r = Release::new();
    r.publish(
        b"",
        &format!("{}  {NAME}-{VERSION}-other.tar.gz\n", "1".repeat(64)),
    );
    let script = checkout().join("install.sh");
    let mut c = build_command(&r.env, &script, Some(&r.tools));
    c.arg("--prefix").arg(&r.prefix);
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, &format!("has no {}", archive_name()));
    assert_has(&out.stdout, "building from source instead");
    assert_has(&out.stderr, "cargo must not run");
    assert!(!r.prefix.join(NAME).exists());
}

#[test]
fn the_attestation_is_checked_with_gh_when_asked_and_a_failure_installs_nothing() {
    let r = Release::new();
    let log = r.env.tmp.path().join("gh.log");
    let gh = r.tools.join("gh");
    write_script(&gh, &format!("echo \"$@\" >>'{}'\nexit 1\n", log.display()));
    let out = r.install(&["--attestation"]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stderr, "gh attestation verify refused");
    assert!(!r.prefix.join(NAME).exists());
    let args = std::fs::read_to_string(&log).unwrap();
    assert_has(&args, "attestation verify ");
    assert_has(
        &args,
        &format!("{} --repo alta3/git-credential-scoped", archive_name()),
    );

    write_script(&gh, "exit 0\n");
    let out = r.install(&["--attestation"]);
    out.ok();
    assert_has(&out.stdout, "build provenance verified");
    assert!(r.prefix.join(NAME).is_file());
}

#[test]
fn from_source_downloads_nothing_and_builds() {
    // A release is there, but --from-source goes straight to cargo (the failing stand-in).
    let r = Release::new();
    let script = checkout().join("install.sh");
    let mut c = build_command(&r.env, &script, Some(&r.tools));
    c.arg("--prefix").arg(&r.prefix).arg("--from-source");
    let out = run_with_stdin(c, b"");
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert_has(&out.stdout, "building git-credential-scoped");
    assert_has(&out.stderr, "cargo must not run");
    assert!(r.server.requests().is_empty(), "{:?}", r.server.requests());
    assert!(!r.prefix.join(NAME).exists());
}
