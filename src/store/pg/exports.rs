//! [`ExportSource`] on PostgreSQL: one repeatable-read snapshot, each table read through a
//! cursor a few hundred rows at a time (an export of any size holds one batch in memory).

use postgres::types::ToSql;
use postgres::{Client, Row};

use crate::domain::Timestamp;
use crate::store::exports::{CommentFn, CommentRow, ExportSource, PageFn, PageRow, VoteFn};

/// Rows fetched from a cursor at a time.
const FETCH: usize = 500;

/// Calls `f` with each row of `query`, read through a cursor inside the open transaction.
pub(crate) fn each_row(
    client: &mut Client,
    query: &str,
    params: &[&(dyn ToSql + Sync)],
    f: &mut dyn FnMut(&Row) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    client.execute(
        &format!("DECLARE natter_rows NO SCROLL CURSOR FOR {query}"),
        params,
    )?;
    let fetch = client.prepare(&format!("FETCH {FETCH} FROM natter_rows"))?;
    loop {
        let rows = client.query(&fetch, &[])?;
        for r in &rows {
            f(r)?;
        }
        if rows.len() < FETCH {
            break;
        }
    }
    client.batch_execute("CLOSE natter_rows")?;
    Ok(())
}

/// An export from a PostgreSQL database.
pub struct PgExport {
    client: Client,
}

impl PgExport {
    /// Connects to `url` and migrates the database.
    pub fn open(url: &str) -> anyhow::Result<PgExport> {
        Ok(PgExport {
            client: super::command::open_migrated(url)?,
        })
    }
}

impl ExportSource for PgExport {
    fn begin_read(&mut self) -> anyhow::Result<()> {
        Ok(self
            .client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?)
    }

    fn end_read(&mut self) -> anyhow::Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }

    fn site_known(&mut self, site: &str) -> anyhow::Result<bool> {
        Ok(self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1)",
                &[&site],
            )?
            .get(0))
    }

    fn site_created(&mut self, site: &str) -> anyhow::Result<Option<Timestamp>> {
        Ok(self
            .client
            .query_opt("SELECT created_at FROM sites WHERE id = $1", &[&site])?
            .map(|r| r.get(0)))
    }

    fn each_page(&mut self, site: &str, f: &mut PageFn<'_>) -> anyhow::Result<()> {
        each_row(
            &mut self.client,
            "SELECT key, title, url, locked, first_comment_at, created_at FROM pages
             WHERE site = $1 ORDER BY id",
            &[&site],
            &mut |r| {
                f(PageRow {
                    key: r.try_get(0)?,
                    title: r.try_get(1)?,
                    url: r.try_get(2)?,
                    locked: r.try_get::<_, i64>(3)? != 0,
                    first_comment_at: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                })
            },
        )
    }

    fn each_comment(&mut self, site: &str, f: &mut CommentFn<'_>) -> anyhow::Result<()> {
        each_row(
            &mut self.client,
            "SELECT c.id, p.key, c.parent, c.author, c.email, c.website, c.text, c.format,
                    c.html, c.status, c.created_at, c.edited_at, c.likes, c.dislikes, c.ip,
                    c.avatar, c.author_key_hash, c.edit_token_hash, c.edit_until, c.notify,
                    c.source, c.source_id, c.via_kind, c.via_url, c.via_handle, c.held_reason,
                    c.badge
             FROM comments c JOIN pages p ON p.id = c.page_id WHERE p.site = $1 ORDER BY c.id",
            &[&site],
            &mut |r| {
                f(
                    r.try_get(1)?,
                    CommentRow {
                        id: r.try_get(0)?,
                        parent: r.try_get(2)?,
                        author: r.try_get(3)?,
                        email: r.try_get(4)?,
                        website: r.try_get(5)?,
                        text: r.try_get(6)?,
                        format: r.try_get(7)?,
                        html: r.try_get(8)?,
                        status: r.try_get(9)?,
                        created_at: r.try_get(10)?,
                        edited_at: r.try_get(11)?,
                        likes: r.try_get(12)?,
                        dislikes: r.try_get(13)?,
                        ip: r.try_get(14)?,
                        avatar: r.try_get(15)?,
                        author_key_hash: r.try_get(16)?,
                        edit_token_hash: r.try_get(17)?,
                        edit_until: r.try_get(18)?,
                        notify: r.try_get::<_, i64>(19)? != 0,
                        source: r.try_get(20)?,
                        source_id: r.try_get(21)?,
                        via: crate::domain::comment::Via::from_columns(
                            r.try_get(22)?,
                            r.try_get(23)?,
                            r.try_get(24)?,
                        ),
                        held_reason: r.try_get(25)?,
                        badge: r.try_get(26)?,
                    },
                )
            },
        )
    }

    /// Voters in bytewise order, as SQLite sorts them, whatever the database's collation.
    fn each_vote(&mut self, site: &str, f: &mut VoteFn<'_>) -> anyhow::Result<()> {
        each_row(
            &mut self.client,
            "SELECT v.comment_id, v.voter, v.value FROM votes v
             JOIN comments c ON c.id = v.comment_id JOIN pages p ON p.id = c.page_id
             WHERE p.site = $1 ORDER BY v.comment_id, v.voter COLLATE \"C\"",
            &[&site],
            &mut |r| f(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
        )
    }
}
