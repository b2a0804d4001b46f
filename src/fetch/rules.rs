//! The operator's exceptions (`fetch_allow`, `fetch_hosts`) and the resolver that applies
//! them with [`refusal`] to every host name reqwest connects to.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::refusal;
use crate::config::Settings;

/// One `fetch_allow` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Allow {
    /// A host name, lower-cased: matches that URL host exactly, whatever it resolves to.
    Name(String),
    /// One address, as written: `127.0.0.1` is neither `::ffff:127.0.0.1` nor `127.0.0.2`.
    Addr(IpAddr),
    /// Every address in a range.
    Net(IpNet),
}

impl Allow {
    /// An entry as the settings spell it.
    pub(crate) fn parse(entry: &str) -> Allow {
        let entry = entry.trim();
        if let Ok(ip) = entry.parse() {
            Allow::Addr(ip)
        } else if let Ok(net) = entry.parse() {
            Allow::Net(net)
        } else {
            Allow::Name(entry.to_ascii_lowercase())
        }
    }
}

/// What the fetcher may reach besides the public Internet, and the names it resolves itself.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    allow: Vec<Allow>,
    hosts: HashMap<String, IpAddr>,
}

impl Rules {
    /// The rules the settings give (entries `Settings::check` would refuse are left out).
    pub(crate) fn new(settings: &Settings) -> Rules {
        let hosts = settings
            .fetch_hosts
            .iter()
            .filter_map(|(name, ip)| Some((name.to_ascii_lowercase(), ip.trim().parse().ok()?)))
            .collect();
        let allow = settings
            .fetch_allow
            .iter()
            .map(|a| Allow::parse(a))
            .collect();
        Rules { allow, hosts }
    }

    /// Whether `fetch_allow` names this host (case-insensitive, exact).
    pub(crate) fn allows_name(&self, host: &str) -> bool {
        self.allow
            .iter()
            .any(|a| matches!(a, Allow::Name(n) if n.eq_ignore_ascii_case(host)))
    }

    /// Whether `fetch_allow` lists this address or a range holding it.
    pub(crate) fn allows_addr(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|a| match a {
            Allow::Addr(x) => *x == ip,
            Allow::Net(net) => net.contains(&ip),
            Allow::Name(_) => false,
        })
    }

    /// Why `ip` may not be reached, or `None` when it is public or allowed.
    pub(crate) fn refused(&self, ip: IpAddr) -> Option<&'static str> {
        refusal(ip).filter(|_| !self.allows_addr(ip))
    }

    /// The addresses `host` may be reached at: the whole answer, or an error naming the
    /// first refused address (one bad address refuses the host: a name that resolves to a
    /// public and a private address is an attempt to reach the private one).
    pub(crate) fn checked(&self, host: &str, addrs: Vec<IpAddr>) -> Result<Vec<IpAddr>, Unusable> {
        if addrs.is_empty() {
            return Err(Unusable::Unresolved);
        }
        if !self.allows_name(host) {
            if let Some((ip, why)) = addrs.iter().find_map(|&ip| Some((ip, self.refused(ip)?))) {
                return Err(Unusable::Refused(format!("{host} resolves to {ip}, {why}")));
            }
        }
        Ok(addrs)
    }
}

/// Why a host name gave no address to connect to. Travels inside reqwest's error and is
/// found again by [`super::send_error`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unusable {
    /// No address (DNS failed or answered nothing).
    #[error("the host could not be resolved")]
    Unresolved,
    /// An address the rules refuse.
    #[error("{0}")]
    Refused(String),
}

/// reqwest's resolver: `fetch_hosts`, else the system's resolver, then [`Rules::checked`].
/// reqwest connects to exactly the addresses returned here, so the name is looked up once
/// and what was checked is what is reached (no second lookup to rebind).
pub(crate) struct Resolver(pub(crate) Arc<Rules>);

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = self.0.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            let addrs = match rules.hosts.get(&host) {
                Some(&ip) => vec![ip],
                None => match tokio::net::lookup_host((host.as_str(), 0)).await {
                    Ok(found) => found.map(|a| a.ip()).collect(),
                    Err(_) => Vec::new(),
                },
            };
            let addrs = rules.checked(&host, addrs)?;
            // Port 0: reqwest puts the URL's port in.
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
