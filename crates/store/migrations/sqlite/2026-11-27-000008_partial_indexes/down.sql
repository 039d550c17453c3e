CREATE INDEX items_cluster ON items (cluster_id);
DROP INDEX items_cluster_set;
