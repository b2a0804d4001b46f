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
    /// Import comments from Disqus, WordPress, Isso or a Natter export (safe to re-run).
    Import {
        /// Where the comments come from.
        #[command(subcommand)]
        from: ImportCommand,
    },
    /// Export a site as JSON Lines, private fields included (see `import json`).
    Export {
        /// The site to export.
        #[arg(long)]
        site: String,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Database tools.
    Db {
        /// What to do.
        #[command(subcommand)]
        what: DbCommand,
    },
    /// Copy the database consistently while the server runs (SQLite online backup; on
    /// PostgreSQL use pg_dump, or `natter db copy` into a SQLite file).
    Backup {
        /// Where the copy goes (replaced if it exists).
        file: PathBuf,
    },
    /// Replace the database with a backup, after checking it (SQLite). Refused while a server
    /// or another program has the database open: stop it first. The previous database is kept
    /// as DATABASE.before-restore.
    Restore {
        /// The backup (a file made by `natter backup`).
        file: PathBuf,
    },
    /// The Fediverse: announce a blog post to a site's followers.
    Fediverse {
        /// What to do.
        #[command(subcommand)]
        what: FediverseCommand,
    },
    /// Ask the server on the configured `bind` address for `/healthz`: exit 0 when it answers
    /// 200 (for container health checks, where there is no curl).
    Healthcheck,
}

/// `natter fediverse …`.
#[derive(Debug, Subcommand)]
pub enum FediverseCommand {
    /// Announce a post to the followers of a site with `fediverse = true` (a `Create`, or an
    /// `Update` when the page was announced before); prints the post's object id.
    Announce {
        /// The site.
        #[arg(long)]
        site: String,
        /// The page key the widget uses for the post (its path).
        #[arg(long)]
        page: String,
        /// The post's URL.
        #[arg(long)]
        url: String,
        /// The post's title.
        #[arg(long)]
        title: String,
        /// A line or two about the post.
        #[arg(long)]
        summary: Option<String>,
    },
}

/// How source links become page keys (`natter import disqus|wordpress|isso`).
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// The site to import into (must be configured).
    #[arg(long, default_value = "default")]
    pub site: String,
    /// Keep the whole URL as the page key instead of its path.
    #[arg(long)]
    pub full_url: bool,
    /// Map old page keys to new ones: OLD_PREFIX=NEW_PREFIX (repeatable; first match wins).
    #[arg(long, value_name = "OLD=NEW")]
    pub rewrite: Vec<String>,
}

/// `natter import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A Disqus XML export.
    Disqus {
        /// The export file.
        file: PathBuf,
        /// Page options.
        #[command(flatten)]
        pages: PageArgs,
    },
    /// A WordPress export (WXR).
    Wordpress {
        /// The export file.
        file: PathBuf,
        /// Page options.
        #[command(flatten)]
        pages: PageArgs,
        /// Keep pingbacks and trackbacks (skipped by default).
        #[arg(long)]
        include_pingbacks: bool,
    },
    /// An Isso SQLite database (read-only).
    Isso {
        /// The database file.
        file: PathBuf,
        /// Page options.
        #[command(flatten)]
        pages: PageArgs,
    },
    /// A Natter export (`natter export`), keeping Natter's ids.
    Json {
        /// The export file.
        file: PathBuf,
        /// Only this site (default: the file's site).
        #[arg(long)]
        site: Option<String>,
    },
}

/// `natter db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy a whole database, ids and times kept, into an empty one: SQLite to PostgreSQL,
    /// PostgreSQL to SQLite, or to one of its own kind. The source must have this natter's
    /// schema; the target is migrated first and must hold no row.
    Copy {
        /// The database to copy: a SQLite file (or sqlite://PATH) or a postgres:// URL
        /// (default: the configured `database`).
        #[arg(long, value_name = "DB")]
        from: Option<String>,
        /// The empty database to copy into (made if it is a SQLite file that does not exist).
        #[arg(long, value_name = "DB")]
        to: String,
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
