//! Delivers the outbox: background threads with database connections of their own, so a
//! slow mail server never slows a reader's request. Each delivery is claimed with a lease
//! before it is attempted ([`outbox::claim`]), so several processes on one database never
//! send the same item twice. Deliveries run side by side, at most one per target at a
//! time, so one receiver that hangs holds up nobody else. Every attempt has a deadline;
//! failures are retried with capped exponential backoff; after `outbox_max_age` a delivery
//! is given up and logged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Weak};
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;

use super::digest;
use crate::config::{Settings, Smtp, SmtpTls};
use crate::domain::now;
use crate::error::ApiResult;
use crate::store::outbox::{self, Email, Item};
use crate::store::session::Session;
use crate::store::Tx;

/// How often an idle delivery thread looks at the outbox.
const POLL: Duration = Duration::from_millis(300);
/// Deliveries one process attempts at once.
const THREADS: usize = 8;
/// Emails under way at once, across every process on the database: they share one mail
/// server, and its connections are reused (a pool of this size). Fewer than [`THREADS`],
/// so a mail server that hangs leaves threads for the webhooks. (lettre 0.11.23 leaves
/// Nagle on, which costs each message ~40 ms of waiting on the server's delayed ACK;
/// parallel connections keep a burst moving meanwhile.)
const EMAIL_SLOTS: u32 = 4;
/// The most one attempt may take, from connecting to the last byte. A receiver that is
/// slower fails this attempt (it is retried later) and frees the delivery thread.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// The most each network step may take: connecting, the greeting, each command and answer.
const STEP: Duration = Duration::from_secs(10);
/// Attempts past their deadline whose threads still wait on the network (each ends at its
/// next step timeout). While this many linger, no new attempt starts: memory stays bounded.
const MAX_LINGERING: usize = 16;

static LINGERING: AtomicUsize = AtomicUsize::new(0);

/// What the delivery threads share: the clients, built once so connections are reused.
struct Clients {
    http: Option<reqwest::blocking::Client>,
    smtp: Option<Result<SmtpTransport, String>>,
}

/// What the delivery threads hold: the settings, and a weak handle to the running app,
/// whose end ends them.
type Alive = Weak<dyn std::any::Any + Send + Sync>;

/// Starts the delivery threads; they end when `alive` (the app) is dropped.
pub fn spawn(settings: Settings, alive: Alive) {
    let settings = Arc::new(settings);
    // The clients are built off the caller's thread: a blocking HTTP client must not be
    // made (or dropped) inside an async runtime.
    let _ = std::thread::Builder::new()
        .name("natter-outbox".into())
        .spawn(move || {
            let Some(app) = alive.upgrade() else { return };
            let clients = Arc::new(Clients {
                http: reqwest::blocking::Client::builder()
                    .connect_timeout(STEP)
                    .timeout(STEP)
                    // A redirect would re-post the signed body wherever the receiver points.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("natter/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .ok(),
                smtp: settings.smtp.as_ref().map(transport),
            });
            drop(app);
            // Who holds a claim: this process, unique even across restarts with a reused pid.
            let owner: Arc<str> =
                format!("{}-{:016x}", std::process::id(), rand::random::<u64>()).into();
            let threads: Vec<_> = (1..THREADS)
                .filter_map(|n| {
                    let (alive, settings) = (alive.clone(), settings.clone());
                    let (clients, owner) = (clients.clone(), owner.clone());
                    std::thread::Builder::new()
                        .name(format!("natter-outbox-{n}"))
                        .spawn(move || deliver_loop(&alive, &settings, &clients, &owner))
                        .ok()
                })
                .collect();
            deliver_loop(&alive, &settings, &clients, &owner);
            for t in threads {
                let _ = t.join();
            }
        });
}

fn deliver_loop(alive: &Alive, settings: &Settings, clients: &Arc<Clients>, owner: &str) {
    let Some(mut session) = alive.upgrade().and_then(|_| {
        Session::open(settings)
            .map_err(|e| tracing::error!(error = %e, "the outbox worker cannot open the database"))
            .ok()
    }) else {
        return;
    };
    loop {
        let Some(app) = alive.upgrade() else { break };
        let busy = match session.run(|tx| run_once(settings, tx, clients, owner)) {
            Ok(busy) => busy,
            Err(e) => {
                tracing::warn!(error = %e, "outbox pass failed");
                false
            }
        };
        drop(app);
        if !busy {
            std::thread::sleep(POLL);
        }
    }
}

/// Claims one due delivery and attempts it; `true` when there was one.
fn run_once(
    settings: &Settings,
    tx: &dyn Tx,
    clients: &Arc<Clients>,
    owner: &str,
) -> ApiResult<bool> {
    if LINGERING.load(Ordering::Relaxed) >= MAX_LINGERING {
        return Ok(false);
    }
    let Some(item) = tx.claim_delivery(owner, now(), i64::from(EMAIL_SLOTS))? else {
        return Ok(false);
    };
    let (id, public_url) = (item.id, &settings.public_url);
    let Some(item) = digest::expand(tx, public_url, item)? else {
        // A digest whose every entry was erased after the claim: nothing is left to send.
        tx.drop_claimed(id, owner)?;
        return Ok(true);
    };
    let result = attempt(settings, clients, &item);
    let at = now();
    let held = match result {
        Ok(()) => tx.mark_sent(item.id, owner, at)?,
        Err(error) => {
            let give_up = at - item.created_at >= settings.outbox_max_age;
            let retry = (!give_up).then(|| at + outbox::backoff(item.attempts));
            if give_up {
                tracing::error!(id = item.id, kind = %item.kind, attempts = item.attempts + 1, error = %error, "giving up a delivery");
            } else {
                tracing::warn!(id = item.id, kind = %item.kind, attempts = item.attempts + 1, error = %error, "delivery failed; will retry");
            }
            tx.mark_failed(item.id, owner, &error, retry, at)?
        }
    };
    if !held {
        tracing::warn!(
            id = item.id,
            "a delivery's claim ran out before its attempt ended"
        );
    }
    Ok(true)
}

