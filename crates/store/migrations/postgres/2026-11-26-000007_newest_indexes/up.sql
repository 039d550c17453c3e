-- Listings by topic or tag walk an index in date order instead of checking items one by one:
-- each item's sort time is copied to its topic and tag rows (kept equal on every write).
ALTER TABLE item_topics ADD COLUMN sort_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE item_topics t SET sort_at = i.sort_at FROM items i WHERE i.id = t.item_id;
DROP INDEX item_topics_topic;
CREATE INDEX item_topics_newest ON item_topics (topic, sort_at DESC, item_id DESC);

ALTER TABLE item_tags ADD COLUMN sort_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE item_tags t SET sort_at = i.sort_at FROM items i WHERE i.id = t.item_id;
DROP INDEX item_tags_tag;
CREATE INDEX item_tags_newest ON item_tags (tag, sort_at DESC, item_id DESC);

-- A source's newest items (feeds with ?source=, retention's per-source window).
CREATE INDEX items_source_newest ON items (source_id, sort_at DESC, id DESC);

-- Hot reads look at the items viewed in the window first.
CREATE INDEX item_stats_recent ON item_stats (last_view_at);
