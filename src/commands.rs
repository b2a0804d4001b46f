//! CLI commands that work on the database directly (no server needed).

use anyhow::{bail, Context};

use crate::cli::TokenCommand;
use crate::config::Settings;

/// `natter admin token create|list|revoke`.
pub fn token(settings: &Settings, action: TokenCommand) -> anyhow::Result<()> {
    let mut conn = crate::db::open(&settings.database, settings.durability)
        .with_context(|| format!("cannot open the database {}", settings.database.display()))?;
    crate::db::migrate::run(&mut conn).context("cannot migrate the database")?;
    match action {
        TokenCommand::Create { name } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 100 {
                bail!("a token name must be 1 to 100 characters");
            }
            match crate::admin::create_token(&conn, name)? {
                Some(token) => println!("{token}"),
                None => bail!("a token named {name:?} already exists (revoke it first)"),
            }
        }
        TokenCommand::List => {
            for (name, created) in crate::admin::list_tokens(&conn)? {
                println!("{name}\t{}", crate::domain::rfc3339(created));
            }
        }
        TokenCommand::Revoke { name } => {
            if !crate::admin::revoke_token(&conn, &name)? {
                bail!("no token named {name:?}");
            }
            println!("revoked {name}");
        }
    }
    Ok(())
}
