-- page: auto: the selectors detection found on the list page, kept so that each poll reads the
-- same list (never a sidebar one poll and the main list the next) until they stop matching.
ALTER TABLE sources ADD COLUMN detected_page TEXT;
