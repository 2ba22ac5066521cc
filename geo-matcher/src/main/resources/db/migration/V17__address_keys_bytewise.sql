-- The address's key columns and its lookup columns compare byte by byte (collation "C") instead of through the
-- database's locale. Their values are normal forms (AddressNormaliser) and register keys, only ever compared for
-- equality or ordered to choose one row deterministically, so no answer changes; but every comparison while an
-- import maintains the primary key and the lookup index, and while it sorts a file's keys, becomes a memcmp instead
-- of a strcoll (timed in docs/benchmarks.md, "the gazetteer's keys compared byte by byte").
ALTER TABLE address
    ALTER COLUMN source TYPE text COLLATE "C",
    ALTER COLUMN source_key TYPE text COLLATE "C",
    ALTER COLUMN street_norm TYPE text COLLATE "C",
    ALTER COLUMN number_norm TYPE text COLLATE "C";
