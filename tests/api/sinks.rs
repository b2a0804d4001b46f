//! Real protocol peers for the notification tests: a small SMTP server and an HTTP
//! receiver for webhooks, both on loopback.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt: Vec<String>,
    pub data: String,
}

impl Mail {
    /// Headers and body with quoted-printable soft breaks and `=3D` undone.
    pub fn decoded(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The value of the first header with this name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n")
            .find(|l| {
                l.to_lowercase()
                    .starts_with(&format!("{}:", name.to_lowercase()))
            })
            .map(|l| l[name.len() + 1..].trim().to_string())
    }

    /// Every URL in the decoded message that starts with `prefix`.
    pub fn links(&self, prefix: &str) -> Vec<String> {
        let text = self.decoded();
        text.match_indices(prefix)
            .map(|(i, _)| {
                text[i..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
                    .collect()
            })
            .collect()
    }
}

/// A minimal SMTP server that accepts everything.
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Listens on a free port.
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// Listens on a given port (to bring a "down" server up later).
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let cmd = line.trim_end().to_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if cmd.starts_with("HELO")
                            || cmd.starts_with("MAIL")
                            || cmd.starts_with("RSET")
                            || cmd.starts_with("NOOP")
                        {
                            b"250 ok\r\n"
                        } else if cmd.starts_with("RCPT") {
                            rcpt.push(
                                line.trim_end()[8..]
                                    .trim()
                                    .trim_matches(['<', '>'])
                                    .to_string(),
                            );
                            b"250 ok\r\n"
                        } else if cmd == "DATA" {
                            let _ = w.write_all(b"354 go\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(
                                    line.strip_prefix('.')
                                        .filter(|_| line.starts_with(".."))
                                        .unwrap_or(&line),
                                );
                            }
                            store.lock().unwrap().push(Mail {
                                rcpt: std::mem::take(&mut rcpt),
                                data,
                            });
                            b"250 queued\r\n"
                        } else if cmd == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"502 unknown\r\n"
                        };
                        if w.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpSink { port, mails }
    }

    /// Mails received so far to `to`.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt.iter().any(|r| r == to))
            .cloned()
            .collect()
    }

    /// Waits until `n` mails to `to` arrived (or panics after `secs`).
    pub async fn wait_for(&self, to: &str, n: usize, secs: u64) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.to(to);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} mail(s) to {to}, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One webhook delivery as received.
#[derive(Debug, Clone)]
pub struct Hook {
    /// Path and query the delivery was posted to.
    pub path: String,
    pub content_type: String,
    pub signature: String,
    pub event: String,
    pub delivery: String,
    pub body: Vec<u8>,
}

/// An HTTP receiver that records every POST.
pub struct HookSink {
    pub url: String,
    pub hooks: Arc<Mutex<Vec<Hook>>>,
}

impl HookSink {
    pub async fn start() -> HookSink {
        Self::start_on(0).await
    }

    /// Listens on a given port (to bring a "down" receiver up later).
    pub async fn start_on(port: u16) -> HookSink {
        let hooks: Arc<Mutex<Vec<Hook>>> = Arc::default();
        let store = web::Data::new(hooks.clone());
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new().app_data(store.clone()).default_service(web::to(
                    |req: HttpRequest,
                     body: web::Bytes,
                     store: web::Data<Arc<Mutex<Vec<Hook>>>>| async move {
                        let h = |n: &str| {
                            req.headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        store.lock().unwrap().push(Hook {
                            path: req.uri().to_string(),
                            content_type: h("content-type"),
                            signature: h("x-natter-signature"),
                            event: h("x-natter-event"),
                            delivery: h("x-natter-delivery"),
                            body: body.to_vec(),
                        });
                        HttpResponse::NoContent().finish()
                    },
                ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        HookSink {
            url: format!("http://127.0.0.1:{port}/hook"),
            hooks,
        }
    }

    pub async fn wait_for(&self, event: &str, secs: u64) -> Hook {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(h) = self
                .hooks
                .lock()
                .unwrap()
                .iter()
                .find(|h| h.event == event)
                .cloned()
            {
                return h;
            }
            assert!(Instant::now() < deadline, "no {event} webhook arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
