-- The revision of the last AFFECTED or UPDATED notice that went out to the person (null: none yet, or a row written
-- before it was kept). Someone back inside an event's area before a held NO_LONGER_AFFECTED went out hears nothing
-- new by AFFECTED, since what they last heard is true again; but the event may have changed since that notice (an
-- UPDATED held for the night and superseded by the leave, or an update published while they were outside). This
-- column tells whether it did, and then they are told the UPDATED.
ALTER TABLE ledger ADD COLUMN heard_revision bigint;
