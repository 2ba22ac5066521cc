-- Official address points (house numbers), imported from municipal registers or OpenAddresses-style files.
CREATE TABLE address (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    -- what identifies a row within its source (street code + number + suffix, or the row's own fields)
    source_key   text NOT NULL,
    street_type  text NOT NULL DEFAULT '',
    street       text NOT NULL,
    -- normalised forms used for lookups (see AddressNormaliser): "via dazio", "dazio", "90h"
    street_norm  text NOT NULL,
    name_norm    text NOT NULL,
    number       text NOT NULL DEFAULT '',
    number_norm  text NOT NULL DEFAULT '',
    postcode     text NOT NULL DEFAULT '',
    city         text NOT NULL DEFAULT '',
    city_norm    text NOT NULL DEFAULT '',
    district     text NOT NULL DEFAULT '',
    geom         geometry(Point, 4326) NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_key)
);
CREATE INDEX address_geom ON address USING gist (geom);
CREATE INDEX address_exact ON address (street_norm, number_norm);
CREATE INDEX address_name_trgm ON address USING gin (name_norm gin_trgm_ops);
