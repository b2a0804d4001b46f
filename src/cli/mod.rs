//! The binary's commands: arguments, `serve` (assembling and starting the server), and the
//! one-shot commands (tokens, import, export, backup, restore, `db copy`, healthcheck).

pub mod args;
pub mod commands;
pub mod db;
pub mod serve;
