-- Conditional GET validators, the URL actually fetched (after a permanent redirect or feed
-- discovery), and the lease a process holds while it polls a source.
ALTER TABLE sources ADD COLUMN fetch_url TEXT;
ALTER TABLE sources ADD COLUMN etag TEXT;
ALTER TABLE sources ADD COLUMN last_modified TEXT;
ALTER TABLE sources ADD COLUMN lease_owner TEXT;
ALTER TABLE sources ADD COLUMN lease_until TIMESTAMP;

-- One row per poll, pruned to fetch.log_retention.
CREATE TABLE fetch_log (
    id BIGSERIAL PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    bytes BIGINT NOT NULL,
    items_new INTEGER NOT NULL,
    items_updated INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX fetch_log_source ON fetch_log (source_id, started_at);
CREATE INDEX fetch_log_started ON fetch_log (started_at);
