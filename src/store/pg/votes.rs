//! PostgreSQL statements for `votes` (SQLite's are in `store/votes.rs`).

use postgres::types::Type;
use postgres::GenericClient;

use crate::error::{ApiError, ApiResult};

/// See the trait method in `store/tx.rs`.
///
/// One statement, safe against the same voter's vote arriving at two nodes at once: the
/// previous value is not read from a snapshot but taken from the vote row as the `DELETE`
/// or the upsert finds it (both act on its latest version, waiting for a writer that holds
/// it). The upsert changes nothing when the vote is the same, and otherwise replaces the
/// opposite one (`xmax` is 0 on a row it inserted). The counts move by the difference.
pub fn vote(c: &mut impl GenericClient, id: i64, voter: &str, value: i8) -> ApiResult<(i64, i64)> {
    const SQL: &str = "WITH withdrawn AS (
             DELETE FROM votes WHERE comment_id = $1 AND voter = $2 AND $3 = 0
             RETURNING value AS old_value, 0::bigint AS new_value
         ),
         cast_vote AS (
             INSERT INTO votes (comment_id, voter, value) SELECT $1, $2, $3 WHERE $3 <> 0
             ON CONFLICT (comment_id, voter) DO UPDATE SET value = EXCLUDED.value
                 WHERE votes.value <> EXCLUDED.value
             RETURNING CASE WHEN xmax = 0 THEN 0 ELSE -value END AS old_value, value AS new_value
         ),
         change AS (SELECT * FROM withdrawn UNION ALL SELECT * FROM cast_vote)
         UPDATE comments SET
             likes = greatest(0, likes
                 + coalesce((SELECT (new_value = 1)::int - (old_value = 1)::int FROM change), 0)),
             dislikes = greatest(0, dislikes
                 + coalesce((SELECT (new_value = -1)::int - (old_value = -1)::int FROM change), 0))
         WHERE id = $1
         RETURNING likes, dislikes";
    if !matches!(value, -1..=1) {
        return Err(ApiError::invalid("value", "value must be 1, -1 or 0"));
    }
    let value = i64::from(value);
    let row = c
        .query_typed_opt(
            SQL,
            &[
                (&id, Type::INT8),
                (&voter, Type::TEXT),
                (&value, Type::INT8),
            ],
        )?
        .ok_or_else(|| ApiError::Internal(format!("no comment {id} to count a vote on")))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
