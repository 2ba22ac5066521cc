-- Receipts that arrived before their job's row: the dispatcher commits a batch's job rows once the broker holds every
-- job of it, and a sender can report on a job within that moment (or while a crashed dispatcher has not written them
-- yet). Kept here, with the record they came in, until the row appears; then applied like any receipt. A receipt whose
-- job never appears is dead-lettered after a day.
CREATE TABLE receipt_orphan (
    job_id      uuid NOT NULL,
    status      text NOT NULL,
    reason      text,
    at          timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text NOT NULL,
    part        integer NOT NULL,
    "offset"    bigint NOT NULL,
    record_key  text,
    record      bytea,
    PRIMARY KEY (job_id, status)
);
