-- Verification codes sent to each address over the last day, by a keyed digest of the address (never the address):
-- a channel removed and added again, or registered under another person, gets no fresh allowance of codes, so an
-- app cannot be used to flood someone's phone with codes or to guess codes without end. Rows older than a day go.
CREATE TABLE code_sent (
    address_digest text NOT NULL,
    sent_at        timestamptz NOT NULL
);
CREATE INDEX code_sent_address ON code_sent (address_digest, sent_at);
CREATE INDEX code_sent_at ON code_sent (sent_at);
