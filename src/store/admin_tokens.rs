//! Admin tokens: created by the CLI (printed once, stored as a hash), or from
//! `NATTER_ADMIN_TOKEN`, or generated on a first start with none at all.

use rusqlite::{params, Connection};

use crate::domain::crypto;

/// Creates a named token and returns it (the only time it is ever shown).
pub fn create_token(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    let token = format!("natter_{}", crypto::random_token());
    let n = conn.execute(
        "INSERT INTO admin_tokens (name, hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
        params![name, crypto::token_hash(&token), crate::domain::now()],
    )?;
    Ok((n == 1).then_some(token))
}

/// Names and creation times of the stored tokens.
pub fn list_tokens(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT name, created_at FROM admin_tokens ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Removes a token by name; whether one existed.
pub fn revoke_token(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM admin_tokens WHERE name = ?1", [name])? == 1)
}

/// On a first start with no token anywhere, makes one and prints it once to standard
/// error (never into the structured log).
pub fn bootstrap_token(conn: &Connection) -> rusqlite::Result<()> {
    let from_env = std::env::var("NATTER_ADMIN_TOKEN").is_ok_and(|t| !t.is_empty());
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM admin_tokens)", [], |r| {
        r.get(0)
    })?;
    if from_env || any {
        return Ok(());
    }
    if let Some(token) = create_token(conn, "initial")? {
        eprintln!(
            "natter: created the first admin token (shown once; `natter admin token create` makes more):\n{token}"
        );
    }
    Ok(())
}

/// Hashes of every stored token.
pub fn hashes(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare_cached("SELECT name, hash FROM admin_tokens")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}
