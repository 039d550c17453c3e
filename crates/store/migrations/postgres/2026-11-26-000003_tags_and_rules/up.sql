-- Tags per item: from upstream categories, the source's tags and extracted keywords. `tag` is
-- the folded key (what URLs and lookups use), `label` how it is shown.
CREATE TABLE item_tags (
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX item_tags_tag ON item_tags (tag, item_id);

-- Small facts about the store itself, e.g. the fingerprint of the topic and tag rules the
-- stored classification was made with.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
