-- The Fediverse (ActivityPub): each site with `fediverse = true` is an actor.

-- The actors' key pairs, one per site, made once (at the first start with the site on) and
-- kept: followers' servers remember the public key.
CREATE TABLE fedi_keys (
    site         TEXT PRIMARY KEY,
    private_pem  TEXT NOT NULL,
    public_pem   TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Other servers' actors as their documents said when last fetched (through the safe
-- fetcher): the key that signs their requests, their inboxes, and what a comment shows.
CREATE TABLE fedi_actors (
    id            TEXT PRIMARY KEY,
    key_id        TEXT,
    public_pem    TEXT,
    inbox         TEXT,
    shared_inbox  TEXT,
    name          TEXT,
    username      TEXT,
    url           TEXT,
    fetched_at    INTEGER NOT NULL
);
CREATE INDEX fedi_actors_by_key ON fedi_actors (key_id);

-- Who follows each site's actor, and where to deliver to them.
CREATE TABLE fedi_followers (
    site          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    inbox         TEXT NOT NULL,
    shared_inbox  TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (site, actor)
);

-- Ids of the activities received lately: a second delivery of one is not processed again.
CREATE TABLE fedi_seen (
    id       TEXT PRIMARY KEY,
    seen_at  INTEGER NOT NULL
);
CREATE INDEX fedi_seen_by_time ON fedi_seen (seen_at);

-- Blog posts announced to followers: one per site and page (announced again: updated).
CREATE TABLE fedi_posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site        TEXT NOT NULL,
    page        TEXT NOT NULL,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER,
    UNIQUE (site, page)
);

-- Which comment each federated Note became, and whose it is (only they update or delete it).
CREATE TABLE fedi_notes (
    note_id     TEXT PRIMARY KEY,
    comment_id  INTEGER NOT NULL,
    site        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX fedi_notes_by_comment ON fedi_notes (comment_id);
CREATE INDEX fedi_notes_by_actor ON fedi_notes (site, actor);

-- Likes and boosts (Announce) of announced posts: one of each kind per actor and post.
CREATE TABLE fedi_reactions (
    post_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('like', 'repost')),
    actor        TEXT NOT NULL,
    activity_id  TEXT NOT NULL,
    site         TEXT NOT NULL,
    page         TEXT NOT NULL,
    name         TEXT NOT NULL,
    url          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (post_id, kind, actor)
);
CREATE INDEX fedi_reactions_by_page ON fedi_reactions (site, page);
CREATE INDEX fedi_reactions_by_activity ON fedi_reactions (activity_id);

-- Local replies sent out as Notes, and to which inboxes (a Delete goes to the same ones).
CREATE TABLE fedi_published (
    comment_id  INTEGER PRIMARY KEY,
    site        TEXT NOT NULL,
    inboxes     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Signed deliveries to other servers' inboxes: its own queue, claimed with a lease like
-- the webmentions' (several processes never send one twice; a restart loses none).
CREATE TABLE fedi_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    site             TEXT NOT NULL,
    inbox            TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    claimed_by       TEXT,
    claimed_until    INTEGER,
    created_at       INTEGER NOT NULL,
    done_at          INTEGER
);
CREATE INDEX fedi_deliveries_due ON fedi_deliveries (status, next_attempt_at);
