-- An import that changed the gazetteer leaves this mark in its own transaction; the geocoding again of the places it
-- may place better clears it once every page is stored and its outcomes are on places.geocoded. A refinement cut
-- short (the broker or the database away, the service stopped) is taken up again from the mark.
CREATE TABLE refinement_pending (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    since timestamptz NOT NULL DEFAULT now()
);
