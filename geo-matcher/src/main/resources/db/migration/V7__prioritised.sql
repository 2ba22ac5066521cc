-- The prioritised subscribers (few) are matched first through their own places: this index finds them without
-- reading everyone.
CREATE INDEX subscriber_prioritised ON subscriber (subscriber_id) WHERE priority;
