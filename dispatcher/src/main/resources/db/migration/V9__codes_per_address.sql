-- Verification codes sent to each address over the last day, by the address's SHA-256 (never the address itself):
-- a channel removed and added again, or registered under another person, gets no fresh allowance of codes, so an
-- app cannot be used to flood someone's phone with codes or to guess codes without end. Rows older than a day go.
CREATE TABLE code_sent (
    address_sha256 text NOT NULL,
    sent_at        timestamptz NOT NULL
);
CREATE INDEX code_sent_address ON code_sent (address_sha256, sent_at);
CREATE INDEX code_sent_at ON code_sent (sent_at);
