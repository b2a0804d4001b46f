-- A thread read loads only the top-level comments of the page of results it answers, and
-- their replies, instead of the whole thread.
--
-- Top-level comments of a page in time order, straight from an index: `oldest` reads it
-- forwards from the cursor, `newest` backwards. `top` (likes - dislikes, ties oldest first)
-- sorts the same entries by the votes they carry, so it reads every top-level comment's
-- index entry (not its row; `parent` is there so that the entries alone answer). A second
-- index for `top` alone would have cost creates as much again: each such index takes a
-- write at a place of its own in the file for every new comment, about a tenth of the
-- creates per second in bench/run.sh's write test (8 clients, comments spread over 100
-- pages).
CREATE INDEX comments_roots ON comments (page_id, created_at, id, likes, dislikes, parent)
    WHERE parent IS NULL;

-- The other top-level comments of a thread: replies whose parent is not a comment of their
-- page (gone, on another page, or the reply itself), shown at the top level rather than
-- lost. Natter never makes one (foreign keys are on and a parent must be on the same page),
-- but a database edited by hand can hold them, and finding them at each read would mean
-- reading every reply of the thread. The triggers below keep the table up to date whoever
-- writes: a change to a comment's id, parent or page looks again at the comment and at
-- every comment whose parent it was or now is. Each statement reads one index entry or a
-- few; other changes (status, votes, text) fire nothing. A read checks each entry again,
-- so one that is no longer true costs nothing but its lookup (imports, which never make an
-- orphan, run without these triggers: see src/import/mod.rs).
CREATE TABLE thread_orphans (
    id       INTEGER PRIMARY KEY,
    page_id  INTEGER NOT NULL
);
CREATE INDEX thread_orphans_by_page ON thread_orphans (page_id);

INSERT INTO thread_orphans (id, page_id)
    SELECT c.id, c.page_id FROM comments c
    WHERE c.parent IS NOT NULL
      AND (c.parent = c.id
           OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent AND p.page_id = c.page_id));

-- A new reply whose parent is not on its page. (OR REPLACE: an INSERT OR REPLACE over an
-- existing comment removes it without firing the delete trigger.)
CREATE TRIGGER thread_orphans_insert AFTER INSERT ON comments
WHEN NEW.parent IS NOT NULL
BEGIN
    INSERT OR REPLACE INTO thread_orphans (id, page_id)
        SELECT NEW.id, NEW.page_id
        WHERE NEW.parent = NEW.id
           OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = NEW.parent AND p.page_id = NEW.page_id);
END;

-- Replies that were waiting for this comment (an import that keeps ids, a hand edit): on
-- its page they have their parent now; on another, they are still orphans.
CREATE TRIGGER thread_orphans_insert_parent AFTER INSERT ON comments
WHEN EXISTS (SELECT 1 FROM comments WHERE parent = NEW.id AND id != NEW.id)
BEGIN
    DELETE FROM thread_orphans
        WHERE id IN (SELECT id FROM comments WHERE parent = NEW.id AND id != NEW.id);
    INSERT INTO thread_orphans (id, page_id)
        SELECT id, page_id FROM comments
        WHERE parent = NEW.id AND id != NEW.id AND page_id != NEW.page_id;
END;

CREATE TRIGGER thread_orphans_delete AFTER DELETE ON comments BEGIN
    DELETE FROM thread_orphans WHERE id = OLD.id;
    INSERT OR REPLACE INTO thread_orphans (id, page_id)
        SELECT id, page_id FROM comments WHERE parent = OLD.id;
END;

CREATE TRIGGER thread_orphans_update AFTER UPDATE OF id, parent, page_id ON comments BEGIN
    DELETE FROM thread_orphans WHERE id = OLD.id;
    DELETE FROM thread_orphans WHERE id = NEW.id;
    DELETE FROM thread_orphans WHERE id IN (SELECT id FROM comments WHERE parent = OLD.id);
    DELETE FROM thread_orphans WHERE id IN (SELECT id FROM comments WHERE parent = NEW.id);
    INSERT INTO thread_orphans (id, page_id)
        SELECT NEW.id, NEW.page_id
        WHERE NEW.parent IS NOT NULL
          AND (NEW.parent = NEW.id
               OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = NEW.parent AND p.page_id = NEW.page_id));
    -- No comment has the old id any more, when it changed.
    INSERT OR REPLACE INTO thread_orphans (id, page_id)
        SELECT id, page_id FROM comments WHERE parent = OLD.id AND OLD.id != NEW.id;
    INSERT OR REPLACE INTO thread_orphans (id, page_id)
        SELECT id, page_id FROM comments
        WHERE parent = NEW.id AND id != NEW.id AND page_id != NEW.page_id;
END;
