-- Comments that came from elsewhere (a Webmention now, the Fediverse later) say so: the kind,
-- the original's URL, and a handle where the kind has one. NULL for comments written here.
ALTER TABLE comments ADD COLUMN via_kind TEXT;
ALTER TABLE comments ADD COLUMN via_url TEXT;
ALTER TABLE comments ADD COLUMN via_handle TEXT;

-- Received Webmentions (W3C), one row per source and target: a second sending of the same
-- pair is the same row, queued again. The row is its own job queue, claimed with a lease
-- by a verifier as the outbox is (so several processes never verify one twice, and a
-- restart loses none). Once verified it records what the source was: a reply or mention
-- (its comment), or a like, repost or bookmark (counted per page, with the author's name).
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
    comment_id       INTEGER,
    author_name      TEXT,
    author_url       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_by       TEXT,
    claimed_until    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (source, target)
);

CREATE INDEX webmentions_due ON webmentions (status, next_attempt_at);
CREATE INDEX webmentions_by_page ON webmentions (site, page, status);
CREATE INDEX webmentions_by_host ON webmentions (source_host, created_at);
CREATE INDEX webmentions_by_comment ON webmentions (comment_id) WHERE comment_id IS NOT NULL;
