-- Citizens' places, as the dispatcher publishes them on subscribers.places: no names, no contacts, no labels.
CREATE TABLE subscriber (
    subscriber_id   text PRIMARY KEY,
    followed_kinds  text[] NOT NULL,
    priority        boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE place (
    subscriber_id     text NOT NULL REFERENCES subscriber (subscriber_id) ON DELETE CASCADE,
    place_id          text NOT NULL,
    category          text NOT NULL,
    -- the address to geocode as the citizen wrote it (NULL when a point was given)
    address           text,
    geocoding_status  text NOT NULL,
    matched_address   text,
    confidence        double precision NOT NULL DEFAULT 0,
    reason            text,
    -- NULL when the address could not be resolved
    geom              geometry(Point, 4326),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber_id, place_id)
);
CREATE INDEX place_geom ON place USING gist (geom);
CREATE INDEX place_unresolved ON place (reason) WHERE geom IS NULL;
