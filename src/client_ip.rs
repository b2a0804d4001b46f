//! Which address a request comes from: the peer, or `X-Forwarded-For` walked from the
//! right when (and only when) the peer is a trusted proxy.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client address for limits, votes and anonymized storage.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    // Each proxy appends the address it saw; the rightmost untrusted hop is the first
    // one a trusted proxy vouches for, anything left of it is client-controlled.
    let hops = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}
