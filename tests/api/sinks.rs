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

/// How an SMTP sink presents itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmtpOptions {
    /// Port to listen on; 0 = any free one.
    pub port: u16,
    /// `AUTH` mechanisms offered after EHLO (`"PLAIN LOGIN"`); `None` offers no AUTH.
    pub auth: Option<&'static str>,
    /// Offer STARTTLS, and upgrade with the self-signed test certificate.
    pub starttls: bool,
    /// Speak TLS from the first byte (as on port 465), with the test certificate.
    pub implicit_tls: bool,
}

/// A minimal SMTP server that accepts every mail (and any credentials).
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    /// What happened on every connection, in order: each command line as received (an
    /// AUTH as `AUTH <mechanism> <user> <password>`, decoded), `<tls>` after a completed
    /// handshake, `<tls failed: …>`, and `<tls hello on a plain connection>` when a client
    /// speaks TLS to a sink that doesn't.
    log: Arc<Mutex<Vec<String>>>,
}

/// The TLS side of the sink: the self-signed certificate in tests/fixtures/tls, which no
/// client that checks certificates trusts.
fn acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{crypto, ServerConfig};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let cert = CertificateDer::from_pem_file(format!("{dir}/sink-cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/sink-key.pem")).unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Where a session ended.
enum Ended<S> {
    Closed,
    /// The client asked for STARTTLS and was told to go ahead: the stream, to upgrade.
    StartTls(S),
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| format!("<not base64: {s}>"))
}

struct Session {
    opts: SmtpOptions,
    mails: Arc<Mutex<Vec<Mail>>>,
    log: Arc<Mutex<Vec<String>>>,
    /// Over TLS already (no STARTTLS offered again).
    tls: bool,
}

impl Session {
    fn note(&self, what: impl Into<String>) {
        self.log.lock().unwrap().push(what.into());
    }

    /// One SMTP conversation on `stream` (plain or TLS), from the greeting (if `greet`).
    async fn run<S>(&self, stream: S, greet: bool) -> Ended<S>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let mut io = BufReader::new(stream);
        if greet && io.write_all(b"220 sink ESMTP\r\n").await.is_err() {
            return Ended::Closed;
        }
        let mut rcpt = Vec::new();
        let mut line = String::new();
        macro_rules! read_line {
            () => {{
                line.clear();
                match io.fill_buf().await {
                    // A TLS record (a ClientHello) where SMTP was expected.
                    Ok(b) if !self.tls && b.first() == Some(&0x16) => {
                        self.note("<tls hello on a plain connection>");
                        return Ended::Closed;
                    }
                    Ok(_) => {}
                    Err(_) => return Ended::Closed,
                }
                if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return Ended::Closed;
                }
            }};
        }
        loop {
            read_line!();
            let cmd = line.trim_end().to_uppercase();
            let reply: Vec<u8> = if cmd.starts_with("EHLO") {
                self.note(line.trim_end());
                let mut r = String::from("250-sink\r\n");
                if let Some(mechs) = self.opts.auth {
                    r.push_str(&format!("250-AUTH {mechs}\r\n"));
                }
                if self.opts.starttls && !self.tls {
                    r.push_str("250-STARTTLS\r\n");
                }
                r.push_str("250 8BITMIME\r\n");
                r.into_bytes()
            } else if cmd == "STARTTLS" && self.opts.starttls && !self.tls {
                self.note("STARTTLS");
                if io.write_all(b"220 go ahead\r\n").await.is_err() {
                    return Ended::Closed;
                }
                assert!(io.buffer().is_empty(), "client spoke before the handshake");
                return Ended::StartTls(io.into_inner());
            } else if cmd.starts_with("AUTH PLAIN") && self.opts.auth.is_some() {
                let mut initial = line.trim_end()[10..].trim().to_string();
                if initial.is_empty() {
                    if io.write_all(b"334 \r\n").await.is_err() {
                        return Ended::Closed;
                    }
                    read_line!();
                    initial = line.trim_end().to_string();
                }
                let plain = b64(&initial);
                let parts: Vec<&str> = plain.split('\0').collect();
                self.note(format!("AUTH PLAIN {}", parts[1..].join(" ")));
                b"235 ok\r\n".to_vec()
            } else if cmd == "AUTH LOGIN" && self.opts.auth.is_some() {
                if io.write_all(b"334 VXNlcm5hbWU6\r\n").await.is_err() {
                    return Ended::Closed;
                }
                read_line!();
                let user = b64(&line);
                if io.write_all(b"334 UGFzc3dvcmQ6\r\n").await.is_err() {
                    return Ended::Closed;
                }
                read_line!();
                self.note(format!("AUTH LOGIN {user} {}", b64(&line)));
                b"235 ok\r\n".to_vec()
            } else if cmd.starts_with("HELO")
                || cmd.starts_with("MAIL")
                || cmd.starts_with("RSET")
                || cmd.starts_with("NOOP")
            {
                self.note(line.trim_end());
                b"250 ok\r\n".to_vec()
            } else if cmd.starts_with("RCPT") {
                self.note(line.trim_end());
                rcpt.push(
                    line.trim_end()[8..]
                        .trim()
                        .trim_matches(['<', '>'])
                        .to_string(),
                );
                b"250 ok\r\n".to_vec()
            } else if cmd == "DATA" {
                self.note("DATA");
                if io.write_all(b"354 go\r\n").await.is_err() {
                    return Ended::Closed;
                }
                let mut data = String::new();
                loop {
                    read_line!();
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                self.mails.lock().unwrap().push(Mail {
                    rcpt: std::mem::take(&mut rcpt),
                    data,
                });
                b"250 queued\r\n".to_vec()
            } else if cmd == "QUIT" {
                self.note("QUIT");
                let _ = io.write_all(b"221 bye\r\n").await;
                return Ended::Closed;
            } else {
                self.note(line.trim_end());
                b"502 unknown\r\n".to_vec()
            };
            if io.write_all(&reply).await.is_err() {
                return Ended::Closed;
            }
        }
    }

    /// A TLS handshake with the test certificate, then SMTP over it.
    async fn over_tls(mut self, sock: tokio::net::TcpStream, greet: bool) {
        match acceptor().accept(sock).await {
            Ok(tls) => {
                self.note("<tls>");
                self.tls = true;
                let _ = self.run(tls, greet).await;
            }
            Err(e) => self.note(format!("<tls failed: {e}>")),
        }
    }
}

impl SmtpSink {
    /// Listens on a free port.
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// Listens on a given port (to bring a "down" server up later).
    pub async fn start_on(port: u16) -> SmtpSink {
        Self::start_with(SmtpOptions {
            port,
            ..SmtpOptions::default()
        })
        .await
    }

    /// Listens as `opts` say.
    pub async fn start_with(opts: SmtpOptions) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", opts.port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (store, notes) = (mails.clone(), log.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let session = Session {
                    opts,
                    mails: store.clone(),
                    log: notes.clone(),
                    tls: false,
                };
                tokio::spawn(async move {
                    if opts.implicit_tls {
                        session.over_tls(sock, true).await;
                    } else if let Ended::StartTls(sock) = session.run(sock, true).await {
                        session.over_tls(sock, false).await;
                    }
                });
            }
        });
        SmtpSink { port, mails, log }
    }

    /// The connection log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
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
