CREATE INDEX items_cluster ON items (cluster_id);
CREATE INDEX items_search ON items USING GIN (search_doc);
DROP INDEX items_cluster_set;
DROP INDEX items_search_set;
