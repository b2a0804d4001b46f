-- A thread read loads only the top-level comments of the page of results it answers, and
-- their replies, instead of the whole thread.
--
-- Top-level comments in each sort's order, straight from an index: `oldest` and `newest`
-- read (page_id, created_at, id) forwards or backwards, `top` reads (page_id, dislikes -
-- likes, created_at, id): score descending, ties oldest first. Only comments without a
-- parent are in them.
CREATE INDEX comments_roots_by_time ON comments (page_id, created_at) WHERE parent IS NULL;
CREATE INDEX comments_roots_by_score ON comments (page_id, dislikes - likes, created_at)
    WHERE parent IS NULL;

-- The other top-level comments of a thread: replies whose parent is not a comment of their
-- page (gone, on another page, or the reply itself), shown at the top level rather than
-- lost. Natter never makes one (foreign keys are on and a parent must be on the same page),
-- but a database edited by hand can hold them, and finding them at each read would mean
-- reading every reply of the thread. The triggers below keep the table exact whoever
-- writes: a change to a comment's id, parent or page looks again at the comment and at
-- every comment whose parent it was or now is. Each statement reads one index entry or a
-- few; other changes (status, votes, text) fire nothing.
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

CREATE TRIGGER thread_orphans_insert AFTER INSERT ON comments BEGIN
    DELETE FROM thread_orphans WHERE id = NEW.id;
    DELETE FROM thread_orphans WHERE id IN (SELECT id FROM comments WHERE parent = NEW.id);
    INSERT INTO thread_orphans (id, page_id)
        SELECT NEW.id, NEW.page_id
        WHERE NEW.parent IS NOT NULL
          AND (NEW.parent = NEW.id
               OR NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = NEW.parent AND p.page_id = NEW.page_id));
    -- Replies that were waiting for this comment (an import that keeps ids): orphans still
    -- only when on another page.
    INSERT OR REPLACE INTO thread_orphans (id, page_id)
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
