-- A provider's report (delivered, read, failed) that comes before its job is recorded here: a webhook attempt that
-- timed out after the provider had taken the message, or a callback quicker than the group commit of the job's
-- outcome. It is turned into its receipt when the job is recorded, and forgotten after a day.
CREATE TABLE early_report (
    report_id           bigserial PRIMARY KEY,
    channel             text NOT NULL,
    job_id              uuid,
    provider_message_id text,
    status              text NOT NULL,
    reason              text,
    received_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (job_id IS NOT NULL OR provider_message_id IS NOT NULL)
);
CREATE INDEX early_report_job ON early_report (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX early_report_provider ON early_report (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX early_report_age ON early_report (received_at);
