-- The FINISHED marker of the revision last matched, committed with the state it describes: a redelivered revision
-- that was matched already sends it again, in case it did not leave before a crash or a broker refusal.
ALTER TABLE event_state ADD COLUMN finished jsonb;
