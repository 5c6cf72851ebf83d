//! A small, strict HTTP/1.1 server side: request heads, Content-Length and chunked bodies,
//! `Expect: 100-continue`, keep-alive, and responses that always carry Content-Length.

use std::io::{self, BufRead, Read, Write};

/// Longest request line or header line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Most header fields accepted in one request.
const MAX_HEADERS: usize = 100;
/// Largest request body accepted (after chunked decoding).
pub(crate) const MAX_BODY: u64 = 256 * 1024 * 1024;

/// How the request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// The request target exactly as sent (path plus `?query`).
    pub(crate) target: String,
    /// The percent-decoded path.
    pub(crate) path: String,
    /// The raw query string (without `?`), empty when absent.
    pub(crate) query: String,
    /// Header fields in order, names as sent.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) framing: Framing,
    pub(crate) expect_continue: bool,
    /// The client wants the connection closed after this response (HTTP/1.0 or
    /// `Connection: close`).
    pub(crate) close: bool,
}

impl Request {
    /// First value of a header, by case-insensitive name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed or the socket failed: nothing can be answered.
    Io,
    /// The request is malformed: answer with this status and close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// Reads one line (up to LF) of at most `MAX_LINE` bytes, without the CRLF/LF.
/// `Ok(None)` on a clean EOF before any byte.
fn read_line<R: BufRead>(r: &mut R) -> Result<Option<Vec<u8>>, ReadError> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        if buf.len() > MAX_LINE {
            return Err(ReadError::Bad(431, "line too long"));
        }
        return Err(ReadError::Io); // EOF in the middle of a line
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(buf))
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    if s.chars().any(|c| c.is_control()) {
        return None;
    }
    Some(s)
}

/// Reads a request head. `Ok(None)` when the client closed the connection between requests.
pub(crate) fn read_head<R: BufRead>(r: &mut R) -> Result<Option<Request>, ReadError> {
    // Ignore empty lines before the request line (RFC 9112 §2.2).
    let line = loop {
        match read_line(r)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "request line"))?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(ReadError::Bad(400, "request line")),
    };
    if method.is_empty() || !method.bytes().all(is_token_char) {
        return Err(ReadError::Bad(400, "method"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(ReadError::Bad(400, "version")),
    };
    if !target.starts_with('/') || target.bytes().any(|c| c <= b' ' || c == 0x7f) {
        return Err(ReadError::Bad(400, "target"));
    }
    let (raw_path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let path = percent_decode(raw_path).ok_or(ReadError::Bad(400, "path"))?;

    let mut headers = Vec::new();
    loop {
        let l = read_line(r)?.ok_or(ReadError::Io)?;
        if l.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(ReadError::Bad(431, "too many headers"));
        }
        if l[0] == b' ' || l[0] == b'\t' {
            return Err(ReadError::Bad(400, "obsolete line folding"));
        }
        let l = String::from_utf8(l).map_err(|_| ReadError::Bad(400, "header encoding"))?;
        let (name, value) = l.split_once(':').ok_or(ReadError::Bad(400, "header"))?;
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(ReadError::Bad(400, "header name"));
        }
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ReadError::Bad(400, "header value"));
        }
        headers.push((name.to_string(), value.to_string()));
    }

    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoding = false;
    let mut close = http10;
    let mut expect_continue = false;
    for (n, v) in &headers {
        if n.eq_ignore_ascii_case("content-length") {
            if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
                return Err(ReadError::Bad(400, "content-length"));
            }
            let len: u64 = v
                .parse()
                .map_err(|_| ReadError::Bad(413, "content-length"))?;
            if content_length.is_some_and(|old| old != len) {
                return Err(ReadError::Bad(400, "content-length"));
            }
            content_length = Some(len);
        } else if n.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            let last = v.rsplit(',').next().unwrap_or("").trim();
            chunked = last.eq_ignore_ascii_case("chunked");
            if !chunked || v.split(',').count() != 1 {
                // Only plain `chunked` is supported; anything else cannot be framed here.
                return Err(ReadError::Bad(400, "transfer-encoding"));
            }
        } else if n.eq_ignore_ascii_case("connection") {
            for opt in v.split(',') {
                let opt = opt.trim();
                if opt.eq_ignore_ascii_case("close") {
                    close = true;
                } else if opt.eq_ignore_ascii_case("keep-alive") && http10 {
                    close = false;
                }
            }
        } else if n.eq_ignore_ascii_case("expect") {
            if v.eq_ignore_ascii_case("100-continue") {
                expect_continue = true;
            } else if !v.is_empty() {
                return Err(ReadError::Bad(417, "expectation"));
            }
        }
    }
    if transfer_encoding && content_length.is_some() {
        return Err(ReadError::Bad(
            400,
            "both content-length and transfer-encoding",
        ));
    }
    let framing = if chunked {
        Framing::Chunked
    } else {
        match content_length {
            Some(0) | None => Framing::None,
            Some(n) if n > MAX_BODY => return Err(ReadError::Bad(413, "body too large")),
            Some(n) => Framing::Length(n),
        }
    };
    Ok(Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        path,
        query: query.to_string(),
        headers,
        framing,
        expect_continue: expect_continue && framing != Framing::None,
        close,
    }))
}

