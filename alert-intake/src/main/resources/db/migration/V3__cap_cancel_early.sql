-- A CAP Cancel that names only what it cancels (no <info>, hence no area to record) and arrives before the alert it
-- cancels (another partition of intake.raw, two posts racing). It is kept, one row per message it references, so
-- that the alert, when it arrives, starts cancelled instead of going live with nothing left to end it.
CREATE TABLE cap_cancel_early (
    publisher_id text NOT NULL REFERENCES publisher (publisher_id),
    cap_key      text NOT NULL,         -- a referenced message, "sender,identifier,sent"
    cancel_key   text NOT NULL,         -- the Cancel itself
    cancel_sent  timestamptz NOT NULL,
    test         boolean NOT NULL,      -- a Test or Exercise Cancel cancels only a test alert, and the reverse
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher_id, cap_key)
);
CREATE INDEX cap_cancel_early_by_cancel ON cap_cancel_early (publisher_id, cancel_key);
