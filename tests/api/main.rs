//! One test binary: black-box tests against the real server on a random port, each with
//! its own database: a SQLite file, or a PostgreSQL database when `NATTER_TEST_PG` names a
//! server (scripts/test.sh runs the suite both ways).

mod helpers;
mod testdb;

mod admin;
mod autolinks;
mod cli;
mod cluster;
mod comments_create;
mod comments_edit;
mod comments_list;
mod config_file;
mod container;
mod counts;
mod db_copy;
mod deliveries;
mod desk;
mod digest;
mod durability;
mod fetch;
mod fragment;
mod house;
mod http_rules;
mod hygiene;
mod import_backup;
mod import_common;
mod import_disqus;
mod import_isso;
mod import_json;
mod import_wordpress;
mod licences;
mod limits;
mod logs;
mod markdown_props;
mod meta;
mod metrics;
mod moderate_links;
mod notify;
mod notify_config;
mod openapi;
mod outbox;
mod pages_sink;
mod pg_tls;
mod privacy;
mod proxies;
mod public_url;
mod restore;
mod sinks;
mod smtp;
mod stored;
mod thread_cache;
mod votes;
mod webhooks;
mod webmention;
mod webmention_peer;
