-- What the last successful poll had to cut short (a title too long, HTML nested too deep).
ALTER TABLE sources ADD COLUMN last_warning TEXT;
