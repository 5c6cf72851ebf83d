//! A static-file HTTPS server on loopback, standing in for a GitHub release page: the
//! installer tests download archives and `SHA256SUMS` from it the way `install.sh` downloads
//! them from a release (`GET /NAME`, no authentication).
//!
//! It serves the plain files of one directory, by name only (no subdirectories), with the
//! same throw-away CA as [`crate::TestServer`] (certificate at [`FileServer::ca_cert_path`],
//! valid for `127.0.0.1` and `localhost`). [`FileServer::cut_short`] makes it announce a
//! file's full length but close the connection half-way, as a dropped download does.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

struct State {
    dir: PathBuf,
    tls: Arc<ServerConfig>,
    cut: Mutex<HashMap<String, usize>>,
    requests: Mutex<Vec<String>>,
    stopping: AtomicBool,
}

/// A running file server; dropping it stops it.
pub struct FileServer {
    port: u16,
    ca_cert_path: PathBuf,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileServer")
            .field("port", &self.port)
            .field("dir", &self.state.dir)
            .finish_non_exhaustive()
    }
}

impl FileServer {
    /// Serves the files of `dir` on `127.0.0.1:0`; the CA certificate is written to
    /// `dir/../ca-PORT.pem` (outside the served directory).
    pub fn start(dir: &Path) -> io::Result<FileServer> {
        let dir = std::path::absolute(dir)?;
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let tls = crate::tls::generate()?;
        let parent = dir.parent().unwrap_or(&dir);
        let ca_cert_path = parent.join(format!("ca-{port}.pem"));
        std::fs::write(&ca_cert_path, &tls.ca_pem)?;
        let state = Arc::new(State {
            dir,
            tls: tls.config,
            cut: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        let accept = std::thread::Builder::new()
            .name(format!("file-server-{port}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if shared.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let st = Arc::clone(&shared);
                    let _ = std::thread::Builder::new().spawn(move || serve(&st, stream));
                }
            })?;
        Ok(FileServer {
            port,
            ca_cert_path,
            state,
            accept: Some(accept),
        })
    }

    /// `https://localhost:PORT`, the base URL of the served directory.
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// PEM file of the CA certificate the server's certificate is signed by.
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }

    /// From now on, `name` is announced with its full length but only its first `bytes`
    /// bytes are sent before the connection is closed.
    pub fn cut_short(&self, name: &str, bytes: usize) {
        crate::lock(&self.state.cut).insert(name.to_string(), bytes);
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        crate::lock(&self.state.requests).clone()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        let _ =
            TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(conn) = ServerConnection::new(Arc::clone(&state.tls)) else {
        return;
    };
    let mut tls = StreamOwned::new(conn, stream);
    let Some(path) = request_path(&mut tls) else {
        return;
    };
    crate::lock(&state.requests).push(path.clone());
    let name = path.trim_start_matches('/');
    let body = (!name.is_empty() && !name.contains('/') && !name.starts_with('.'))
        .then(|| std::fs::read(state.dir.join(name)).ok())
        .flatten();
    let _ = match body {
        None => tls.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n",
        ),
        Some(body) => {
            let sent = crate::lock(&state.cut)
                .get(name)
                .copied()
                .unwrap_or(body.len());
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            tls.write_all(head.as_bytes())
                .and_then(|()| tls.write_all(&body[..sent.min(body.len())]))
        }
    };
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// The path of a `GET` request, its headers read and dropped; `None` for anything else.
fn request_path(tls: &mut StreamOwned<ServerConnection, TcpStream>) -> Option<String> {
    let mut reader = BufReader::new(tls);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?, words.next()?.to_string());
    loop {
        let mut header = String::new();
        let n = reader.read_line(&mut header).ok()?;
        if n == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    (method == "GET").then_some(path)
}
