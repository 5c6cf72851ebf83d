//! Running `git-http-backend` as a CGI program.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::http::{Request, Response};
use crate::Shared;

/// Longest time one backend run may take before it is killed.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(120);

/// Request headers that are never handed to the backend: credentials, and the framing
/// headers that CGI expresses differently (`CONTENT_TYPE`, `CONTENT_LENGTH`).
const NOT_FORWARDED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

/// Runs the backend for one request whose body has been read already.
pub(crate) fn run_backend(
    shared: &Shared,
    req: &Request,
    path_info: &str,
    remote_user: &str,
    body: Vec<u8>,
) -> Response {
    let mut cmd = Command::new(&shared.http_backend);
    shared.isolate(&mut cmd);
    cmd.env("GIT_PROJECT_ROOT", &shared.repos_dir)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("SERVER_SOFTWARE", "gh-test-server")
        .env("SERVER_NAME", "127.0.0.1")
        .env("SERVER_PORT", shared.port.to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", &req.method)
        .env("REQUEST_URI", &req.target)
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", &req.query)
        .env("AUTH_TYPE", "Basic")
        .env("REMOTE_USER", remote_user);
    if let Some(ct) = req.header("content-type") {
        cmd.env("CONTENT_TYPE", ct);
    }
    if req.method != "GET" && req.method != "HEAD" {
        cmd.env("CONTENT_LENGTH", body.len().to_string());
    }
    for (name, value) in &req.headers {
        let lower = name.to_ascii_lowercase();
        if NOT_FORWARDED.contains(&lower.as_str()) {
            continue;
        }
        let var = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
        cmd.env(var, value);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            shared.debug(&format!("cannot start git-http-backend: {e}"));
            return Response::text(500, "cannot start git-http-backend\n");
        }
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");

    // Feed the body and drain both outputs on their own threads so that no pipe can fill up
    // and block the backend.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
        // dropping stdin closes the pipe: EOF for the backend
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.by_ref().take(64 * 1024).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        buf
    });
    let (tx, rx) = mpsc::channel();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = stdout.read_to_end(&mut buf);
        let _ = tx.send(r.map(|_| buf));
    });

    let deadline = Instant::now() + BACKEND_TIMEOUT;
    let output = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(r) => break r.ok(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if shared.stopping.load(Ordering::SeqCst) || Instant::now() > deadline {
                    let _ = child.kill();
                    break None;
                }
            }
        }
    };
    let status = child.wait();
    let _ = writer.join();
    let _ = out_reader.join();
    let err = err_reader.join().unwrap_or_default();
    if !err.is_empty() {
        shared.debug(&format!(
            "git-http-backend stderr: {}",
            String::from_utf8_lossy(&err).trim_end()
        ));
    }
    let Some(output) = output else {
        return Response::text(503, "git-http-backend did not finish\n");
    };
    match parse_cgi_output(&output) {
        Some(resp) => resp,
        None => {
            shared.debug(&format!(
                "git-http-backend gave no valid CGI output (exit {:?})",
                status.ok().and_then(|s| s.code())
            ));
            Response::text(500, "git-http-backend failed\n")
        }
    }
}

/// Splits CGI output into a response: header lines up to an empty line (LF or CRLF),
/// `Status: NNN reason` setting the status, the rest being the body.
pub(crate) fn parse_cgi_output(out: &[u8]) -> Option<Response> {
    let mut pos = 0;
    let mut status = 200u16;
    let mut headers = Vec::new();
    loop {
        let nl = out[pos..].iter().position(|&b| b == b'\n')? + pos;
        let mut line = &out[pos..nl];
        pos = nl + 1;
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.is_empty() {
            break;
        }
        let line = std::str::from_utf8(line).ok()?;
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            status = value.get(..3)?.parse().ok()?;
        } else if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
            || name.eq_ignore_ascii_case("connection")
        {
            // recomputed by the server
        } else {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    Some(Response {
        status,
        headers,
        body: out[pos..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cgi_output() {
        let r = parse_cgi_output(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(
            r.headers,
            vec![("Content-Type".to_string(), "text/plain".to_string())]
        );
        assert_eq!(r.body, b"not found");
        let r = parse_cgi_output(b"Content-Type: x\n\n\x00\x01").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"\x00\x01");
        assert!(parse_cgi_output(b"no header end").is_none());
        assert!(parse_cgi_output(b"Status: xx\r\n\r\n").is_none());
    }
}
