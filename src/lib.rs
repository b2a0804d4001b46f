//! Natter: a self-hosted comment service. A blogger runs one binary, pastes one script
//! tag, and readers get fast, threaded, markdown comments with moderation.
//!
//! The parts, and which may use which (arrows point one way only):
//! `cli` → `routes` → `http` → `actions` → `store` / `notify` / `render` → `domain`.

/// The use cases, each one transaction through the store.
pub mod actions;
/// The binary's commands: arguments, `serve`, backups, imports, tokens.
pub mod cli;
/// The settings file and environment, read and checked once at start.
pub mod config;
/// Pure types and rules: comments, threads, validation, keys and signed links.
pub mod domain;
/// The error every use case can end in, with its contract code (no HTTP here).
pub mod error;
/// Web plumbing: state, extractors, limits, the thread cache, metrics, logs, OpenAPI.
pub mod http;
/// Importers of other systems' exports (Disqus, WordPress, Isso, Natter JSON).
pub mod import;
/// Counters of requests and events, and their Prometheus text form.
pub mod metrics;
/// Notifications: the outbox, its delivery workers, emails, webhooks and digests.
pub mod notify;
/// Stored things to reader-facing bytes: markdown, avatars, feeds, HTML.
pub mod render;
/// Thin HTTP handlers, one file per area, and the route table.
pub mod routes;
/// Every SQL statement: the SQLite pool, writer, checkpoints, migrations and queries.
pub mod store;
