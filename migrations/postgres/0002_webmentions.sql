-- As SQLite's 0010_webmentions.sql: where a comment came from, and received Webmentions
-- (each row its own job, claimed with a lease).
ALTER TABLE comments ADD COLUMN via_kind TEXT;
ALTER TABLE comments ADD COLUMN via_url TEXT;
ALTER TABLE comments ADD COLUMN via_handle TEXT;

CREATE TABLE webmentions (
    id               TEXT PRIMARY KEY,
    site             TEXT NOT NULL,
    page             TEXT NOT NULL,
    source           TEXT NOT NULL,
    target           TEXT NOT NULL,
    source_host      TEXT NOT NULL,
    sender_ip        TEXT,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'accepted', 'rejected')),
    reason           TEXT,
    kind             TEXT,
    comment_id       BIGINT,
    author_name      TEXT,
    author_url       TEXT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_by       TEXT,
    claimed_until    BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (source, target)
);

CREATE INDEX webmentions_due ON webmentions (status, next_attempt_at);
CREATE INDEX webmentions_by_page ON webmentions (site, page, status);
CREATE INDEX webmentions_by_host ON webmentions (source_host, created_at);
CREATE INDEX webmentions_by_comment ON webmentions (comment_id) WHERE comment_id IS NOT NULL;

-- Likes and reposts are part of a thread's answer: every node's cache hears of them.
CREATE TRIGGER webmentions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webmentions
    FOR EACH STATEMENT EXECUTE FUNCTION natter_threads_changed();
ALTER TABLE webmentions ENABLE ALWAYS TRIGGER webmentions_changed;
