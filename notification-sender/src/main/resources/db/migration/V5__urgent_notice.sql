-- The newest revision of an event told to a person on a channel by an urgent notice (ADR 5), when later than the
-- first: a notice of the bulk about an older revision of the same event, still queued when the urgent one went out
-- (an outage that escalated to an emergency while its first notices waited behind the channel's limit), is not sent
-- after it. The event and the person are an HMAC-SHA256 under the sender's own key (service_key, generated on first
-- use), so the table names nobody to whoever knows a subscriber id. A row matters only while such a job can still be
-- sent (a job lives 12 hours by default); it is kept 2 days (Retention).
CREATE TABLE urgent_notice (
    person_event  bytea NOT NULL,
    channel       text NOT NULL,
    revision      bigint NOT NULL,
    sent_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_event, channel)
);
CREATE INDEX urgent_notice_age ON urgent_notice (sent_at);

CREATE TABLE service_key (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
