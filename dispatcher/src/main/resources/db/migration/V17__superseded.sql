-- Notices the sender did not send because an urgent notice about a later revision of the same event reached their
-- person on the same channel first (its FAILED receipt's reason SUPERSEDED): finished, but neither sent nor failed.
ALTER TABLE event_count ADD COLUMN superseded bigint NOT NULL DEFAULT 0;
