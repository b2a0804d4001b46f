-- Deliveries are claimed with a lease before they are attempted, so two processes sharing
-- the database (or, later, nodes) never send the same item twice, and the admin page can
-- show what is being attempted right now. A lease that runs out (its holder died) makes
-- the item due again.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;

CREATE INDEX outbox_claimed ON outbox (claimed_until) WHERE claimed_until IS NOT NULL;
