DROP TABLE fetch_log;
ALTER TABLE sources DROP COLUMN lease_until;
ALTER TABLE sources DROP COLUMN lease_owner;
ALTER TABLE sources DROP COLUMN last_modified;
ALTER TABLE sources DROP COLUMN etag;
ALTER TABLE sources DROP COLUMN fetch_url;
