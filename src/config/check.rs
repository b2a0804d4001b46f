//! The range checks serde can't express.

use super::{Settings, MAX_DIGEST_WINDOW, WEBHOOK_EVENTS};

impl Settings {
    /// Range checks serde can't express; returns the offending key.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() && !self.bind.contains(':') {
            return Err(("bind".into(), "expected host:port".into()));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err((
                "public_url".into(),
                "must start with http:// or https://".into(),
            ));
        }
        if let Err(e) = crate::domain::ip::TrustedProxies::parse(&self.trusted_proxies) {
            return Err(("trusted_proxies".into(), e));
        }
        if let Some(d) = self.database.to_str() {
            if d.contains("://") && self.postgres_url().is_none() {
                return Err((
                    "database".into(),
                    "a SQLite path (or sqlite://PATH) or a postgres:// URL; no other scheme \
                     is known"
                        .into(),
                ));
            }
        }
        if self.outbox_max_age < 0 {
            return Err(("outbox_max_age".into(), "must not be negative".into()));
        }
        if self.limits.max_body_bytes < 1024 {
            return Err((
                "limits.max_body_bytes".into(),
                "must be at least 1024".into(),
            ));
        }
        for (id, site) in &self.sites {
            if !crate::domain::is_site_id(id) {
                return Err((format!("sites.{id}"), "site ids are [a-z0-9-]{1,64}".into()));
            }
            if site.origins.is_empty() {
                return Err((
                    format!("sites.{id}.origins"),
                    "at least one origin is required".into(),
                ));
            }
            for o in &site.origins {
                if o != "*" && !crate::domain::is_origin(o) {
                    return Err((
                        format!("sites.{id}.origins"),
                        format!("{o:?} is not an origin (scheme://host[:port]) or *"),
                    ));
                }
            }
            if site.max_depth == 0 || site.max_depth > 100 {
                return Err((format!("sites.{id}.max_depth"), "must be 1..100".into()));
            }
            self.check_fediverse(id, site)?;
            self.check_sign_in(id, site)?;
        }
        for (name, p) in &self.oidc {
            let key = |k: &str| format!("oidc.{name}.{k}");
            if !crate::domain::is_site_id(name) || name.len() > 32 {
                return Err((format!("oidc.{name}"), "names are [a-z0-9-]{1,32}".into()));
            }
            let issuer = url::Url::parse(&p.issuer).ok();
            if !issuer.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
                return Err((key("issuer"), "must be an http(s) URL".into()));
            }
            if p.client_id.trim().is_empty() {
                return Err((key("client_id"), "must not be empty".into()));
            }
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.is_empty() {
                return Err(("smtp.host".into(), "must not be empty".into()));
            }
            if !(1..=MAX_DIGEST_WINDOW).contains(&smtp.digest_window) {
                return Err((
                    "smtp.digest_window".into(),
                    format!("must be 1..{MAX_DIGEST_WINDOW} seconds"),
                ));
            }
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                return Err((
                    format!("webhooks[{i}].url"),
                    "must be an http(s) URL".into(),
                ));
            }
            if let Some(e) = w
                .events
                .iter()
                .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
            {
                return Err((
                    format!("webhooks[{i}].events"),
                    format!("{e:?} is not one of {}", WEBHOOK_EVENTS.join(", ")),
                ));
            }
        }
        for (i, a) in self.fetch_allow.iter().enumerate() {
            let a = a.trim();
            let ok = a.parse::<std::net::IpAddr>().is_ok()
                || a.parse::<ipnet::IpNet>().is_ok()
                || crate::domain::is_host_name(a);
            if !ok {
                return Err((
                    format!("fetch_allow[{i}]"),
                    format!("{a:?} is not a host name, an address or a CIDR range"),
                ));
            }
        }
        for (name, addr) in &self.fetch_hosts {
            if !crate::domain::is_host_name(name) {
                return Err((
                    format!("fetch_hosts.{name}"),
                    "the key must be a host name".into(),
                ));
            }
            if addr.trim().parse::<std::net::IpAddr>().is_err() {
                return Err((
                    format!("fetch_hosts.{name}"),
                    format!("{addr:?} is not an IP address"),
                ));
            }
        }
        Ok(())
    }

    /// `sign_in` names `passkey` or a configured `oidc:<name>`, each once; `require_sign_in`
    /// needs one of them.
    fn check_sign_in(&self, id: &str, site: &super::SiteConfig) -> Result<(), (String, String)> {
        let key = format!("sites.{id}.sign_in");
        for (i, way) in site.sign_in.iter().enumerate() {
            let known = way == "passkey"
                || way
                    .strip_prefix("oidc:")
                    .is_some_and(|n| self.oidc.contains_key(n));
            if !known {
                return Err((
                    key,
                    format!(
                        "{way:?} is not \"passkey\" or \"oidc:<name>\" of an [oidc.<name>] table"
                    ),
                ));
            }
            if site.sign_in[..i].contains(way) {
                return Err((key, format!("{way:?} is named twice")));
            }
        }
        if site.require_sign_in && site.sign_in.is_empty() {
            return Err((
                format!("sites.{id}.require_sign_in"),
                "needs at least one way in sign_in".into(),
            ));
        }
        Ok(())
    }

    /// A Fediverse site needs a handle of its own: `[a-z0-9_]{1,30}`, no other site's.
    fn check_fediverse(&self, id: &str, site: &super::SiteConfig) -> Result<(), (String, String)> {
        let key = format!("sites.{id}.fediverse_handle");
        match (&site.fediverse_handle, site.fediverse) {
            (None, true) => Err((key, "is required with fediverse = true".into())),
            (Some(h), _) if !crate::domain::validate::is_handle(h) => Err((
                key,
                format!("{h:?} is not a handle: 1 to 30 of a-z, 0-9 and _"),
            )),
            (Some(h), _) => {
                let taken = self.sites.iter().find(|(other, s)| {
                    other.as_str() < id && s.fediverse_handle.as_deref() == Some(h.as_str())
                });
                match taken {
                    Some((other, _)) => Err((
                        key,
                        format!("{h:?} is already the handle of the site {other}"),
                    )),
                    None => Ok(()),
                }
            }
            (None, false) => Ok(()),
        }
    }
}
