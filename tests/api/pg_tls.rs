//! TLS to PostgreSQL with libpq's `sslmode` meanings: `require` encrypts without checking
//! the certificate, `verify-ca` checks its chain against `sslrootcert`, `verify-full` its
//! name too, `disable` never encrypts. A cluster of the test's own with `ssl = on` and a
//! certificate for `localhost` signed by a CA made here (openssl).

use std::path::Path;
use std::process::Command;

use crate::cli::{natter, run_to_exit, stop};
use crate::cluster::{cluster_db, config, node, sql, sql_i64, OwnPg};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`ca.pem`) and a server certificate for `localhost` only, installed in the
/// cluster, whose `ssl` is then turned on.
fn with_tls(pg: &OwnPg) -> std::path::PathBuf {
    let certs = pg.dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=natter test CA",
    ]);
    openssl(&certs, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&certs, &csr);
    std::fs::write(certs.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        &certs,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
    let data = pg.dir.path().join("pg/data");
    for f in ["server.crt", "server.key"] {
        std::fs::copy(certs.join(f), data.join(f)).unwrap();
        let _ = Command::new("chown")
            .args(["postgres", data.join(f).to_str().unwrap()])
            .status();
    }
    let _ = Command::new("chmod")
        .args(["600", data.join("server.key").to_str().unwrap()])
        .status();
    sql(&pg.url, "ALTER SYSTEM SET ssl = on");
    sql(&pg.url, "SELECT pg_reload_conf()");
    certs.join("ca.pem")
}

/// `url` with its host replaced and a query.
fn variant(url: &str, host: &str, query: &str) -> String {
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let port_db = rest.split_once(':').unwrap().1;
    let (port, _) = port_db.split_once('/').unwrap();
    format!("{scheme_user}@{host}:{port}/tls?{query}")
}

/// Whether natter's connections (application_name `natter`) are encrypted: (encrypted,
/// plain) counts.
fn natter_connections(admin: &str) -> (i64, i64) {
    let q = |ssl: bool| {
        format!(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'natter' AND a.datname = 'tls' AND s.ssl = {ssl}"
        )
    };
    (sql_i64(admin, &q(true)), sql_i64(admin, &q(false)))
}

#[test]
fn sslmode_require_verify_ca_and_verify_full_mean_what_they_mean_in_libpq() {
    if cluster_db("postgres tls").is_none() {
        return;
    }
    let pg = OwnPg::start();
    let ca = with_tls(&pg);
    sql(&pg.url, "CREATE DATABASE tls");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "none", 0, "");
    let root = format!("sslrootcert={}", ca.display());

    // Encrypted, certificate not checked (it names only localhost; we dial 127.0.0.1).
    for query in [
        "sslmode=require".to_string(),
        format!("sslmode=verify-full&{root}"),
        format!("sslmode=verify-ca&{root}"),
        "sslmode=prefer".to_string(),
    ] {
        let host = if query.contains("verify-full") {
            "localhost"
        } else {
            "127.0.0.1"
        };
        let n = node(&variant(&pg.url, host, &query), &cfg);
        let (encrypted, plain) = natter_connections(&pg.url);
        stop(n);
        assert!(
            encrypted >= 2 && plain == 0,
            "{query}: {encrypted} encrypted, {plain} plain"
        );
    }
    let n = node(&variant(&pg.url, "127.0.0.1", "sslmode=disable"), &cfg);
    let (encrypted, plain) = natter_connections(&pg.url);
    stop(n);
    assert!(
        encrypted == 0 && plain >= 2,
        "disable: {encrypted} encrypted, {plain} plain"
    );

    // Refused: the name is not the host's, or the chain is not to a trusted root.
    for (host, query, why) in [
        (
            "127.0.0.1",
            format!("sslmode=verify-full&{root}"),
            "the name",
        ),
        (
            "localhost",
            "sslmode=verify-full".to_string(),
            "an unknown CA",
        ),
        (
            "localhost",
            "sslmode=verify-ca".to_string(),
            "an unknown CA",
        ),
    ] {
        let mut cmd = natter(&dir);
        cmd.env("NATTER_DATABASE", variant(&pg.url, host, &query))
            .env("NATTER_DATABASE_WAIT", "1")
            .args(["serve", "--config", cfg.to_str().unwrap()]);
        let (code, _, err) = run_to_exit(&mut cmd);
        assert_eq!(code, 1, "{query} ({why}): {err}");
        assert!(
            err.contains("cannot connect to PostgreSQL"),
            "{query}: {err}"
        );
        assert!(
            err.to_lowercase().contains("certificate"),
            "{query} says why: {err}"
        );
    }
}
