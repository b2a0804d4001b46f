//! CLI commands that work on the database directly (no server needed).

use anyhow::bail;

use crate::cli::args::{ImportCommand, PageArgs, TokenCommand};
use crate::config::Settings;

/// `natter admin token create|list|revoke`.
pub fn token(settings: &Settings, action: TokenCommand) -> anyhow::Result<()> {
    let conn = crate::import::open_db(settings)?;
    match action {
        TokenCommand::Create { name } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 100 {
                bail!("a token name must be 1 to 100 characters");
            }
            match crate::store::admin_tokens::create_token(&conn, name)? {
                Some(token) => println!("{token}"),
                None => bail!("a token named {name:?} already exists (revoke it first)"),
            }
        }
        TokenCommand::List => {
            for (name, created) in crate::store::admin_tokens::list_tokens(&conn)? {
                println!("{name}\t{}", crate::domain::rfc3339(created));
            }
        }
        TokenCommand::Revoke { name } => {
            if !crate::store::admin_tokens::revoke_token(&conn, &name)? {
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

/// `natter backup FILE`.
pub fn backup(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let b = crate::store::backup::backup(settings, file)?;
    println!(
        "backup written to {} ({} bytes, {} comments, integrity ok)",
        b.path.display(),
        b.bytes,
        b.comments
    );
    Ok(())
}

/// `natter restore FILE`.
pub fn restore(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
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
