-- An import now also looks again at places left at their street's centroid for want of a house number given: a new
-- edition that extends the street moves its centre, and the place with it when it moves far enough to matter.
DROP INDEX place_to_refine;
CREATE INDEX place_to_refine ON place (subscriber_id, place_id)
    WHERE address IS NOT NULL AND (geom IS NULL OR geocoding_status = 'STREET_CENTROID');
