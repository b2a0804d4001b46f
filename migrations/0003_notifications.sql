-- Notifications go through a persistent outbox, written in the same transaction as the
-- event that causes them; a worker delivers them with retries.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    target           TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    done_at          INTEGER
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Addresses that confirmed (double opt-in) that they want reply notifications on a site.
-- comments.notify: 0 = no, 1 = asked but not confirmed yet, 2 = active.
CREATE TABLE confirmed_emails (
    site          TEXT NOT NULL,
    email         TEXT NOT NULL,
    confirmed_at  INTEGER NOT NULL,
    PRIMARY KEY (site, email)
) WITHOUT ROWID;
