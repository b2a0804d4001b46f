-- A create may carry an `Idempotency-Key`: its keyed hash is kept with the comment, so a
-- retry of the same request (after a 503, a lost answer) gets the comment it made, with
-- the same edit token, instead of a second comment or a 409.
ALTER TABLE comments ADD COLUMN request_key_hash TEXT;

CREATE UNIQUE INDEX comments_by_request_key ON comments (request_key_hash)
    WHERE request_key_hash IS NOT NULL;
