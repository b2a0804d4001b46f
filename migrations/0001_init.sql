-- Natter's first schema. Forward-only: never edit once landed; add 0002_….sql instead.

CREATE TABLE sites (
    id          TEXT PRIMARY KEY,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE pages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    site              TEXT NOT NULL REFERENCES sites(id),
    key               TEXT NOT NULL,
    title             TEXT,
    url               TEXT,
    locked            INTEGER NOT NULL DEFAULT 0,
    first_comment_at  INTEGER,
    created_at        INTEGER NOT NULL,
    UNIQUE (site, key)
);

CREATE TABLE comments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id          INTEGER NOT NULL REFERENCES pages(id),
    parent           INTEGER REFERENCES comments(id),
    author           TEXT,
    email            TEXT,
    website          TEXT,
    text             TEXT NOT NULL,
    format           TEXT NOT NULL DEFAULT 'markdown' CHECK (format IN ('markdown', 'html')),
    html             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'rejected', 'deleted')),
    created_at       INTEGER NOT NULL,
    edited_at        INTEGER,
    likes            INTEGER NOT NULL DEFAULT 0,
    dislikes         INTEGER NOT NULL DEFAULT 0,
    ip               TEXT,
    avatar           TEXT,
    author_key_hash  TEXT,
    edit_token_hash  TEXT,
    edit_until       INTEGER NOT NULL DEFAULT 0,
    notify           INTEGER NOT NULL DEFAULT 0,
    source           TEXT,
    source_id        TEXT
);

CREATE INDEX comments_by_page ON comments (page_id, status);
CREATE INDEX comments_by_parent ON comments (parent);
CREATE INDEX comments_by_email ON comments (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX comments_by_source ON comments (source, source_id) WHERE source IS NOT NULL;

CREATE TABLE votes (
    comment_id  INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    voter       TEXT NOT NULL,
    value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (comment_id, voter)
) WITHOUT ROWID;

CREATE TABLE admin_tokens (
    name        TEXT PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE secrets (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
);
