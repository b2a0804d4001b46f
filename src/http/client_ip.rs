//! Which address a request comes from: the peer, or `X-Forwarded-For` walked from the
//! right when (and only when) the peer is a trusted proxy.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::domain::ip::{canonical, TrustedProxies};
use actix_web::HttpRequest;

/// Set once the log has said that `X-Forwarded-For` came from an untrusted peer.
static WARNED_UNTRUSTED: AtomicBool = AtomicBool::new(false);

/// The client address for limits, votes and anonymized storage.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| canonical(a.ip()))
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let mut forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .peekable();
    if !trusted.contains(peer) {
        if forwarded.peek().is_some() && !WARNED_UNTRUSTED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "X-Forwarded-For arrived from a peer that is not in trusted_proxies, and is \
                 ignored; behind a proxy, list its address or range there (logged once)"
            );
        }
        return peer;
    }
    let mut client = peer;
    // Each proxy appends the address it saw; the rightmost untrusted hop is the first
    // one a trusted proxy vouches for, anything left of it is client-controlled.
    let hops = forwarded
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !trusted.contains(client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_ranges_and_mapped_peers() {
        let t = TrustedProxies::parse(&[
            "10.0.0.1".into(),
            "192.168.0.0/16".into(),
            "2001:db8::/32".into(),
            "::ffff:172.16.0.0/108".into(),
        ])
        .unwrap();
        for yes in [
            "10.0.0.1",
            "::ffff:10.0.0.1",
            "192.168.0.0",
            "192.168.255.255",
            "::ffff:192.168.3.4",
            "2001:db8:ffff::1",
            "172.16.0.1",
            "172.31.255.255",
        ] {
            assert!(t.contains(ip(yes)), "{yes}");
        }
        for no in [
            "10.0.0.2",
            "::ffff:10.0.0.2",
            "192.169.0.0",
            "192.167.255.255",
            "2001:db9::1",
            "172.32.0.0",
            "::1",
            "127.0.0.1",
        ] {
            assert!(!t.contains(ip(no)), "{no}");
        }
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/", "2001:db8::/129"] {
            let e = TrustedProxies::parse(&["10.0.0.1".into(), bad.into()]).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }
}
