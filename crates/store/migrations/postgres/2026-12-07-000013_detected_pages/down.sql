ALTER TABLE sources DROP COLUMN detected_page;