/// Reads the whole body as framed.
pub(crate) fn read_body<R: BufRead>(r: &mut R, framing: Framing) -> Result<Vec<u8>, ReadError> {
    match framing {
        Framing::None => Ok(Vec::new()),
        Framing::Length(n) => {
            let mut body = Vec::new();
            r.by_ref().take(n).read_to_end(&mut body)?;
            if body.len() as u64 != n {
                return Err(ReadError::Io);
            }
            Ok(body)
        }
        Framing::Chunked => {
            let mut body = Vec::new();
            loop {
                let line = read_line(r)?.ok_or(ReadError::Io)?;
                let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "chunk"))?;
                let size = line.split(';').next().unwrap_or("").trim();
                if size.is_empty() || size.len() > 15 {
                    return Err(ReadError::Bad(400, "chunk size"));
                }
                let size =
                    u64::from_str_radix(size, 16).map_err(|_| ReadError::Bad(400, "chunk size"))?;
                if size == 0 {
                    // Trailer section: ignore fields until the empty line.
                    let mut count = 0;
                    loop {
                        let l = read_line(r)?.ok_or(ReadError::Io)?;
                        if l.is_empty() {
                            return Ok(body);
                        }
                        count += 1;
                        if count > MAX_HEADERS {
                            return Err(ReadError::Bad(431, "too many trailers"));
                        }
                    }
                }
                if body.len() as u64 + size > MAX_BODY {
                    return Err(ReadError::Bad(413, "body too large"));
                }
                let start = body.len();
                r.by_ref().take(size).read_to_end(&mut body)?;
                if (body.len() - start) as u64 != size {
                    return Err(ReadError::Io);
                }
                let end = read_line(r)?.ok_or(ReadError::Io)?;
                if !end.is_empty() {
                    return Err(ReadError::Bad(400, "chunk end"));
                }
            }
        }
    }
}

/// A complete response, sent with a Content-Length.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A response with a `text/plain` body.
    pub(crate) fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A response with a JSON body, with GitHub's media-type header.
    pub(crate) fn json(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/json; charset=utf-8".into(),
                ),
                (
                    "X-GitHub-Media-Type".into(),
                    "github.v3; format=json".into(),
                ),
            ],
            body: body.into_bytes(),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes a response. `close` adds `Connection: close`; `head_only` omits the body
/// (for HEAD requests) while keeping its Content-Length.
pub(crate) fn write_response<W: Write>(
    w: &mut W,
    resp: &Response,
    close: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(resp.body.len() + 256);
    write!(out, "HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status))?;
    out.extend_from_slice(b"Server: gh-test-server\r\n");
    for (n, v) in &resp.headers {
        write!(out, "{n}: {v}\r\n")?;
    }
    write!(out, "Content-Length: {}\r\n", resp.body.len())?;
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&resp.body);
    }
    w.write_all(&out)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &str) -> Result<Option<Request>, ReadError> {
        read_head(&mut io::Cursor::new(s.as_bytes().to_vec()))
    }

    #[test]
    fn parses_a_get() {
        let r = head("GET /o/r.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: x\r\nGit-Protocol: version=2\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/o/r.git/info/refs");
        assert_eq!(r.query, "service=git-upload-pack");
        assert_eq!(r.header("git-protocol"), Some("version=2"));
        assert_eq!(r.framing, Framing::None);
        assert!(!r.close);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "GARBAGE\r\n\r\n",
            "GET / HTTP/2\r\n\r\n",
            "GET nopath HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "GET /%zz HTTP/1.1\r\n\r\n",
            "GET /%00 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\n folded\r\n\r\n",
        ] {
            assert!(matches!(head(bad), Err(ReadError::Bad(..))), "{bad:?}");
        }
        assert!(head("").unwrap().is_none());
        assert!(matches!(head("GET / HTTP/1.1\r\nHost"), Err(ReadError::Io)));
    }

    #[test]
    fn decodes_chunked_bodies() {
        let mut c = io::Cursor::new(
            b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT".to_vec(),
        );
        assert_eq!(read_body(&mut c, Framing::Chunked).unwrap(), b"Wikipedia");
        let mut rest = String::new();
        c.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
        let mut c = io::Cursor::new(b"zz\r\n".to_vec());
        assert!(matches!(
            read_body(&mut c, Framing::Chunked),
            Err(ReadError::Bad(..))
        ));
    }

    #[test]
    fn connection_and_expect() {
        let r = head("POST /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(r.expect_continue && r.close);
        assert_eq!(r.framing, Framing::Length(3));
        let r = head("GET /x HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(r.close);
    }
}
