//! A minimal HTTP/1.1 keep-alive client over `std::net`, enough to talk to Natter on
//! 127.0.0.1 (Content-Length and chunked bodies; reconnects when the server closed an idle
//! connection).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One keep-alive connection to `addr` (`host:port`).
pub struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

/// Status and body of one response.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Conn {
    pub fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            stream: None,
        }
    }

    fn connect(&mut self) -> io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            s.set_write_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(BufReader::with_capacity(64 * 1024, s));
        }
        Ok(self.stream.as_mut().expect("just connected"))
    }

    /// Sends one request. A connection the server closed while idle is reopened once, but
    /// only when nothing of the response had arrived (so a write is never sent twice after
    /// the server answered it).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let reused = self.stream.is_some();
        match self.try_send(&bytes) {
            Ok(r) => Ok(r),
            Err(SendError::BeforeResponse(_)) if reused => {
                self.stream = None;
                self.try_send(&bytes).map_err(SendError::into_io)
            }
            Err(e) => {
                self.stream = None;
                Err(e.into_io())
            }
        }
    }

    fn try_send(&mut self, bytes: &[u8]) -> Result<Response, SendError> {
        let stream = self.connect().map_err(SendError::BeforeResponse)?;
        stream
            .get_mut()
            .write_all(bytes)
            .map_err(SendError::BeforeResponse)?;
        let mut line = String::new();
        let n = stream
            .read_line(&mut line)
            .map_err(SendError::BeforeResponse)?;
        if n == 0 {
            return Err(SendError::BeforeResponse(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response",
            )));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| SendError::During(bad(&format!("bad status line {line:?}"))))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            stream.read_line(&mut line).map_err(SendError::During)?;
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let Some((k, v)) = h.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => length = v.parse().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                "connection" => close = v.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                stream.read_line(&mut line).map_err(SendError::During)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| SendError::During(bad("bad chunk size")))?;
                let start = body.len();
                body.resize(start + size, 0);
                stream
                    .read_exact(&mut body[start..])
                    .map_err(SendError::During)?;
                line.clear();
                stream.read_line(&mut line).map_err(SendError::During)?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            stream.read_exact(&mut body).map_err(SendError::During)?;
        } else if status != 204 && status != 304 {
            stream.read_to_end(&mut body).map_err(SendError::During)?;
            close = true;
        }
        if close {
            self.stream = None;
        }
        Ok(Response { status, body })
    }
}

enum SendError {
    /// Nothing of a response arrived: safe to retry on a fresh connection.
    BeforeResponse(io::Error),
    During(io::Error),
}

impl SendError {
    fn into_io(self) -> io::Error {
        match self {
            SendError::BeforeResponse(e) | SendError::During(e) => e,
        }
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}
