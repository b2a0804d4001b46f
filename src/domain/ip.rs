//! Client IP anonymization: IPv4 keeps its /24, IPv6 its /48; the full address is never kept.

use std::net::IpAddr;

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
