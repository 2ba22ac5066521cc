-- Address points are looked up by street and house number, never by location: the GiST index on their points cost
-- about a third of every import and served no query. The surrogate id served only to order duplicates; an address is
-- identified by its source and the key it has there.
DROP INDEX address_geom;
ALTER TABLE address DROP COLUMN id;
ALTER TABLE address DROP CONSTRAINT address_source_source_key_key, ADD PRIMARY KEY (source, source_key);
-- Imports now keep each street's count by difference; start from exact counts (a street that lost some of its
-- numbers to a renamed one used to keep a count a little high).
DELETE FROM address_street;
INSERT INTO address_street (street_norm, name_norm, city_norm, postcode, addresses)
SELECT street_norm, name_norm, city_norm, postcode, count(*) FROM address GROUP BY 1, 2, 3, 4;
