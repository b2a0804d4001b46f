//! Each accepted TCP connection is admitted before HTTP sees it: at most [`PER_CLIENT`]
//! open connections per client network (the /24 or /48 that rate limits use; a trusted
//! proxy's connections are not counted, they carry many clients). The stream is wrapped so
//! its slot is given back when it closes.
//!
//! A client that pipelines thousands of requests and never reads the answers is bounded
//! in the HTTP layer itself: see `vendor/README.md` (actix-http decodes no more requests
//! than its pipeline queue takes).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::domain::ip::AnonIp;
use crate::domain::ip::TrustedProxies;

/// Open connections one client network may hold.
pub const PER_CLIENT: u32 = 128;

/// Open connections per client network, for one server.
#[derive(Debug, Default)]
pub struct Counts(Mutex<HashMap<String, u32>>);

/// A connection's place in [`Counts`], given back when the connection closes.
#[derive(Debug)]
pub struct Slot {
    counts: Arc<Counts>,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl Counts {
    /// A slot for a connection from `peer`, or `None` when its network already holds
    /// [`PER_CLIENT`] connections. Trusted proxies always get one (uncounted).
    pub fn admit(
        self: &Arc<Self>,
        peer: Option<std::net::SocketAddr>,
        trusted: &TrustedProxies,
    ) -> Option<Option<Slot>> {
        let Some(peer) = peer else {
            return Some(None);
        };
        if trusted.contains(peer.ip()) {
            return Some(None);
        }
        let key = AnonIp::from_ip(peer.ip()).as_str().to_string();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= PER_CLIENT {
            return None;
        }
        *n += 1;
        Some(Some(Slot {
            counts: self.clone(),
            key,
        }))
    }

    /// Connections open now from one client network (for tests).
    pub fn open(&self, network: &str) -> u32 {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(network).copied().unwrap_or(0)
    }
}

/// An admitted TCP stream, holding its client network's slot until it closes.
pub struct Guarded {
    io: TcpStream,
    _slot: Option<Slot>,
}

impl Guarded {
    /// Wraps an accepted stream holding its slot.
    pub fn new(io: TcpStream, slot: Option<Slot>) -> Guarded {
        Guarded { io, _slot: slot }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
