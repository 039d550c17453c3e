DROP TABLE item_bands;
DROP INDEX items_cluster_pending;
DROP INDEX items_cluster;
DROP INDEX items_canonical_link;
ALTER TABLE items DROP COLUMN cluster_id;
ALTER TABLE items DROP COLUMN signature;
ALTER TABLE items DROP COLUMN canonical_link;
