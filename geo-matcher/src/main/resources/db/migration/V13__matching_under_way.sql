-- The revisions whose matching has started and not committed: written before the first change leaves, removed by the
-- matching's own transaction. A row left behind (a matching that failed after some changes were acknowledged, or a
-- crash) marks the event as in doubt until a later matching of it commits: its affected set may be behind what the
-- dispatcher was already told, so late arrivals tell nobody there that they are no longer affected meanwhile.
CREATE TABLE matching_under_way (
    event_id text PRIMARY KEY,
    revision bigint NOT NULL,
    since    timestamptz NOT NULL DEFAULT now()
);
