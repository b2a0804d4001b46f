//! Pages and sites: the configured sites' rows, the server secret, and pages found or
//! made as comments arrive.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::crypto::ServerKey;
use crate::domain::Timestamp;

/// Marks the configured sites active (creating new ones) and the others inactive.
pub fn sync_sites(conn: &Connection, ids: &[String], now: Timestamp) -> rusqlite::Result<()> {
    conn.execute("UPDATE sites SET active = 0", [])?;
    let mut stmt = conn.prepare(
        "INSERT INTO sites (id, active, created_at) VALUES (?1, 1, ?2)
         ON CONFLICT (id) DO UPDATE SET active = 1",
    )?;
    for id in ids {
        stmt.execute(params![id, now])?;
    }
    Ok(())
}

/// The server secret, made on first start.
pub fn server_key(conn: &Connection) -> rusqlite::Result<ServerKey> {
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM secrets WHERE name = 'server'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(key) = stored.as_deref().and_then(ServerKey::from_bytes) {
        return Ok(key);
    }
    let key = ServerKey::generate();
    conn.execute(
        "INSERT OR REPLACE INTO secrets (name, value) VALUES ('server', ?1)",
        [key.as_bytes()],
    )?;
    Ok(key)
}

/// A page's row.
#[derive(Debug, Clone)]
pub struct Page {
    /// Row id.
    pub id: i64,
    /// Locked by a moderator.
    pub locked: bool,
    /// Time of its first comment.
    pub first_comment_at: Option<Timestamp>,
    /// Title from its first comment.
    pub title: Option<String>,
    /// URL from its first comment.
    pub url: Option<String>,
}

impl Page {
    /// Whether the page takes no more comments at `now`.
    pub fn is_locked(&self, lock_after_days: u32, now: Timestamp) -> bool {
        self.locked
            || (lock_after_days > 0
                && self
                    .first_comment_at
                    .is_some_and(|t| now >= t + i64::from(lock_after_days) * 86_400))
    }
}

/// Looks a page up by site and key.
pub fn find_page(conn: &Connection, site: &str, key: &str) -> rusqlite::Result<Option<Page>> {
    conn.prepare_cached(
        "SELECT id, locked, first_comment_at, title, url FROM pages WHERE site = ?1 AND key = ?2",
    )?
    .query_row(params![site, key], |r| {
        Ok(Page {
            id: r.get(0)?,
            locked: r.get(1)?,
            first_comment_at: r.get(2)?,
            title: r.get(3)?,
            url: r.get(4)?,
        })
    })
    .optional()
}

/// Finds or creates a page: one lookup when it exists, as it does for nearly every comment.
pub fn ensure_page(
    conn: &Connection,
    site: &str,
    key: &str,
    now: Timestamp,
) -> rusqlite::Result<Page> {
    if let Some(p) = find_page(conn, site, key)? {
        return Ok(p);
    }
    conn.prepare_cached(
        "INSERT INTO pages (site, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, key) DO NOTHING",
    )?
    .execute(params![site, key, now])?;
    find_page(conn, site, key)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}
