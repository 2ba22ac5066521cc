-- An event revision's expiry beside it, so that the events still active (an ACTIVE last revision not past its expiry:
-- their statistics are published again once per heartbeat) are found without reading every alert. The revisions
-- stored before are filled in from their alert's JSON (an ISO-8601 instant, or null); a quoted key inside a text
-- would be escaped there, so only the record's own field matches.
ALTER TABLE event_revision ADD COLUMN expires_at timestamptz;
UPDATE event_revision
SET expires_at = substring(convert_from(alert, 'UTF8') from '"expiresAt":"([^"]+)"')::timestamptz;
