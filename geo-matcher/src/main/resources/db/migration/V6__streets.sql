-- The gazetteer's streets, one row per street name, city and postcode, with how many house numbers it has. Streets
-- are looked up by name (exactly, then by trigram similarity) before their house number: a city has a few thousand
-- streets and up to a million house numbers, so the trigram index lives here instead of on every address, where
-- keeping it up to date was the largest cost of importing a register.
CREATE TABLE address_street (
    street_norm text NOT NULL,
    name_norm   text NOT NULL,
    city_norm   text NOT NULL,
    postcode    text NOT NULL,
    addresses   bigint NOT NULL,
    PRIMARY KEY (street_norm, city_norm, postcode, name_norm)
);
CREATE INDEX address_street_name ON address_street (name_norm);
CREATE INDEX address_street_name_trgm ON address_street USING gin (name_norm gin_trgm_ops);

INSERT INTO address_street (street_norm, name_norm, city_norm, postcode, addresses)
SELECT street_norm, name_norm, city_norm, postcode, count(*) FROM address GROUP BY 1, 2, 3, 4;

DROP INDEX address_name_trgm;
