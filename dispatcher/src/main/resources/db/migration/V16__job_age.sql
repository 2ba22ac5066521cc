-- Retention (Retention.java): job rows older than the retention period are deleted whatever their event. Rows are
-- written in the order they are created, so a BRIN index finds the old ones for a few pages of index, at almost no
-- cost to each insert (a B-tree would add an entry per notice to the dispatcher's hottest write). Once updates and
-- reused space have mixed the order, a sweep reads the table instead, whose size the retention itself bounds.
CREATE INDEX job_created ON job USING brin (created_at);
