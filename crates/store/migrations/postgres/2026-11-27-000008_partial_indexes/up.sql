-- A new item has no cluster and no search document until the background job gives it both,
-- so every poll used to add an entry for NULL to these two indexes, and the job then moved it.
-- No query looks up a NULL through them (the pending work has its own partial indexes), so
-- they now hold only the items that have a value: one index entry less per new item in the
-- poll's transaction, two fewer index writes per item overall.
-- Each new index is built before the old one is dropped, so readers keep an index throughout
-- and the table's exclusive lock is held only for the drop, just before the commit.
CREATE INDEX items_cluster_set ON items (cluster_id) WHERE cluster_id IS NOT NULL;
CREATE INDEX items_search_set ON items USING GIN (search_doc) WHERE search_doc IS NOT NULL;
DROP INDEX items_cluster;
DROP INDEX items_search;
