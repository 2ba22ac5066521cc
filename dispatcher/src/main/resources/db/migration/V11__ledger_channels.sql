-- The channels each person was told an event on (one bit per channel type, 1 << the ordinal of
-- org.allerta.contracts.Channel), so that its updates and its end follow the AFFECTED notice: on the channels that
-- carried it, not on a channel added since or on one that carries the event's kind only while it is an emergency.
-- NULL for rows written before this column: their follow-ups go on the channels that carry the event now.
ALTER TABLE ledger ADD COLUMN channels smallint;
