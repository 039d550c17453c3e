-- Full content: a source's `full_content` setting (`auto` or `css:<selector>`; NULL for off),
-- and each item's article, fetched from its link and kept apart from what the upstream sends
-- (outside the content hash, so that the next summary-only poll neither overwrites it nor
-- counts as a change).
ALTER TABLE sources ADD COLUMN full_content TEXT;
ALTER TABLE items ADD COLUMN article TEXT;
-- When the article is due to be fetched (NULL: not wanted, fetched, or given up).
ALTER TABLE items ADD COLUMN article_due_at TIMESTAMP;
ALTER TABLE items ADD COLUMN article_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN article_error TEXT;
CREATE INDEX items_article_due ON items (article_due_at) WHERE article_due_at IS NOT NULL;
