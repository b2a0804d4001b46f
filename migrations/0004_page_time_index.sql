-- The duplicate check on every create looks at one page's comments of the last minutes.
-- With (page_id, status) it read every comment of the page instead: a 10,000-comment
-- thread cost 10,000 rows per create. With created_at in the index it reads only the
-- window (per status); lists and counts use the same index's prefix as before.
DROP INDEX comments_by_page;
CREATE INDEX comments_by_page ON comments (page_id, status, created_at);
