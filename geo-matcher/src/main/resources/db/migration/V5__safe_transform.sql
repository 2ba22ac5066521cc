-- A point transformed to WGS 84, or NULL when the source coordinates lie outside the projection's domain (PostGIS
-- raises an error for those): one such row of an imported file is refused with its reason instead of failing the
-- whole import.
CREATE FUNCTION to_wgs84_or_null(x float8, y float8, srid integer) RETURNS geometry
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN ST_Transform(ST_SetSRID(ST_MakePoint(x, y), srid), 4326);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;
