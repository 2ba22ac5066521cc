-- A channel removed from a person (its address replaced, the channel dropped, or unsubscribed) withdraws the jobs of
-- that channel type made before its removal (before, the dispatcher's time); channel '' is the erasure of the whole
-- person, every job of theirs. erased_at stays the time the row was stored: what tells the instances that something
-- changed, and what the retention counts from.
ALTER TABLE erased_subscriber ADD COLUMN channel text NOT NULL DEFAULT '';
ALTER TABLE erased_subscriber ADD COLUMN before timestamptz;
ALTER TABLE erased_subscriber DROP CONSTRAINT erased_subscriber_pkey;
ALTER TABLE erased_subscriber ADD PRIMARY KEY (subscriber, channel);
