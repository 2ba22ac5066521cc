-- A channel may be sent at most 5 codes before it is confirmed. codes_sent numbers every code the channel was ever
-- sent (each code's job id is made from its number, so a number is never used twice); codes_before is codes_sent at
-- the last confirmation, so that a person who unsubscribed by mistake and confirms the channel again, possibly more
-- than once over the years, gets the same 5 codes each time.
ALTER TABLE channel ADD COLUMN codes_before int NOT NULL DEFAULT 0;
-- channels confirmed before this column existed start their next allowance from the codes they were sent
UPDATE channel SET codes_before = codes_sent WHERE verified_at IS NOT NULL;
