-- A new item has no cluster until the background job gives it one, so every poll used to add
-- an entry for NULL to this index. No query looks up a NULL through it (the pending items have
-- their own partial index), so it now holds only the items that have a cluster. (Search lives
-- in the FTS5 table `item_search`, which the job fills.)
CREATE INDEX items_cluster_set ON items (cluster_id) WHERE cluster_id IS NOT NULL;
DROP INDEX items_cluster;
