-- Snow-clearing zones registered by their publisher; each status change is a ROAD_CLEARING event revision.
CREATE TABLE zone (
    publisher_id   text NOT NULL REFERENCES publisher (publisher_id),
    zone_id        text NOT NULL,
    name           text NOT NULL,
    area           jsonb NOT NULL,
    status         text,
    -- the zone's open event (NULL once CLEARED), its latest event, and how many events it has had
    open_event_id  text REFERENCES event (event_id),
    last_event_id  text REFERENCES event (event_id),
    events         integer NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher_id, zone_id)
);