/// One attempt within [`DEADLINE`], on a thread of its own: past the deadline the attempt
/// counts as failed, and its thread is left to end at its next network step timeout.
fn attempt(settings: &Settings, clients: &Arc<Clients>, item: &Item) -> Result<(), String> {
    let job: Box<dyn FnOnce() -> Result<(), String> + Send> = match item.kind.as_str() {
        "email" => {
            let smtp = settings
                .smtp
                .clone()
                .ok_or("email is not configured ([smtp])")?;
            let transport = match &clients.smtp {
                Some(Ok(t)) => t.clone(),
                Some(Err(e)) => return Err(e.clone()),
                None => return Err("email is not configured ([smtp])".into()),
            };
            let item = item.clone();
            Box::new(move || send_email(&smtp, &transport, &item))
        }
        "webhook" => {
            let hook = settings
                .webhooks
                .iter()
                .find(|w| w.url == item.target)
                .cloned()
                .ok_or("this webhook is no longer configured")?;
            let http = clients.http.clone().ok_or("no HTTP client")?;
            let item = item.clone();
            Box::new(move || post_webhook(&hook, &http, &item))
        }
        other => return Err(format!("unknown kind {other}")),
    };
    let (tx, rx) = mpsc::channel();
    LINGERING.fetch_add(1, Ordering::Relaxed);
    let spawned = std::thread::Builder::new()
        .name("natter-attempt".into())
        .spawn(move || {
            let _ = tx.send(job());
            LINGERING.fetch_sub(1, Ordering::Relaxed);
        });
    if let Err(e) = spawned {
        LINGERING.fetch_sub(1, Ordering::Relaxed);
        return Err(format!("cannot start the attempt: {e}"));
    }
    match rx.recv_timeout(DEADLINE) {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no answer within {} s (the receiver is too slow)",
            DEADLINE.as_secs()
        )),
    }
}

/// The mail server's transport: built once, its connections pooled and reused.
fn transport(smtp: &Smtp) -> Result<SmtpTransport, String> {
    let builder = match smtp.tls {
        SmtpTls::None => SmtpTransport::builder_dangerous(&smtp.host),
        SmtpTls::Starttls => {
            SmtpTransport::starttls_relay(&smtp.host).map_err(|e| e.to_string())?
        }
        SmtpTls::Tls => SmtpTransport::relay(&smtp.host).map_err(|e| e.to_string())?,
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(STEP))
        .pool_config(PoolConfig::new().max_size(EMAIL_SLOTS));
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.clone(),
        ));
    }
    Ok(builder.build())
}

/// Builds the MIME message (lettre encodes every header, so names and titles can't inject).
pub fn message(smtp: &Smtp, to: &str, mail: &Email) -> Result<Message, String> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| format!("bad smtp.from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(super::mail::one_line(&mail.subject, 200))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    if let Some(u) = &mail.unsubscribe {
        b = b
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{u}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    b.multipart(MultiPart::alternative_plain_html(
        mail.text.clone(),
        mail.html.clone(),
    ))
    .map_err(|e| e.to_string())
}

fn send_email(smtp: &Smtp, transport: &SmtpTransport, item: &Item) -> Result<(), String> {
    let mail: Email = serde_json::from_str(&item.payload).map_err(|e| e.to_string())?;
    let msg = message(smtp, &item.target, &mail)?;
    transport.send(&msg).map(|_| ()).map_err(|e| {
        // A step timeout shows as the socket's EAGAIN: say what it means.
        let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
        match io.map(std::io::Error::kind) {
            Some(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                format!("the mail server did not answer within {} s", STEP.as_secs())
            }
            _ => e.to_string(),
        }
    })
}

/// `sha256=<hex HMAC of the raw body>` under a webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn post_webhook(
    hook: &crate::config::Webhook,
    http: &reqwest::blocking::Client,
    item: &Item,
) -> Result<(), String> {
    let event: serde_json::Value =
        serde_json::from_str(&item.payload).map_err(|e| e.to_string())?;
    let res = http
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-natter-event", event["event"].as_str().unwrap_or(""))
        .header("x-natter-delivery", event["id"].as_str().unwrap_or(""))
        .header(
            "x-natter-signature",
            signature(&hook.secret, item.payload.as_bytes()),
        )
        .body(item.payload.clone())
        .send()
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(())
    } else if res.status().is_redirection() {
        Err(format!(
            "the receiver answered {} (webhooks follow no redirects: configure the final URL)",
            res.status()
        ))
    } else {
        Err(format!("the receiver answered {}", res.status()))
    }
}
