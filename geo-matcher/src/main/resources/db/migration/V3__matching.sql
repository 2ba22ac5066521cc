-- What the matcher knows of each event: the last revision it processed, and who is affected by it.
CREATE TABLE event_state (
    event_id     text PRIMARY KEY,
    revision     bigint NOT NULL,
    kind         text NOT NULL,
    status       text NOT NULL,
    severity     text NOT NULL,
    sent_at      timestamptz,
    -- the last processed AlertEvent (JSON), for materiality and late arrivals
    alert        bytea NOT NULL,
    -- the area while the event is active, NULL once it ended
    area         geometry(Geometry, 4326),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_state_active_area ON event_state USING gist (area) WHERE area IS NOT NULL;

-- Subscribers told AFFECTED (by the matcher's reckoning) and not since NO_LONGER_AFFECTED or RESOLVED.
CREATE TABLE affected (
    event_id       text NOT NULL REFERENCES event_state (event_id) ON DELETE CASCADE,
    subscriber_id  text NOT NULL,
    place_ids      text[] NOT NULL,
    since_revision bigint NOT NULL,
    PRIMARY KEY (event_id, subscriber_id)
);
