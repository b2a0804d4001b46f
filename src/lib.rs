//! Natter: a self-hosted comment service. A blogger runs one binary, pastes one script
//! tag, and readers get fast, threaded, markdown comments with moderation.

pub mod admin;
pub mod avatar;
pub mod backup;
pub mod cache;
pub mod cli;
pub mod client_ip;
pub mod commands;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod feed;
pub mod html;
pub mod import;
pub mod limits;
pub mod links;
pub mod markdown;
pub mod metrics;
pub mod moderate;
pub mod notify;
pub mod openapi;
pub mod restore;
pub mod routes;
pub mod spam;
pub mod startup;
pub mod state;
pub mod telemetry;
