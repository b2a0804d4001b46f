//! Client IP anonymization: IPv4 keeps its /24, IPv6 its /48; the full address is never kept.

use std::net::IpAddr;

use ipnet::IpNet;

/// An anonymized client address, the key for votes, limits and duplicate checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnonIp(String);

impl AnonIp {
    /// Masks an address down to its network.
    pub fn from_ip(ip: IpAddr) -> AnonIp {
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                AnonIp(format!("{}.{}.{}.0", o[0], o[1], o[2]))
            }
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return AnonIp::from_ip(IpAddr::V4(v4));
                }
                let s = v6.segments();
                AnonIp(format!("{:x}:{:x}:{:x}::", s[0], s[1], s[2]))
            }
        }
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_keeps_its_slash_24() {
        assert_eq!(
            AnonIp::from_ip("203.0.113.77".parse().unwrap()).as_str(),
            "203.0.113.0"
        );
    }

    #[test]
    fn ipv6_keeps_its_slash_48() {
        assert_eq!(
            AnonIp::from_ip("2001:db8:abcd:12:1:2:3:4".parse().unwrap()).as_str(),
            "2001:db8:abcd::"
        );
    }

    #[test]
    fn mapped_ipv4_is_treated_as_ipv4() {
        assert_eq!(
            AnonIp::from_ip("::ffff:10.1.2.3".parse().unwrap()).as_str(),
            "10.1.2.0"
        );
    }
}

/// `trusted_proxies`: addresses and CIDR ranges. IPv4-mapped IPv6 addresses (how an IPv4
/// peer shows on a dual-stack `[::]` bind) are matched as the IPv4 address they carry.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses the config's entries; the error names the first entry that is neither an
    /// address nor a range.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| {
                let e = e.trim();
                let net = match e.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(canonical(ip)),
                    Err(_) => e.parse::<IpNet>().map_err(|_| {
                        format!("{e:?} is not an IP address or a CIDR range (such as 10.0.0.0/8)")
                    })?,
                };
                Ok(unmap(net))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is (or is inside) one of the entries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A range inside `::ffff:0:0/96` as the IPv4 range it maps.
fn unmap(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96)
                .map(|n| n.trunc())
                .unwrap_or(net),
            None => net,
        },
        other => other,
    }
}
