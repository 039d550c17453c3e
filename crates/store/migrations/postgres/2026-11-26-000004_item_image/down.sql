DROP INDEX items_keywords_pending;
ALTER TABLE items DROP COLUMN keywords_at;
ALTER TABLE items DROP COLUMN image;
