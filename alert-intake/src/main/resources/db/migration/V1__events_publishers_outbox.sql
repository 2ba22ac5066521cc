-- alert-intake owns the truth about events and publishers.

CREATE TABLE publisher (
    publisher_id     text PRIMARY KEY,
    name             text NOT NULL,
    api_key_sha256   char(64) NOT NULL UNIQUE,
    -- AES-256-GCM (12-byte IV followed by the ciphertext) under ALLERTA_SECRETS_KEY
    signing_secret   bytea NOT NULL,
    allowed_kinds    text[] NOT NULL,
    -- NULL: the whole world
    territory        geometry(MultiPolygon, 4326),
    area_limit_km2   double precision NOT NULL CHECK (area_limit_km2 > 0),
    test_mode        boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per event: which revision is the latest (its content is in event_revision).
CREATE TABLE event (
    event_id            text PRIMARY KEY,
    publisher_id        text NOT NULL REFERENCES publisher (publisher_id),
    publisher_event_id  text NOT NULL,
    revision            integer NOT NULL CHECK (revision >= 1),
    kind                text NOT NULL,
    status              text NOT NULL,
    sent_at             timestamptz,
    content_sha256      char(64) NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (publisher_id, publisher_event_id)
);
CREATE INDEX event_listing ON event (publisher_id, status, kind, updated_at DESC);

-- Every revision, as emitted on alerts.events (the AlertEvent JSON, byte for byte).
CREATE TABLE event_revision (
    event_id     text NOT NULL REFERENCES event (event_id),
    revision     integer NOT NULL,
    alert        bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, revision)
);

-- CAP messages seen, by "sender,identifier,sent", and the event each belongs to.
CREATE TABLE cap_message (
    publisher_id  text NOT NULL,
    cap_key       text NOT NULL,
    event_id      text NOT NULL REFERENCES event (event_id),
    -- true when only referenced so far (an Update arrived before its original)
    referenced_only boolean NOT NULL DEFAULT false,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher_id, cap_key)
);

-- Records to publish, written in the same transaction as the state they announce; the relay sends them in order.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    record_key  text NOT NULL,
    payload     bytea NOT NULL,
    headers     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
