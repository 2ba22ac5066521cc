-- Every gazetteer import geocodes again the places it may now place better: those not found at all, and those left
-- at their street's centroid because the register did not have their house number (a new edition may have it).
-- Those left at the centroid for want of a number given are not: no register will find one for them.
CREATE INDEX place_to_refine ON place (subscriber_id, place_id)
    WHERE address IS NOT NULL AND (geom IS NULL OR reason = 'NO_SUCH_NUMBER');
