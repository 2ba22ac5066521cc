-- Subscribers erased from the registry (GDPR erasure, read from subscribers.erased): their jobs still queued on the
-- job topics are not sent but fail as ERASED. The subscriber id is an HMAC-SHA256 under the sender's own key
-- (service_key), so the table names nobody to whoever knows a subscriber id. A row matters only while a job of that
-- person can still be read (the job topics keep their records a day); it is kept 2 days (Retention).
CREATE TABLE erased_subscriber (
    subscriber  bytea PRIMARY KEY,
    erased_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erased_subscriber_age ON erased_subscriber (erased_at);
