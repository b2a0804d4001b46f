//! CLI commands that work on the database directly (no server needed).

use anyhow::bail;

use crate::cli::args::{ImportCommand, PageArgs, TokenCommand};
use crate::config::Settings;

/// The admin-token statements of the configured database's engine.
enum Tokens {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

impl Tokens {
    fn open(settings: &Settings) -> anyhow::Result<Tokens> {
        Ok(match settings.postgres_url() {
            Some(url) => Tokens::Postgres(crate::store::pg::command::open_migrated(url)?),
            None => Tokens::Sqlite(
                crate::store::open_migrated(&settings.database, settings.durability)?.0,
            ),
        })
    }

    fn create(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(match self {
            Tokens::Sqlite(c) => crate::store::admin_tokens::create_token(c, name)?,
            Tokens::Postgres(c) => crate::store::pg::startup::create_token(c, name)?,
        })
    }

    fn list(&mut self) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(match self {
            Tokens::Sqlite(c) => crate::store::admin_tokens::list_tokens(c)?,
            Tokens::Postgres(c) => crate::store::pg::startup::list_tokens(c)?,
        })
    }

    fn revoke(&mut self, name: &str) -> anyhow::Result<bool> {
        Ok(match self {
            Tokens::Sqlite(c) => crate::store::admin_tokens::revoke_token(c, name)?,
            Tokens::Postgres(c) => crate::store::pg::startup::revoke_token(c, name)?,
        })
    }
}

/// `natter admin token create|list|revoke`.
pub fn token(settings: &Settings, action: TokenCommand) -> anyhow::Result<()> {
    let mut tokens = Tokens::open(settings)?;
    match action {
        TokenCommand::Create { name } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 100 {
                bail!("a token name must be 1 to 100 characters");
            }
            match tokens.create(name)? {
                Some(token) => println!("{token}"),
                None => bail!("a token named {name:?} already exists (revoke it first)"),
            }
        }
        TokenCommand::List => {
            for (name, created) in tokens.list()? {
                println!("{name}\t{}", crate::domain::rfc3339(created));
            }
        }
        TokenCommand::Revoke { name } => {
            if !tokens.revoke(&name)? {
                bail!("no token named {name:?}");
            }
            println!("revoked {name}");
        }
    }
    Ok(())
}

fn page_rules(args: &PageArgs) -> anyhow::Result<crate::import::PageRules> {
    let rewrites = args
        .rewrite
        .iter()
        .map(|r| crate::import::Rewrite::parse(r).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    Ok(crate::import::PageRules {
        full_url: args.full_url,
        rewrites,
    })
}

/// `natter import disqus|wordpress|isso|json`: prints the summary to standard output.
pub fn import(settings: &Settings, from: ImportCommand) -> anyhow::Result<()> {
    use crate::import;
    let report = match from {
        ImportCommand::Disqus { file, pages } => {
            import::disqus::import(settings, &pages.site, &file, &page_rules(&pages)?)?
        }
        ImportCommand::Wordpress {
            file,
            pages,
            include_pingbacks,
        } => import::wordpress::import(
            settings,
            &pages.site,
            &file,
            &import::wordpress::Options {
                rules: page_rules(&pages)?,
                include_pingbacks,
            },
        )?,
        ImportCommand::Isso { file, pages } => {
            import::isso::import(settings, &pages.site, &file, &page_rules(&pages)?)?
        }
        ImportCommand::Json { file, site } => {
            import::json::import(settings, site.as_deref(), &file)?
        }
    };
    print!("{}", report.render());
    Ok(())
}

/// `natter export --site S [--out FILE]`.
pub fn export(
    settings: &Settings,
    site: &str,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let n = crate::import::json::export(settings, site, out)?;
    let to = out.map_or_else(
        || "standard output".to_string(),
        |p| p.display().to_string(),
    );
    eprintln!(
        "exported site {site:?} to {to}: {} pages, {} comments, {} votes",
        n.pages, n.comments, n.votes
    );
    Ok(())
}

/// `natter backup FILE` (SQLite only).
pub fn backup(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    if let Some(url) = settings.postgres_url() {
        bail!(
            "`natter backup` copies a SQLite database, and this one is PostgreSQL ({}): back \
             it up with PostgreSQL's own tools (for example `pg_dump --format=custom \
             --file=natter.dump` with the same connection settings), or make a SQLite copy \
             with `natter db copy --to {}`",
            crate::store::pg::command::place(url),
            file.display()
        );
    }
    let b = crate::store::backup::backup(settings, file)?;
    println!(
        "backup written to {} ({} bytes, {} comments, integrity ok)",
        b.path.display(),
        b.bytes,
        b.comments
    );
    Ok(())
}

/// `natter restore FILE` (SQLite only).
pub fn restore(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    if let Some(url) = settings.postgres_url() {
        bail!(
            "`natter restore` replaces a SQLite database file, and this one is PostgreSQL \
             ({}): restore a pg_dump with `pg_restore`, or copy a SQLite backup into an empty \
             database with `natter db copy --from {} --to <database URL>`",
            crate::store::pg::command::place(url),
            file.display()
        );
    }
    let r = crate::store::restore::restore(settings, file)?;
    println!(
        "restored {} into {} ({} bytes, {} comments, schema {}, integrity ok)",
        file.display(),
        r.database.display(),
        r.bytes,
        r.comments,
        r.schema
    );
    if let Some(kept) = &r.kept {
        println!(
            "the previous database is kept as {}; remove it once the restore is confirmed",
            kept.display()
        );
    }
    Ok(())
}

/// `natter healthcheck`: `GET /healthz` on the `bind` address (a wildcard address is asked
/// on loopback), 200 within two seconds or an error.
pub fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
    use std::time::Duration;

    let mut addr = settings
        .bind
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| anyhow::anyhow!("bind = {:?} is not an address", settings.bind))?;
    if addr.ip().is_unspecified() {
        let lo = match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        addr = SocketAddr::new(lo, addr.port());
    }
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| anyhow::anyhow!("cannot reach {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..n]);
    let status = line.split_whitespace().nth(1).unwrap_or("no answer");
    if status == "200" {
        println!("ok");
        Ok(())
    } else {
        anyhow::bail!("{addr}/healthz answered {status}")
    }
}
