-- Under a flood, moderators get a digest instead of one mail per comment (`[smtp]
-- digest_after`, `digest_window`). A digest is an outbox email like any other (its row
-- records the moderator and the site; its payload only says `"purpose":"digest"`, no name
-- and no text), and each comment it covers is one entry here, holding that comment's part
-- of the mail. The mail is put together from its entries when it is sent, so an erase
-- removes a person's entries from a digest, pending or sent, and leaves everyone else's.
CREATE TABLE digest_entries (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    comment_id  INTEGER NOT NULL,
    held        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    html        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE INDEX digest_entries_by_digest ON digest_entries (outbox_id);
CREATE INDEX digest_entries_by_comment ON digest_entries (comment_id);

-- The threshold counts a moderator's mail within the window: look it up by address and
-- time. This index also serves every lookup by address alone, so the older one goes.
CREATE INDEX outbox_by_target_time ON outbox (lower(target), created_at);
DROP INDEX outbox_by_target;
