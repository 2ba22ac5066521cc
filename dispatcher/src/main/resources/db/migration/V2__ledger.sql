-- What the dispatcher knows of events, what each person was told, and what became of every job.

-- The revisions of alerts.events (a match is held until the revision it names has arrived).
CREATE TABLE event_revision (
    event_id    text NOT NULL,
    revision    bigint NOT NULL,
    publisher_id text,
    status      text NOT NULL,
    alert       bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, revision)
);

-- alerts.progress: when the matching of a revision finished, and its counts.
CREATE TABLE revision_progress (
    event_id    text NOT NULL,
    revision    bigint NOT NULL,
    subscribers bigint NOT NULL,
    finished_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, revision)
);

CREATE TABLE publisher_directory (
    publisher_id   text PRIMARY KEY,
    name           text NOT NULL,
    api_key_sha256 text,
    active         boolean NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What each subscriber has been told about each event (NoticeRules.Told), and the last change applied, so that a
-- redelivered match is recognised.
CREATE TABLE ledger (
    event_id      text NOT NULL,
    subscriber_id uuid NOT NULL,
    told          text NOT NULL,
    last_revision bigint NOT NULL,
    last_change   text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, subscriber_id)
);
CREATE INDEX ledger_subscriber ON ledger (subscriber_id);

-- Notices waiting for the end of a subscriber's quiet hours.
CREATE TABLE held (
    event_id      text NOT NULL,
    subscriber_id uuid NOT NULL,
    change        text NOT NULL,
    revision      bigint NOT NULL,
    place_ids     text[] NOT NULL DEFAULT '{}',
    priority      boolean NOT NULL,
    release_at    timestamptz NOT NULL,
    PRIMARY KEY (event_id, subscriber_id, change)
);
CREATE INDEX held_release ON held (release_at);

-- Every job emitted, with its tracking token (hashed) and what became of it. No personal data: after erasure the
-- subscriber and channel ids are cleared and the row stays as an anonymous count.
CREATE TABLE job (
    job_id         uuid PRIMARY KEY,
    token_sha256   bytea NOT NULL UNIQUE,
    purpose        text NOT NULL,
    event_id       text,
    revision       bigint,
    change         text,
    channel        text NOT NULL,
    subscriber_id  uuid,
    channel_id     uuid,
    created_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    delivered_at   timestamptz,
    failed_at      timestamptz,
    failure_reason text,
    read_at        timestamptz,
    clicked_at     timestamptz
);
CREATE INDEX job_event ON job (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX job_subscriber ON job (subscriber_id) WHERE subscriber_id IS NOT NULL;

-- Per event: distinct subscribers matched, and notices kept from citizens because the event is a test.
CREATE TABLE event_tally (
    event_id       text PRIMARY KEY,
    matched        bigint NOT NULL DEFAULT 0,
    test_withheld  bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- notifications.backlog: the senders' plan per channel (and per event).
CREATE TABLE channel_backlog (
    channel         text NOT NULL,
    event_id        text NOT NULL DEFAULT '',
    waiting         bigint NOT NULL,
    rate_per_second double precision NOT NULL,
    drain_seconds   double precision,
    at              timestamptz NOT NULL,
    PRIMARY KEY (channel, event_id)
);

-- How many matches of each revision the dispatcher has decided on (compared with alerts.progress to know when a
-- revision is fully dispatched).
CREATE TABLE revision_dispatched (
    event_id text NOT NULL,
    revision bigint NOT NULL,
    changes  bigint NOT NULL,
    PRIMARY KEY (event_id, revision)
);
