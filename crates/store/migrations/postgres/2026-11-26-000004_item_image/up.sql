-- The item's picture (media:thumbnail, itunes:image, an image attachment or the first image of
-- its content).
ALTER TABLE items ADD COLUMN image TEXT;

-- When keywords were last extracted from the item's text for its tags; NULL while that is still
-- to do (a background job does it, so that polling never waits for the segmenter).
ALTER TABLE items ADD COLUMN keywords_at TIMESTAMP;
CREATE INDEX items_keywords_pending ON items (id) WHERE keywords_at IS NULL;
