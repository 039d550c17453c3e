ALTER TABLE item_tags ADD CONSTRAINT item_tags_item_id_fkey
    FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE;
ALTER TABLE item_topics ADD CONSTRAINT item_topics_item_id_fkey
    FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE;
ALTER TABLE items ADD CONSTRAINT items_source_id_fkey
    FOREIGN KEY (source_id) REFERENCES sources (id) ON DELETE CASCADE;
DROP TRIGGER sources_cascade ON sources;
DROP FUNCTION crossfeed_sources_deleted();
DROP TRIGGER items_cascade ON items;
DROP FUNCTION crossfeed_items_deleted();
