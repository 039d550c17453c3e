DROP INDEX items_search;
ALTER TABLE items DROP COLUMN search_doc;
DROP TABLE search_queries;
DROP TABLE item_stats;
