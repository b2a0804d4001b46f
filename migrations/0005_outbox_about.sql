-- An erase must find the outbox rows that carry a person's data: mail addressed to them,
-- and mail or webhooks about their comments (moderator mail, a reply mail to someone
-- else, webhook bodies quote their name and text). Each row now records the site and the
-- comment it is about. Webhook bodies name both, so older rows are filled in; older
-- emails don't, and an erase matches them by their links instead.
ALTER TABLE outbox ADD COLUMN site TEXT;
ALTER TABLE outbox ADD COLUMN comment_id INTEGER;

UPDATE outbox SET site = json_extract(payload, '$.site'),
                  comment_id = json_extract(payload, '$.comment.id')
 WHERE kind = 'webhook' AND json_valid(payload);

CREATE INDEX outbox_by_comment ON outbox (comment_id) WHERE comment_id IS NOT NULL;
-- Erase and the mail cooldowns look rows up by address.
CREATE INDEX outbox_by_target ON outbox (lower(target));
