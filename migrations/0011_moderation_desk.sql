-- The moderation desk: why a comment was held, the owner's badge, a spam status (its CHECK
-- is widened by `store/migrate.rs` right after this file runs: SQLite cannot alter a
-- constraint, and its documented procedure for loosening one edits the stored schema),
-- blocks of repeat authors, and the record of who did what.
ALTER TABLE comments ADD COLUMN held_reason TEXT;
ALTER TABLE comments ADD COLUMN badge TEXT;

-- A block holds an author's new comments on a site (never drops them). `match_key` is what
-- a new comment is compared with: the email in lower case, the anonymized network, or the
-- keyed hash of the author key; `value` is what the moderator gave.
CREATE TABLE blocks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'network', 'author_key')),
    value       TEXT NOT NULL,
    match_key   TEXT NOT NULL,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX blocks_by_match ON blocks (site, kind, match_key);

-- Every moderation action, whoever took it and through whichever route.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    site        TEXT,
    comment_id  INTEGER
);
CREATE INDEX audit_by_site ON audit (site, id);
