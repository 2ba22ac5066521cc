-- Subscribers whose places were stored while events are active, waiting to be matched against them. They are matched
-- when no revision is being matched (MatchingLock), without making revisions wait behind them.
CREATE TABLE late_arrival (
    subscriber_id text PRIMARY KEY,
    since         timestamptz NOT NULL DEFAULT now()
);

-- Geocoding asks whether the register names a city at all before it looks for a street without one.
CREATE INDEX address_street_city ON address_street (city_norm);
