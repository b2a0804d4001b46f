//! The cluster's rate limits on PostgreSQL: `comments_per_minute` and `votes_per_minute`
//! hold for all nodes together. Each (class, client) counts its hits per minute in
//! `rate_hits`; a hit is allowed while the sliding estimate — this minute's hits plus the
//! last minute's, weighted by how much of it still lies within the past 60 s — stays within
//! the limit. A refused hit is taken back, so hammering doesn't lengthen the wait.

use postgres::GenericClient;

use crate::error::ApiResult;

/// Seconds of one window.
const WINDOW: i64 = 60;

/// Spends one hit of `class` for `key` at `now_ms` (Unix milliseconds) against `limit`
/// per minute: `None` when allowed, else the seconds to wait.
pub fn hit(
    c: &mut impl GenericClient,
    class: &str,
    key: &str,
    limit: u32,
    now_ms: i64,
) -> ApiResult<Option<u64>> {
    let now = now_ms.div_euclid(1000);
    let start = now - now.rem_euclid(WINDOW);
    let row = c.query_one(
        "WITH cur AS (
             INSERT INTO rate_hits (class, key, window_start, hits) VALUES ($1, $2, $3, 1)
             ON CONFLICT (class, key, window_start) DO UPDATE SET hits = rate_hits.hits + 1
             RETURNING hits)
         SELECT (SELECT hits FROM cur),
                COALESCE((SELECT hits FROM rate_hits
                          WHERE class = $1 AND key = $2 AND window_start = $3 - 60), 0)",
        &[&class, &key, &start],
    )?;
    let (current, previous): (i64, i64) = (row.get(0), row.get(1));
    let elapsed_ms = now_ms - start * 1000;
    let weight = 1.0 - (elapsed_ms as f64 / (WINDOW * 1000) as f64).clamp(0.0, 1.0);
    let estimate = previous as f64 * weight + current as f64;
    if estimate <= f64::from(limit) {
        // Now and then, one node clears windows nobody will read again.
        if rand::random::<u8>() == 0 {
            c.execute(
                "DELETE FROM rate_hits WHERE window_start < $1",
                &[&(start - WINDOW)],
            )?;
        }
        return Ok(None);
    }
    c.execute(
        "UPDATE rate_hits SET hits = hits - 1 WHERE class = $1 AND key = $2 AND window_start = $3",
        &[&class, &key, &start],
    )?;
    // The estimate falls as the last minute's hits slide out; at the latest, the next
    // window starts afresh but for this one's weight. Wait at least a second.
    let wait = ((WINDOW * 1000 - elapsed_ms) as f64 / 1000.0)
        .ceil()
        .max(1.0);
    Ok(Some(wait as u64))
}
