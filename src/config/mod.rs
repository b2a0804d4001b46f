//! Typed settings: defaults, then the TOML file, then `NATTER_*` environment overrides.
//! The types are here; reading them in [`load`](Settings::load) (`load.rs`), the checks
//! serde can't express in `check.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod check;
mod load;

/// Everything the service needs to know, read once at start-up and passed by value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// The database: a SQLite file's path (or `sqlite://PATH`), or a PostgreSQL URL
    /// (`postgres://` or `postgresql://`); see [`Settings::postgres_url`].
    pub database: PathBuf,
    /// The public origin of this server, used in emails, feeds and avatars.
    pub public_url: String,
    /// Peers whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<String>,
    /// `full` (fsync on every commit) or `normal` (survives a process crash only).
    pub durability: Durability,
    /// Seconds an undeliverable email or webhook is retried before it is given up.
    pub outbox_max_age: i64,
    /// Abuse limits per anonymized IP.
    pub limits: Limits,
    /// Declared sites; none means one `default` site open to every origin.
    pub sites: BTreeMap<String, SiteConfig>,
    /// Outgoing mail; absent means no email.
    pub smtp: Option<Smtp>,
    /// Webhook receivers.
    pub webhooks: Vec<Webhook>,
    /// Host names or addresses (or CIDR ranges) the outbound fetcher may reach although they
    /// are private, loopback or otherwise refused (`src/fetch/`); empty: none.
    pub fetch_allow: Vec<String>,
    /// Host names the outbound fetcher resolves to a fixed address instead of asking DNS,
    /// as `/etc/hosts` would (the address still passes the fetcher's rules).
    pub fetch_hosts: BTreeMap<String, String>,
    /// OpenID Connect providers a site's `sign_in` may name as `oidc:<name>`.
    pub oidc: BTreeMap<String, OidcProvider>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            database: PathBuf::from("./natter.db"),
            public_url: "http://localhost:8080".into(),
            trusted_proxies: Vec::new(),
            durability: Durability::Full,
            outbox_max_age: 3 * 86_400,
            limits: Limits::default(),
            sites: BTreeMap::new(),
            smtp: None,
            webhooks: Vec::new(),
            fetch_allow: Vec::new(),
            fetch_hosts: BTreeMap::new(),
            oidc: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The PostgreSQL URL when `database` names one; `None` for a SQLite file.
    pub fn postgres_url(&self) -> Option<&str> {
        self.database.to_str().filter(|d| is_postgres_url(d))
    }

    /// `database` with a `sqlite://` prefix taken off (the path is what follows it).
    pub(crate) fn strip_sqlite_scheme(&mut self) {
        if let Some(path) = self.database.to_str().map(sqlite_path) {
            self.database = PathBuf::from(path);
        }
    }
}

/// Whether a `database` value names PostgreSQL (`postgres://` or `postgresql://`).
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// The SQLite path a `database` value names: itself, or what follows `sqlite://`.
pub fn sqlite_path(database: &str) -> &str {
    database.strip_prefix("sqlite://").unwrap_or(database)
}

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// `synchronous = FULL`: a 201 survives power loss.
    Full,
    /// `synchronous = NORMAL`: a 201 survives a process crash only.
    Normal,
}

/// Per-IP quotas; 0 means unlimited.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Comments created per minute.
    pub comments_per_minute: u32,
    /// Votes per minute.
    pub votes_per_minute: u32,
    /// Reads per minute.
    pub reads_per_minute: u32,
    /// Edits and deletes of one's own comment (with its edit token) per minute; also
    /// Webmentions received and sign-in steps (`src/http/middleware.rs`).
    pub edits_per_minute: u32,
    /// Requests per minute to every other route: the widget, the admin page, translations,
    /// avatars, the OpenAPI document, `/healthz`, `/metrics`, signed-link pages.
    pub assets_per_minute: u32,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            comments_per_minute: 5,
            votes_per_minute: 30,
            reads_per_minute: 600,
            edits_per_minute: 30,
            assets_per_minute: 1200,
            max_body_bytes: 262_144,
        }
    }
}

/// Moderation mode of a site.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// Everything is published at once.
    None,
    /// Held unless the commenter already has an approved comment (email + author key).
    First,
    /// Everything is held.
    All,
}

impl Moderation {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::None => "none",
            Moderation::First => "first",
            Moderation::All => "all",
        }
    }
}

