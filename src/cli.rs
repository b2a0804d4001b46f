//! The command line of the contract (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Natter: a small, fast, self-hosted comment service.
#[derive(Debug, Parser)]
#[command(name = "natter", version, about)]
pub struct Cli {
    /// Config file (TOML); also NATTER_CONFIG.
    #[arg(long, global = true, env = "NATTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the widget and the demo page (the default).
    Serve,
    /// Administration.
    Admin {
        /// What to administer.
        #[command(subcommand)]
        what: AdminCommand,
    },
}

/// `natter admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Admin bearer tokens.
    Token {
        /// Token action.
        #[command(subcommand)]
        action: TokenCommand,
    },
}

/// `natter admin token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        /// A name to recognise (and revoke) it by.
        #[arg(long)]
        name: String,
    },
    /// List the tokens' names.
    List,
    /// Revoke a token by name.
    Revoke {
        /// The token's name.
        name: String,
    },
}
