-- Retention (Retention.java): the handled rows older than the retention period are deleted, oldest first. A B-tree on
-- the time: the sender writes a row per job at the providers' pace, and the index keeps finding the old rows however
-- the table's freed space is reused.
CREATE INDEX handled_job_age ON handled_job (handled_at);
