-- A digest of what the registration said (Registration.fingerprint), written by POST and PUT: a POST repeated with
-- the same externalId is a retry when it says the same (200), and is refused when it says something else (409), since
-- answering "unchanged" would let the app believe a new number or address was saved. Rows written before: null, any
-- repeat answered as before.
ALTER TABLE subscriber ADD COLUMN registration_sha256 text;
