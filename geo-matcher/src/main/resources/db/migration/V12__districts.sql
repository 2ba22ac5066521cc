-- The districts and hamlets (frazioni) of each city, as the registers name them, so that an address whose city is
-- written as its hamlet ("Via Levata 12, Spinetta Marengo") is looked up in the city the hamlet belongs to. Kept by
-- every import (a register never loses a district by being imported again, as it never loses an address).
CREATE TABLE address_district (
    district_norm text NOT NULL,
    city_norm     text NOT NULL,
    district      text NOT NULL,
    PRIMARY KEY (district_norm, city_norm)
);

-- Existing addresses: their lower-case district stands for the normal form (which also folds accents and
-- apostrophes); importing the register again writes the exact one.
INSERT INTO address_district (district_norm, city_norm, district)
SELECT lower(district), city_norm, min(district) FROM address WHERE district <> '' GROUP BY 1, 2;