/// One blog's settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Allowed browser origins (`scheme://host[:port]`) or `*`.
    pub origins: Vec<String>,
    /// Moderation mode.
    #[serde(default = "default_moderation")]
    pub moderation: Moderation,
    /// Seconds a commenter may edit or delete; 0 = never.
    #[serde(default = "default_edit_window")]
    pub edit_window: u32,
    /// Display nesting depth.
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    /// A name is required.
    #[serde(default)]
    pub require_name: bool,
    /// An email is required.
    #[serde(default)]
    pub require_email: bool,
    /// Images allowed in comments.
    #[serde(default)]
    pub images: bool,
    /// Threads close this many days after their first comment; 0 = never.
    #[serde(default)]
    pub lock_after_days: u32,
    /// Comments without a form token are held.
    #[serde(default)]
    pub require_form_token: bool,
    /// A form token younger than this holds the comment; 0 = off.
    #[serde(default = "default_min_form_seconds")]
    pub min_form_seconds: u32,
    /// Webmentions to this site's pages are received (`POST /webmention`).
    #[serde(default)]
    pub webmention: bool,
    /// The site is a Fediverse actor (`@fediverse_handle@<host of public_url>`): followed,
    /// announcing posts, taking replies as comments (`src/fediverse/`).
    #[serde(default)]
    pub fediverse: bool,
    /// The actor's user name, `[a-z0-9_]{1,30}`, unique across sites; required with
    /// `fediverse = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fediverse_handle: Option<String>,
    /// The owners' display names: nobody else may comment under them; a comment posted
    /// with an admin token is badged as the owner's.
    #[serde(default)]
    pub owners: Vec<String>,
    /// How commenters may sign in: `passkey` and `oidc:<name>`; empty: not at all.
    #[serde(default)]
    pub sign_in: Vec<String>,
    /// Only signed-in commenters may post.
    #[serde(default)]
    pub require_sign_in: bool,
}

fn default_moderation() -> Moderation {
    Moderation::None
}
fn default_edit_window() -> u32 {
    900
}
fn default_max_depth() -> u32 {
    5
}
fn default_min_form_seconds() -> u32 {
    3
}

impl SiteConfig {
    /// The implicit site used when the config declares none.
    pub fn open_default() -> Self {
        SiteConfig {
            origins: vec!["*".into()],
            moderation: Moderation::None,
            edit_window: default_edit_window(),
            max_depth: default_max_depth(),
            require_name: false,
            require_email: false,
            images: false,
            lock_after_days: 0,
            require_form_token: false,
            min_form_seconds: default_min_form_seconds(),
            webmention: false,
            fediverse: false,
            fediverse_handle: None,
            owners: Vec::new(),
            sign_in: Vec::new(),
            require_sign_in: false,
        }
    }

    /// Whether `name` is one of the owners' names (compared trimmed, in any case).
    pub fn is_owner_name(&self, name: &str) -> bool {
        let name = name.trim().to_lowercase();
        !name.is_empty() && self.owners.iter().any(|o| o.trim().to_lowercase() == name)
    }

    /// Whether a browser origin may write to this site.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

/// TLS mode for SMTP.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP.
    None,
    /// Upgrade with STARTTLS.
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// Outgoing mail server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Smtp {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Login user; empty = no authentication.
    pub username: String,
    /// Login password.
    pub password: String,
    /// Transport security.
    pub tls: SmtpTls,
    /// The `From` header.
    pub from: String,
    /// Who is told about new comments.
    pub moderators: Vec<String>,
    /// Moderation mails each moderator gets one by one within `digest_window`; past that,
    /// new comments are gathered into a digest. 0 = never digest.
    pub digest_after: u32,
    /// Seconds: the window `digest_after` counts over, and how long a digest gathers
    /// comments before it is sent.
    pub digest_window: u32,
}

/// The longest `digest_window`: a digest waits at most a day (its links work 7 days).
pub const MAX_DIGEST_WINDOW: u32 = 86_400;

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            host: "localhost".into(),
            port: 25,
            username: String::new(),
            password: String::new(),
            tls: SmtpTls::None,
            from: "Natter <natter@localhost>".into(),
            moderators: Vec::new(),
            digest_after: 10,
            digest_window: 600,
        }
    }
}

/// The events a webhook can ask for.
pub const WEBHOOK_EVENTS: [&str; 4] = [
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.deleted",
];

/// One webhook receiver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Where the JSON is posted.
    pub url: String,
    /// Which events it receives (of [`WEBHOOK_EVENTS`]); empty = all.
    #[serde(default)]
    pub events: Vec<String>,
    /// HMAC-SHA256 key for the signature header.
    #[serde(default)]
    pub secret: String,
}

/// An OpenID Connect provider (`[oidc.<name>]`).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// The issuer URL; `/.well-known/openid-configuration` under it is read.
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret (never logged).
    #[serde(default)]
    pub client_secret: String,
    /// The sign-in button's text; the name when absent.
    #[serde(default)]
    pub label: String,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// A config that cannot be used; the message names the file and the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// The declared sites, or the implicit `default` one.
    pub fn effective_sites(&self) -> BTreeMap<String, SiteConfig> {
        if self.sites.is_empty() {
            let mut m = BTreeMap::new();
            m.insert("default".to_string(), SiteConfig::open_default());
            m
        } else {
            self.sites.clone()
        }
    }
}
