-- A poll writes an item and its topic and tag rows in one transaction, right after recording
-- the poll on its source; the foreign keys from those rows checked, row by row, what that
-- transaction had just written, each check a locking lookup of the parent (`FOR KEY SHARE`).
-- For 10,000 items with their topics and tags that was about a quarter of the server's insert
-- time (BENCHMARKS.md, "Fetching"). The three keys on the poll's path go; what
-- they did on delete stays, as statement-level triggers that remove the children of every
-- deleted row in one statement (a retention batch deletes thousands of items at once). Code that
-- adds topics or tags to items written earlier locks those items first (`FOR KEY SHARE`, once
-- per statement), so a concurrent delete cannot leave rows behind.
-- Safe while an older process serves: it writes the same rows, and its deletes cascade through
-- the triggers as they did through the keys.
CREATE FUNCTION crossfeed_items_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_topics WHERE item_id IN (SELECT id FROM deleted);
    DELETE FROM item_tags WHERE item_id IN (SELECT id FROM deleted);
    RETURN NULL;
END;
$$;
CREATE TRIGGER items_cascade AFTER DELETE ON items
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION crossfeed_items_deleted();

CREATE FUNCTION crossfeed_sources_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM items WHERE source_id IN (SELECT id FROM deleted);
    RETURN NULL;
END;
$$;
CREATE TRIGGER sources_cascade AFTER DELETE ON sources
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION crossfeed_sources_deleted();

ALTER TABLE items DROP CONSTRAINT items_source_id_fkey;
ALTER TABLE item_topics DROP CONSTRAINT item_topics_item_id_fkey;
ALTER TABLE item_tags DROP CONSTRAINT item_tags_item_id_fkey;
