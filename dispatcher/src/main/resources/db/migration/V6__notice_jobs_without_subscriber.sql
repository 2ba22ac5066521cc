-- A notice's job row no longer names its subscriber, and is no longer indexed by event and subscriber: erasure finds
-- a person's notices by their job ids, computed from the person's ledger (rule 6, JobIds), and nothing else looked job
-- rows up that way. Every notice written is one index entry cheaper. Rows written before keep their subscriber id
-- until that person's erasure clears it.
DROP INDEX job_event_subscriber;
