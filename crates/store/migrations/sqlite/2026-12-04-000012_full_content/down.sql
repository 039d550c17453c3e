DROP INDEX items_article_due;
ALTER TABLE items DROP COLUMN article_error;
ALTER TABLE items DROP COLUMN article_attempts;
ALTER TABLE items DROP COLUMN article_due_at;
ALTER TABLE items DROP COLUMN article;
ALTER TABLE sources DROP COLUMN full_content;
