//! The binary's commands: arguments, `serve` (assembling and starting the server), and the
//! one-shot commands (tokens, import, export, backup, restore, `db copy`, healthcheck,
//! `fediverse announce`).

pub mod args;
pub mod commands;
pub mod db;
pub mod fediverse;
pub mod serve;
