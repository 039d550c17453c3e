-- Near-duplicate clusters: the same story from several sources. `cluster_id` is the id of the
-- cluster's first-seen item (its head); `canonical_link` is the link without tracking
-- parameters (a sure match); `signature` is the MinHash of the item's folded text, in hex.
ALTER TABLE items ADD COLUMN canonical_link TEXT;
ALTER TABLE items ADD COLUMN signature TEXT;
ALTER TABLE items ADD COLUMN cluster_id BIGINT;
CREATE INDEX items_canonical_link ON items (canonical_link);
CREATE INDEX items_cluster ON items (cluster_id);
CREATE INDEX items_cluster_pending ON items (id) WHERE cluster_id IS NULL;

-- The signature's bands, for finding candidates: items sharing a band value are compared.
CREATE TABLE item_bands (
    band BIGINT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (band, item_id)
);
CREATE INDEX item_bands_item ON item_bands (item_id);
