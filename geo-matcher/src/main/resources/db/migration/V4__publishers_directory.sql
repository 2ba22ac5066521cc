-- The publishers announced on the compacted publishers topic (no secrets), to authorise reach previews.
CREATE TABLE publisher_directory (
    publisher_id    text PRIMARY KEY,
    api_key_sha256  text,
    allowed_kinds   text[] NOT NULL,
    territory       geometry(Geometry, 4326),
    active          boolean NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX publisher_directory_key ON publisher_directory (api_key_sha256);
