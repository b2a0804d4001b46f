//! Votes: one per comment per voter, and the counts kept on the comment.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{ApiError, ApiResult};

/// Records (or withdraws, with 0) one voter's vote and returns the new counts.
pub fn vote(conn: &Connection, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
    let old: Option<i8> = conn
        .prepare_cached("SELECT value FROM votes WHERE comment_id = ?1 AND voter = ?2")?
        .query_row(params![id, voter], |r| r.get(0))
        .optional()?;
    let (mut dl, mut dd) = (0i64, 0i64);
    match old {
        Some(1) => dl -= 1,
        Some(-1) => dd -= 1,
        _ => {}
    }
    match value {
        1 => dl += 1,
        -1 => dd += 1,
        0 => {}
        _ => return Err(ApiError::invalid("value", "value must be 1, -1 or 0")),
    }
    if value == 0 {
        conn.execute(
            "DELETE FROM votes WHERE comment_id = ?1 AND voter = ?2",
            params![id, voter],
        )?;
    } else {
        conn.prepare_cached(
            "INSERT INTO votes (comment_id, voter, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (comment_id, voter) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![id, voter, value])?;
    }
    let counts = conn
        .prepare_cached(
            "UPDATE comments SET likes = max(0, likes + ?2), dislikes = max(0, dislikes + ?3)
             WHERE id = ?1 RETURNING likes, dislikes",
        )?
        .query_row(params![id, dl, dd], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(counts)
}
