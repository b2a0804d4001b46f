-- The duplicate check on every create asks for one page's comments from one network in the
-- last minutes. With (page_id, status) it read every comment of the page instead: a
-- 10,000-comment thread cost 10,000 rows per create. With the network and the time in the
-- index it reads only that network's recent comments on the page (a handful, given the
-- rate limit); lists and counts use the same index's prefix as before.
DROP INDEX comments_by_page;
CREATE INDEX comments_by_page ON comments (page_id, status, ip, created_at);
