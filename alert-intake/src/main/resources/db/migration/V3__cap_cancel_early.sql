-- A CAP Cancel that names only what it cancels (no <info>, hence no area to record) and arrives before it (another
-- partition of intake.raw, two posts racing). It is kept, one row per message it references, so that the message,
-- when it arrives, starts (or revises its event) cancelled instead of going live with nothing left to end it.
CREATE TABLE cap_cancel_early (
    publisher_id text NOT NULL REFERENCES publisher (publisher_id),
    cap_key      text NOT NULL,         -- a referenced message, "sender,identifier,sent" with sent as a UTC instant
    test         boolean NOT NULL,      -- a Test or Exercise Cancel cancels only a test alert, and the reverse
    cancel_key   text NOT NULL,         -- the Cancel itself
    cancel_sent  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher_id, cap_key, test, cancel_key)
);
