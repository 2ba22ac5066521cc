-- An AFFECTED notice for someone with no verified channel yet (registered while the event was under way) is held
-- with this far release time until a channel is verified; the verification finds that person's rows here.
CREATE INDEX held_awaiting_channel ON held (subscriber_id) WHERE release_at = '9999-12-31 00:00:00+00';
