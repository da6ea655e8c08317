-- The lead's own words in a draft. The words themselves are written into
-- the draft's templates (announcements.parts), which render as before; this
-- keeps, per part and piece, the template piece they replaced and what it
-- wrote then (JSON), so the page can say when the template would now write
-- something else (the items changed, say), and go back to it.
ALTER TABLE announcements ADD COLUMN words TEXT NOT NULL DEFAULT '{}';
