ALTER TABLE sources DROP COLUMN last_warning;
