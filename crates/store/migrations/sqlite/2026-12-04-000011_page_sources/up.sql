-- A page source's CSS selectors (JSON), as the configuration gives them; NULL for a feed.
ALTER TABLE sources ADD COLUMN page TEXT;
