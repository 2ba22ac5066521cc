-- Events whose statistics may have changed since alerts.stats last carried them. Whatever changes a count (a
-- revision, a batch of notices, a receipt, a click, the end of matching, a released or erased held notice) adds its
-- event here after its own commit; the statistics clock takes the oldest entries, recounts those events and
-- publishes the ones whose counts moved. Work per tick follows what happened, not how many events are active.
CREATE TABLE stats_pending (
    event_id text PRIMARY KEY,
    since    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX stats_pending_since ON stats_pending (since, event_id);
