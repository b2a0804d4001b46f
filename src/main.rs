//! `natter`: command-line dispatch only.

use std::process::ExitCode;

use clap::Parser;
use natter::cli::args::{AdminCommand, Cli, Command, DbCommand, FediverseCommand};
use natter::config::Settings;
use natter::store::lock;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _logs = natter::http::telemetry::init();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("natter: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    // Every command that opens the database holds its lock file shared while it runs, so
    // `natter restore` (which takes it exclusively) never replaces the file under one, and
    // none starts while a restore runs. See `natter::store::lock`. PostgreSQL has no file
    // to lock (and no `natter restore`); `db copy` locks the SQLite files it names itself.
    let _lock = match &command {
        Command::Restore { .. } | Command::Healthcheck | Command::Db { .. } => None,
        _ if settings.postgres_url().is_some() => None,
        _ => match lock::shared(&settings.database) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("natter: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let result = match command {
        Command::Serve => serve(settings),
        Command::Admin {
            what: AdminCommand::Token { action },
        } => natter::cli::commands::token(&settings, action),
        Command::Import { from } => natter::cli::commands::import(&settings, from),
        Command::Export { site, out } => {
            natter::cli::commands::export(&settings, &site, out.as_deref())
        }
        Command::Db {
            what: DbCommand::Copy { from, to },
        } => natter::cli::db::copy(&settings, from.as_deref(), &to),
        Command::Backup { file } => natter::cli::commands::backup(&settings, &file),
        Command::Restore { file } => natter::cli::commands::restore(&settings, &file),
        Command::Healthcheck => natter::cli::commands::healthcheck(&settings),
        Command::Fediverse {
            what:
                FediverseCommand::Announce {
                    site,
                    page,
                    url,
                    title,
                    summary,
                },
        } => natter::cli::fediverse::announce(
            settings,
            &site,
            &page,
            &url,
            &title,
            summary.as_deref(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}`: the whole chain of causes ("cannot create X: No such file or directory").
            eprintln!("natter: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = natter::cli::serve::Application::build(settings)?;
        tracing::info!(port = app.port(), "natter is listening");
        app.run_until_stopped().await?;
        Ok(())
    })
}
