-- Reading counts. Views are buffered in memory and flushed here in batches. `heat_day` and
-- `heat_week` are decayed view counts kept in log form: each view at time t adds
-- exp(ln 2 * (t - 2026-01-01) / half-life) to the sum, and the column holds the sum's natural
-- log. Ordering by the column orders by the decayed count at any moment, with no rewriting as
-- time passes (half-lives: 6 hours for the day, 42 hours for the week).
CREATE TABLE item_stats (
    item_id BIGINT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    views BIGINT NOT NULL,
    heat_day DOUBLE PRECISION NOT NULL,
    heat_week DOUBLE PRECISION NOT NULL,
    last_view_at TIMESTAMP NOT NULL
);
CREATE INDEX item_stats_heat_day ON item_stats (heat_day DESC);
CREATE INDEX item_stats_heat_week ON item_stats (heat_week DESC);

-- What people search for (大家都在搜): normalized queries counted per hour, never who asked.
CREATE TABLE search_queries (
    query TEXT NOT NULL,
    hour TIMESTAMP NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (query, hour)
);
CREATE INDEX search_queries_hour ON search_queries (hour);

-- The search index: Chinese-aware tokens (jieba words, CJK characters and bigrams, folded
-- Latin words) taken verbatim as lexemes, title tokens weighted A. No text search
-- configuration or extension is involved, so it works on any Postgres.
ALTER TABLE items ADD COLUMN search_doc tsvector;
CREATE INDEX items_search ON items USING GIN (search_doc);

-- Every stored item is indexed by the keyword job, which now also writes the search tokens.
UPDATE items SET keywords_at = NULL;
