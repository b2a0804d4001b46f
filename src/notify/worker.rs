//! Delivers the outbox: a background thread with its own connection, so a slow mail
//! server never slows a reader's request. Failures are retried with capped exponential
//! backoff; after `outbox_max_age` a delivery is given up and logged.

use std::sync::Weak;
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;

use super::outbox::{self, Email, Item};
use crate::config::{Smtp, SmtpTls};
use crate::domain::now;
use crate::state::AppState;

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_millis(300);

/// Starts the delivery thread; it ends when the app is dropped.
pub fn spawn(state: Weak<AppState>) {
    let _ = std::thread::Builder::new()
        .name("natter-outbox".into())
        .spawn(move || {
            let Some(conn) = state.upgrade().and_then(|st| {
                crate::db::open(&st.settings.database, st.settings.durability)
                    .map_err(|e| tracing::error!(error = %e, "the outbox worker cannot open the database"))
                    .ok()
            }) else {
                return;
            };
            // No redirects: a 3xx would re-post the signed body wherever the receiver
            // points, loopback and private addresses included. It is a failed attempt.
            let http = reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("natter/", env!("CARGO_PKG_VERSION")))
                .build()
                .ok();
            loop {
                std::thread::sleep(POLL);
                let Some(st) = state.upgrade() else { break };
                if let Err(e) = run_once(&st, &conn, http.as_ref()) {
                    tracing::warn!(error = %e, "outbox pass failed");
                }
            }
        });
}

/// One pass over what is due.
pub fn run_once(
    st: &AppState,
    conn: &rusqlite::Connection,
    http: Option<&reqwest::blocking::Client>,
) -> rusqlite::Result<()> {
    for item in outbox::due(conn, now(), 20)? {
        let result = match item.kind.as_str() {
            "email" => send_email(st, &item),
            "webhook" => match http {
                Some(c) => post_webhook(st, c, &item),
                None => Err("no HTTP client".into()),
            },
            other => Err(format!("unknown kind {other}")),
        };
        let at = now();
        match result {
            Ok(()) => outbox::mark_sent(conn, item.id, at)?,
            Err(error) => {
                let give_up = at - item.created_at >= st.settings.outbox_max_age;
                let retry = (!give_up).then(|| at + outbox::backoff(item.attempts));
                if give_up {
                    tracing::error!(id = item.id, kind = %item.kind, attempts = item.attempts + 1, error = %error, "giving up a delivery");
                } else {
                    tracing::warn!(id = item.id, kind = %item.kind, attempts = item.attempts + 1, error = %error, "delivery failed; will retry");
                }
                outbox::mark_failed(conn, item.id, &error, retry, at)?;
            }
        }
    }
    Ok(())
}

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
        .timeout(Some(Duration::from_secs(15)));
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

fn send_email(st: &AppState, item: &Item) -> Result<(), String> {
    let smtp = st
        .settings
        .smtp
        .as_ref()
        .ok_or("email is not configured ([smtp])")?;
    let mail: Email = serde_json::from_str(&item.payload).map_err(|e| e.to_string())?;
    let msg = message(smtp, &item.target, &mail)?;
    transport(smtp)?
        .send(&msg)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `sha256=<hex HMAC of the raw body>` under a webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn post_webhook(
    st: &AppState,
    http: &reqwest::blocking::Client,
    item: &Item,
) -> Result<(), String> {
    let hook = st
        .settings
        .webhooks
        .iter()
        .find(|w| w.url == item.target)
        .ok_or("this webhook is no longer configured")?;
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
