-- A city's districts are read by city (the hamlets a street's name may end with), and a district written short or
-- misspelt is looked up by its first word or by trigrams.
CREATE INDEX address_district_city ON address_district (city_norm);
CREATE INDEX address_district_trgm ON address_district USING gin (district_norm gin_trgm_ops);
