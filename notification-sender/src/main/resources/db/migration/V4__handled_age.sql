-- Retention (Retention.java): the handled rows older than the retention period are deleted. Rows are appended in the
-- order they are handled, so a BRIN index finds the old ones at almost no cost to each insert.
CREATE INDEX handled_job_age ON handled_job USING brin (handled_at);
