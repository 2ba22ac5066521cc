-- Where each event's last jobs lie on each channel's job topic: the highest offset the broker acknowledged, per
-- partition. With the sender's committed position in each partition (notifications.backlog), it tells how much of
-- a channel's queue is ahead of an event's last notice, hence when that event's last person will have been told.
CREATE TABLE job_position (
    event_id    text NOT NULL,
    channel     text NOT NULL,
    partition   int NOT NULL,
    last_offset bigint NOT NULL,
    PRIMARY KEY (event_id, channel, partition)
);

-- The sender's committed position and the end offset per partition of the channel's job topic, with its
-- whole-channel plan.
ALTER TABLE channel_backlog ADD COLUMN positions jsonb;
ALTER TABLE channel_backlog ADD COLUMN ends jsonb;
