DROP INDEX item_stats_recent;
DROP INDEX items_source_newest;
DROP INDEX item_tags_newest;
CREATE INDEX item_tags_tag ON item_tags (tag, item_id);
ALTER TABLE item_tags DROP COLUMN sort_at;
DROP INDEX item_topics_newest;
CREATE INDEX item_topics_topic ON item_topics (topic, item_id);
ALTER TABLE item_topics DROP COLUMN sort_at;
