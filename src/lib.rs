//! Natter: a self-hosted comment service. A blogger runs one binary, pastes one script
//! tag, and readers get fast, threaded, markdown comments with moderation.
//!
//! The parts, and which may use which (arrows point one way only; `tests/api/house.rs`
//! checks them): `cli` → `routes` → `http` → `actions` → `notify` → `store` → `domain`;
//! `import` → `store`; `render` (used by routes, actions, notify and import) → `domain`;
//! `config`, `error` and `metrics` are leaves; `fetch` (the outbound fetcher, over `config`)
//! and `mf2` (microformats2 parsing) are used by `actions`. README, "Architecture", says what each owns;
//! README, "Outgrowing one machine", how several nodes share one PostgreSQL database.

/// The use cases, one function each, each one transaction through the store. No actix.
pub mod actions;
/// The binary's commands: arguments, `serve`, backups, imports, tokens.
pub mod cli;
/// The settings file and environment, read and checked once at start.
pub mod config;
/// Pure types and rules: comments, threads, validation, keys and signed links.
pub mod domain;
/// The error every use case can end in, with its contract code (no HTTP here).
pub mod error;
/// ActivityPub's pure parts: actor URLs, keys, HTTP signatures, the JSON sent and read.
pub mod fediverse;
/// The one way Natter fetches a URL someone else gave it: address rules, redirects, caps.
pub mod fetch;
/// Web plumbing: state, extractors, middleware, limits, the thread cache, the request log.
pub mod http;
/// Importers of other systems' exports (Disqus, WordPress, Isso, Natter JSON).
pub mod import;
/// Counters of requests and events, and their Prometheus text form.
pub mod metrics;
/// Microformats2: what a page's `h-entry` says (author, content, what it replies to).
pub mod mf2;
/// Notifications: what each event queues (mail, webhooks, digests) and the delivery workers.
pub mod notify;
/// Stored things to reader-facing bytes: markdown, avatars, feeds, HTML.
pub mod render;
/// Thin HTTP handlers, one file per area, the route table and the generated OpenAPI document.
pub mod routes;
pub mod signin;
/// Every SQL statement, behind `Store` and `Tx`, on either engine: SQLite (the pool, the
/// writer, checkpoints, migrations, backups) and PostgreSQL (`store/pg/`: writers, the
/// commit listener, cluster limits, migrations), and the queries of each table for each.
pub mod store;
