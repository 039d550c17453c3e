-- Sources come from the YAML configuration; their fetch state lives here.
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT,
    feed_title TEXT,
    site_url TEXT,
    schedule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,
    next_fetch_at TIMESTAMP NOT NULL,
    last_fetch_at TIMESTAMP,
    last_success_at TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sources_due ON sources (next_fetch_at) WHERE enabled = 1;

-- One row per upstream entry; (source_id, identity) is the entry's stable identity.
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    guid TEXT,
    title TEXT,
    link TEXT,
    published TIMESTAMP,
    updated TIMESTAMP,
    sort_at TIMESTAMP NOT NULL,
    date_is_first_seen BOOLEAN NOT NULL,
    authors TEXT NOT NULL,
    summary TEXT,
    content TEXT,
    categories TEXT NOT NULL,
    language TEXT,
    enclosures TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    CONSTRAINT items_source_identity UNIQUE (source_id, identity)
);
CREATE INDEX items_sort ON items (sort_at DESC, id DESC);

-- Which topics an item belongs to, and the keywords that put it there.
CREATE TABLE item_topics (
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    matched TEXT NOT NULL,
    PRIMARY KEY (item_id, topic)
);
CREATE INDEX item_topics_topic ON item_topics (topic, item_id);
