-- Someone who leaves an event's area and comes back within one revision (a place corrected, then corrected back)
-- is told AFFECTED again, as rule 3 says: each stay inside has its own notices. stays counts the AFFECTED stays
-- begun (rows written before: one); a notice of a later stay has the stay in its job id (JobIds). last_at is the
-- matcher's time of the last change applied, so that a change read again after a crash, older than it, is known
-- as applied even when a later change of the same revision came since.
ALTER TABLE ledger ADD COLUMN stays smallint NOT NULL DEFAULT 1, ADD COLUMN last_at timestamptz;
