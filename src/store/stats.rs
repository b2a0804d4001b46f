//! Figures for `/metrics` that only the database knows.

use rusqlite::Connection;

/// Deliveries waiting, deliveries given up, and the main file's size in bytes.
pub fn gauges(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    Ok((
        q("SELECT count(*) FROM outbox WHERE status = 'pending'")?,
        q("SELECT count(*) FROM outbox WHERE status = 'failed'")?,
        q("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")?,
    ))
}

/// Reads the `sites` table: fails when the file lost its tables.
pub fn tables_answer(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sites", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}
