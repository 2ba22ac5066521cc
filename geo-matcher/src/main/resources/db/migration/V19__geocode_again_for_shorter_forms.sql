-- The geocoder now reads the shorter forms people write: a surname without its given names, a street's article or a
-- hamlet's name left out, the hamlet or the city written first, a street named with a number followed by the house
-- number after a comma. The places registered before, not found or left at their street's centre, are geocoded again
-- once by the refinement a gazetteer import leaves pending: those now found are stored, published on places.geocoded
-- (the city's app hears that the address was found after all) and matched against the events under way.
INSERT INTO refinement_pending (since) VALUES (now() - interval '1 hour') ON CONFLICT (only_row) DO NOTHING;
