-- The statistics' counts per event, channel and change, kept as additions: each batch of notices, each batch of
-- receipts and each click adds one row of what it changed (only first times count: a repeated receipt adds nothing),
-- without waiting for any other writer. The statistics add them up and fold an event's rows into one per channel and
-- change when they grow, so a million notices are counted from a few rows instead of a million.
CREATE TABLE event_count (
    event_id  text NOT NULL,
    channel   text NOT NULL,
    change    text NOT NULL,
    notified  bigint NOT NULL DEFAULT 0,
    sent      bigint NOT NULL DEFAULT 0,
    delivered bigint NOT NULL DEFAULT 0,
    failed    bigint NOT NULL DEFAULT 0,
    read      bigint NOT NULL DEFAULT 0,
    clicked   bigint NOT NULL DEFAULT 0,
    finished  bigint NOT NULL DEFAULT 0
);
CREATE INDEX event_count_event ON event_count (event_id);

-- what the job rows already say
INSERT INTO event_count (event_id, channel, change, notified, sent, delivered, failed, read, clicked, finished)
SELECT event_id, channel, change, count(*), count(sent_at), count(delivered_at), count(failed_at), count(read_at),
       count(clicked_at), count(*) FILTER (WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL)
FROM job WHERE purpose = 'NOTICE' AND event_id IS NOT NULL AND change IS NOT NULL
GROUP BY event_id, channel, change;
