//! TLS to PostgreSQL, with libpq's `sslmode` meanings:
//!
//! - `disable`: never;
//! - `prefer` (the default) and `require`: encrypted when (`prefer`) or only if (`require`)
//!   the server offers it, the certificate not checked (what libpq does in these modes:
//!   it protects against a listener, not against a server in the middle);
//! - `verify-ca`: the certificate must chain to a trusted root, whatever name it bears;
//! - `verify-full`: that, and it must name the host connected to.
//!
//! The trusted roots are the PEM file `sslrootcert=PATH` names, or the Mozilla roots
//! built in (a managed PostgreSQL with a public certificate, or `sslrootcert=system`).
//! `verify-ca`, `verify-full` and `sslrootcert` are read from the URL's query here, since
//! the driver knows only the first three modes.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Not at all (`disable`, `prefer`, `require`).
    None,
    /// It chains to a trusted root (`verify-ca`).
    Chain,
    /// It chains to a trusted root and names the host (`verify-full`).
    Full,
}

/// A URL with the parts the driver doesn't know taken out: the URL it can parse, the check
/// asked for, and `sslrootcert` (`None`: the built-in roots).
pub fn split(url: &str) -> Result<(String, Check, Option<String>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), Check::None, None));
    };
    let (mut kept, mut check, mut root) = (Vec::new(), Check::None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| format!("invalid PostgreSQL URL: `{key}` is not UTF-8"))?;
        match (key, value.as_ref()) {
            ("sslmode", "verify-ca") => check = Check::Chain,
            ("sslmode", "verify-full") => check = Check::Full,
            ("sslrootcert", "system") => root = None,
            ("sslrootcert", path) => root = Some(path.to_string()),
            _ => {
                kept.push(pair);
                continue;
            }
        }
        if key == "sslmode" {
            kept.push("sslmode=require");
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, check, root))
}

/// The connector for a database's connections.
pub fn connector(check: Check, root: Option<&str>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::None => Arc::new(EncryptOnly(provider.signature_verification_algorithms)),
        check => {
            let roots = Arc::new(roots(root)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| format!("cannot use the trusted roots: {e}"))?;
            Arc::new(Verify {
                webpki,
                names: check == Check::Full,
            })
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The trusted roots: a PEM file's certificates, or the built-in Mozilla roots.
fn roots(root: Option<&str>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match root {
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("sslrootcert {path} holds no usable certificate"));
            }
        }
    }
    Ok(store)
}

/// `prefer` and `require`: encrypted, the certificate taken as it comes (libpq's meaning),
/// its signatures over the handshake still checked.
#[derive(Debug)]
struct EncryptOnly(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `verify-ca` and `verify-full`: the chain checked; the name too when `names`.
#[derive(Debug)]
struct Verify {
    webpki: Arc<WebPkiServerVerifier>,
    names: bool,
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modes_the_driver_does_not_know_are_taken_out_of_the_url() {
        let (url, check, root) =
            split("postgres://u:p@db:5432/n?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3")
                .unwrap();
        assert_eq!(
            url,
            "postgres://u:p@db:5432/n?sslmode=require&connect_timeout=3"
        );
        assert_eq!(check, Check::Full);
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (url, check, root) =
            split("postgres://db/n?sslmode=verify-ca&sslrootcert=system").unwrap();
        assert_eq!(
            (url.as_str(), check, root),
            ("postgres://db/n?sslmode=require", Check::Chain, None)
        );
        let (url, check, _) = split("postgres://db/n?sslmode=require").unwrap();
        assert_eq!(
            (url.as_str(), check),
            ("postgres://db/n?sslmode=require", Check::None)
        );
        assert_eq!(split("postgres://db/n").unwrap().0, "postgres://db/n");
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(Check::Full, empty.to_str()).err().unwrap();
        assert!(e.contains("no usable certificate"), "{e}");
        let e = connector(Check::Full, Some("/nonexistent/ca.pem"))
            .err()
            .unwrap();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        assert!(connector(Check::Full, None).is_ok());
        assert!(connector(Check::None, None).is_ok());
    }
}
