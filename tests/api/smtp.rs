//! The SMTP client settings against a sink that speaks the protocol: `username` and
//! `password` through AUTH PLAIN or LOGIN, none at all when `username` is empty, and the
//! TLS modes — `starttls` and `tls` insist on TLS and on a certificate a trusted CA signed
//! (the sink's is self-signed), so the mail waits in the outbox rather than go out
//! unprotected. There is no test of a successful TLS delivery: `[smtp]` has no key to
//! trust an extra CA, and only a trusted certificate would be accepted.

use std::time::{Duration, Instant};

use natter::config::{Smtp, SmtpTls};

use crate::helpers::TestApp;
use crate::notify::MOD;
use crate::outbox::rows;
use crate::sinks::{SmtpOptions, SmtpSink};

const USER: &str = "natter-user";
const PASSWORD: &str = "pa:ss wörd 1";

async fn app_mailing(port: u16, tls: SmtpTls, username: &str) -> TestApp {
    let username = username.to_string();
    TestApp::spawn_with(move |s| {
        s.smtp = Some(Smtp {
            host: "127.0.0.1".into(),
            port,
            username,
            password: PASSWORD.into(),
            tls,
            from: "Natter <natter@natter.example>".into(),
            moderators: vec![MOD.into()],
            ..Smtp::default()
        });
    })
    .await
}

/// Index of the first log entry starting with `prefix`.
fn at(log: &[String], prefix: &str) -> Option<usize> {
    log.iter().position(|l| l.starts_with(prefix))
}

/// Waits until the mail was tried twice and failed both times (so it is being retried),
/// and returns its last error; nothing reached the sink.
async fn refused(app: &TestApp, sink: &SmtpSink) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = rows(app.db()).remove(0);
        assert_ne!(row.status, "sent", "delivered: {:?}", sink.log());
        if row.attempts >= 2 {
            assert_eq!(row.status, "pending", "kept for another try");
            assert!(sink.to(MOD).is_empty(), "delivered: {:?}", sink.log());
            return row.last_error.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "not tried twice: {:?}",
            row.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn credentials_go_through_auth_plain_or_login_whichever_the_server_offers() {
    for (offer, used) in [("PLAIN LOGIN", "PLAIN"), ("LOGIN", "LOGIN")] {
        let sink = SmtpSink::start_with(SmtpOptions {
            auth: Some(offer),
            ..SmtpOptions::default()
        })
        .await;
        let app = app_mailing(sink.port, SmtpTls::None, USER).await;
        app.create("/p", "with credentials").await;
        sink.wait_for(MOD, 1, 10).await;
        let log = sink.log();
        let auth = at(&log, "AUTH").unwrap_or_else(|| panic!("no AUTH: {log:?}"));
        assert_eq!(
            log[auth],
            format!("AUTH {used} {USER} {PASSWORD}"),
            "{log:?}"
        );
        assert!(auth < at(&log, "MAIL FROM").unwrap(), "{log:?}");
    }
}

#[tokio::test]
async fn an_empty_username_means_no_auth_even_when_the_server_offers_it() {
    let sink = SmtpSink::start_with(SmtpOptions {
        auth: Some("PLAIN LOGIN"),
        ..SmtpOptions::default()
    })
    .await;
    let app = app_mailing(sink.port, SmtpTls::None, "").await;
    app.create("/p", "no credentials").await;
    sink.wait_for(MOD, 1, 10).await;
    let log = sink.log();
    assert!(at(&log, "AUTH").is_none(), "{log:?}");
    assert!(at(&log, "MAIL FROM").is_some(), "{log:?}");
}

#[tokio::test]
async fn a_username_the_server_offers_no_auth_for_is_not_silently_dropped() {
    let sink = SmtpSink::start().await;
    let app = app_mailing(sink.port, SmtpTls::None, USER).await;
    app.create("/p", "needs auth").await;
    let error = refused(&app, &sink).await;
    assert!(error.contains("authentication"), "{error}");
    let log = sink.log();
    assert!(at(&log, "MAIL FROM").is_none(), "{log:?}");
}

#[tokio::test]
async fn starttls_mode_refuses_a_server_that_does_not_offer_starttls() {
    let sink = SmtpSink::start_with(SmtpOptions {
        auth: Some("PLAIN LOGIN"),
        ..SmtpOptions::default()
    })
    .await;
    let app = app_mailing(sink.port, SmtpTls::Starttls, USER).await;
    app.create("/p", "only over tls").await;
    let error = refused(&app, &sink).await;
    assert!(error.to_uppercase().contains("STARTTLS"), "{error}");
    let log = sink.log();
    assert!(at(&log, "EHLO").is_some(), "{log:?}");
    assert!(
        at(&log, "AUTH").is_none() && at(&log, "MAIL FROM").is_none(),
        "nothing sensitive in clear: {log:?}"
    );
}

#[tokio::test]
async fn starttls_mode_refuses_a_certificate_no_trusted_ca_signed() {
    let sink = SmtpSink::start_with(SmtpOptions {
        auth: Some("PLAIN LOGIN"),
        starttls: true,
        ..SmtpOptions::default()
    })
    .await;
    let app = app_mailing(sink.port, SmtpTls::Starttls, USER).await;
    app.create("/p", "only to a trusted server").await;
    let error = refused(&app, &sink).await;
    let log = sink.log();
    let upgrade = at(&log, "STARTTLS").unwrap_or_else(|| panic!("{log:?}"));
    assert!(at(&log, "EHLO").unwrap() < upgrade, "{log:?}");
    // The handshake failed because the client rejected the certificate (the alert it
    // sent), not for any other reason.
    let failed = &log[upgrade + 1];
    assert!(
        failed.starts_with("<tls failed:") && failed.contains("UnknownCA"),
        "{log:?} / {error}"
    );
    assert!(
        at(&log, "AUTH").is_none() && at(&log, "MAIL FROM").is_none(),
        "{log:?}"
    );
}

#[tokio::test]
async fn tls_mode_speaks_tls_from_the_first_byte_and_refuses_an_untrusted_certificate() {
    let plain = SmtpSink::start().await;
    let app = app_mailing(plain.port, SmtpTls::Tls, USER).await;
    app.create("/p", "implicit tls").await;
    refused(&app, &plain).await;
    let log = plain.log();
    assert!(
        log.iter().all(|l| l == "<tls hello on a plain connection>"),
        "no SMTP in clear: {log:?}"
    );
    let tls = SmtpSink::start_with(SmtpOptions {
        auth: Some("PLAIN LOGIN"),
        implicit_tls: true,
        ..SmtpOptions::default()
    })
    .await;
    let app2 = app_mailing(tls.port, SmtpTls::Tls, USER).await;
    app2.create("/p", "implicit tls").await;
    refused(&app2, &tls).await;
    let log = tls.log();
    assert!(
        log.iter()
            .all(|l| l.starts_with("<tls failed:") && l.contains("UnknownCA")),
        "{log:?}"
    );
}
