-- One-click moderation links work once: each used signature is remembered (by hash)
-- until it would have expired anyway.

CREATE TABLE used_links (
    sig_hash    TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);

CREATE INDEX comments_by_status_time ON comments (status, created_at);
