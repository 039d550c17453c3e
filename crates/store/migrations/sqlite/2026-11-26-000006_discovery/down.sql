DROP TRIGGER items_search_delete;
DROP TABLE item_search;
DROP TABLE search_queries;
DROP TABLE item_stats;
