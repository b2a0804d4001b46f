//! `db-stat FILE`: checkpoints a Natter database that no server has open and prints its
//! size and row counts as `key=value` (the run script's "database size per comment").

use rusqlite::Connection;

fn main() -> rusqlite::Result<()> {
    let path = std::env::args().nth(1).expect("usage: db-stat FILE");
    let conn = Connection::open(&path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let one = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    println!(
        "db_bytes={}",
        one("PRAGMA page_count")? * one("PRAGMA page_size")?
    );
    println!("db_comments={}", one("SELECT count(*) FROM comments")?);
    println!("db_pages={}", one("SELECT count(*) FROM pages")?);
    Ok(())
}
