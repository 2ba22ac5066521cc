-- Tracking tokens are now the job id encrypted under the service's key (Tokens): nothing of them is stored or
-- indexed for new jobs. Tokens already sent keep working through the hash of the earlier scheme.
ALTER TABLE job ALTER COLUMN token_sha256 DROP NOT NULL;
ALTER TABLE job DROP CONSTRAINT job_token_sha256_key;
CREATE UNIQUE INDEX job_legacy_token ON job (token_sha256) WHERE token_sha256 IS NOT NULL;

-- One index finds an event's jobs (statistics) and, per event, a person's (erasure); jobs without an event (the
-- channel verification codes) have their own small index. Two indexes fewer to maintain for every notice.
DROP INDEX job_event;
DROP INDEX job_subscriber;
CREATE INDEX job_event_subscriber ON job (event_id, subscriber_id) WHERE event_id IS NOT NULL;
CREATE INDEX job_unattached_subscriber ON job (subscriber_id) WHERE event_id IS NULL AND subscriber_id IS NOT NULL;

-- The ledger is found per person the same way at erasure (its key starts with the event): its index on the person
-- alone goes too.
DROP INDEX ledger_subscriber;
