-- The colour of text on the primary colour (header, launcher, the visitor's own
-- messages): white suits dark brand colours, a light brand colour needs dark text.

ALTER TABLE widgets ADD COLUMN primary_text_color TEXT NOT NULL DEFAULT '#ffffff';
