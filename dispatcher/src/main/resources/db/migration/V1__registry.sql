-- The dispatcher's registry: the only place where names, contacts and free-text labels live.

CREATE TABLE subscriber (
    subscriber_id            uuid PRIMARY KEY,
    external_id              text UNIQUE,
    name                     text NOT NULL,
    language                 text NOT NULL,
    interests                text[] NOT NULL,
    profile                  text[] NOT NULL DEFAULT '{}',
    -- stored only with explicit consent (time and wording version)
    priority                 boolean NOT NULL DEFAULT false,
    priority_consent_at      timestamptz,
    priority_consent_wording text,
    quiet_from               time,
    quiet_to                 time,
    quiet_zone               text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT priority OR (priority_consent_at IS NOT NULL AND priority_consent_wording IS NOT NULL))
);

CREATE TABLE channel (
    channel_id      uuid PRIMARY KEY,
    subscriber_id   uuid NOT NULL REFERENCES subscriber ON DELETE CASCADE,
    position        int NOT NULL,
    type            text NOT NULL,
    address         text NOT NULL,
    kinds           text[] NOT NULL DEFAULT '{}',
    verified_at     timestamptz,
    consent_source  text,
    code_sha256     text,
    code_expires_at timestamptz,
    code_attempts   int NOT NULL DEFAULT 0,
    codes_sent      int NOT NULL DEFAULT 0,
    unsubscribed_at timestamptz,
    UNIQUE (subscriber_id, type, address)
);
CREATE INDEX channel_subscriber ON channel (subscriber_id);

CREATE TABLE place (
    place_id           uuid PRIMARY KEY,
    subscriber_id      uuid NOT NULL REFERENCES subscriber ON DELETE CASCADE,
    position           int NOT NULL,
    label              text,
    category           text NOT NULL,
    address            text,
    lon                double precision,
    lat                double precision,
    geocoding_status   text,
    matched_address    text,
    confidence         double precision,
    geocoding_reason   text,
    geocoded_at        timestamptz
);
CREATE INDEX place_subscriber ON place (subscriber_id);

-- Records for Kafka written in the same transaction as the state they announce (subscribers.places, verification
-- codes); a NULL payload is a tombstone.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    record_key  text NOT NULL,
    payload     bytea,
    headers     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Anonymous counters kept after erasure.
CREATE TABLE counter (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);

-- A key generated on first start; tracking tokens are derived from job ids with it.
CREATE TABLE service_key (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
