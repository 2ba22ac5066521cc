-- Every job the sender has dealt with: sent, or definitively failed. A job id found here is never sent again.
CREATE TABLE handled_job (
    job_id              uuid PRIMARY KEY,
    channel             text NOT NULL,
    event_id            text,
    outcome             text NOT NULL,
    reason              text,
    attempts            int NOT NULL,
    provider_message_id text,
    handled_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handled_job_provider ON handled_job (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Receipts leave through the outbox, in the same transaction as the handled row: none is lost in a crash.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    record_key  text NOT NULL,
    payload     bytea,
    headers     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
