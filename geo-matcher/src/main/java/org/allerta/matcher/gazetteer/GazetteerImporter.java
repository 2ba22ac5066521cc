package org.allerta.matcher.gazetteer;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.allerta.service.Jdbc;
import org.allerta.service.csv.CsvLine;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Imports address points with bounded memory whatever the file size: rows are read one at a time, checked, and
 * streamed with COPY into a temporary table; one statement then transforms the coordinates to EPSG:4326 in PostGIS
 * and merges them into {@code address}, keyed by (source, row key), so that importing the same file again changes
 * nothing; the streets it names are then recounted in {@code address_street}, where geocoding looks streets up.
 * Everything happens in one transaction: an import is applied whole or not at all.
 */
@ApplicationScoped
public class GazetteerImporter {

    /**
     * What an import did.
     *
     * @param rowsRead  data rows read (header excluded)
     * @param inserted  new addresses
     * @param updated   addresses whose data changed
     * @param unchanged addresses already there as they are
     * @param refused   rows not imported, per reason
     * @param seconds   how long it took
     */
    public record Report(long rowsRead, long inserted, long updated, long unchanged, Map<String, Long> refused,
                         double seconds) {
        public long imported() {
            return inserted + updated + unchanged;
        }
    }

    private final Jdbc jdbc;

    GazetteerImporter(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    public Report importCsv(InputStream body, GazetteerFormat format, int srid, String source, String city) {
        long start = System.nanoTime();
        return jdbc.inTransaction(connection -> {
            checkSrid(connection, srid);
            try (Statement s = connection.createStatement()) {
                s.execute("""
                        CREATE TEMP TABLE address_stage (line bigint, source_key text, street_type text, street text,
                            street_norm text, name_norm text, number text, number_norm text, postcode text, city text,
                            city_norm text, district text, x float8, y float8) ON COMMIT DROP""");
            }
            Map<String, Long> refused = new TreeMap<>();
            long rows = stage(connection, body, format, city, refused);
            long[] merged = merge(connection, source, srid, refused);
            streets(connection);
            return new Report(rows, merged[0], merged[1], merged[2], refused, (System.nanoTime() - start) / 1e9);
        });
    }

    private static void checkSrid(Connection connection, int srid) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT 1 FROM spatial_ref_sys WHERE srid = ?")) {
            s.setInt(1, srid);
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    throw ProblemException.invalid("Unknown SRID.", List.of(Issue.of("unknown-srid", "query:srid",
                            "EPSG:" + srid + " is not a coordinate system PostGIS knows.")));
                }
            }
        }
    }

    private static long stage(Connection connection, InputStream body, GazetteerFormat format, String city,
                              Map<String, Long> refused) throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(
                "COPY address_stage FROM STDIN WITH (FORMAT text)");
        long rows = 0;
        try (var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
            String header = reader.readLine();
            if (header == null) {
                throw ProblemException.invalid("The file is empty.", List.of(Issue.of("empty-file", "line:1",
                        "The file has no header and no rows.")));
            }
            Map<String, Integer> columns = columns(header, format);
            var memo = new Memo();
            var out = new StringBuilder(1 << 16);
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                rows++;
                String reason = row(out, rows, CsvLine.split(line, format.separator()), columns, format, city,
                        memo);
                if (reason != null) {
                    refused.merge(reason, 1L, Long::sum);
                }
                if (out.length() > (1 << 16) - 2048) {
                    flush(copy, out);
                }
            }
            flush(copy, out);
            copy.endCopy();
            return rows;
        } catch (IOException e) {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
            throw ProblemException.unparseable("The file could not be read to its end: " + e.getMessage());
        } catch (RuntimeException | SQLException e) {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
            throw e;
        }
    }

    private static Map<String, Integer> columns(String header, GazetteerFormat format) {
        List<String> names = CsvLine.split(header.replace("\uFEFF", ""), format.separator());
        var index = new HashMap<String, Integer>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i).trim().toLowerCase(Locale.ROOT), i);
        }
        var columns = new HashMap<String, Integer>();
        for (var entry : format.columns().entrySet()) {
            Integer at = index.get(entry.getValue());
            if (at != null) {
                columns.put(entry.getKey(), at);
            }
        }
        for (String required : List.of("x", "y", "street", "number")) {
            if (!columns.containsKey(required)) {
                throw ProblemException.invalid("The header lacks a column.", List.of(Issue.of("missing-column",
                        "line:1", "The " + format.name().toLowerCase(Locale.ROOT) + " header needs a '"
                                + format.columns().get(required) + "' column; it has " + names + ".")));
            }
        }
        return columns;
    }

    /**
     * The normal forms of the values that repeat from row to row of a register (a street's type and name on each of
     * its house numbers, the city on every row), computed once per distinct value; bounded, whatever the file.
     */
    private static final class Memo {
        private static final int LIMIT = 20_000;
        private final Map<String, String> types = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, String> cities = new HashMap<>();

        String type(String raw) {
            return get(types, raw, AddressNormaliser::streetType);
        }

        String name(String raw) {
            return get(names, raw, AddressNormaliser::streetName);
        }

        String city(String raw) {
            return get(cities, raw, AddressNormaliser::clean);
        }

        private static String get(Map<String, String> memo, String raw, java.util.function.UnaryOperator<String> f) {
            String value = memo.get(raw);
            if (value == null) {
                if (memo.size() >= LIMIT) {
                    memo.clear();
                }
                value = f.apply(raw);
                memo.put(raw, value);
            }
            return value;
        }
    }

    /** Appends one row in COPY text format; returns why it was refused, or null. */
    private static String row(StringBuilder out, long line, List<String> fields, Map<String, Integer> columns,
                              GazetteerFormat format, String defaultCity, Memo memo) {
        for (int at : columns.values()) {
            if (at >= fields.size()) {
                return "wrong-column-count";
            }
        }
        String street = field(fields, columns, "street");
        if (street.isBlank()) {
            return "missing-street";
        }
        double x;
        double y;
        try {
            x = Double.parseDouble(field(fields, columns, "x").replace(',', '.'));
            y = Double.parseDouble(field(fields, columns, "y").replace(',', '.'));
        } catch (NumberFormatException e) {
            return "invalid-coordinates";
        }
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            return "invalid-coordinates";
        }
        String type = field(fields, columns, "type");
        String number = field(fields, columns, "number");
        String suffix = field(fields, columns, "suffix");
        String city = columns.containsKey("city") ? field(fields, columns, "city") : defaultCity;
        String typeNorm = memo.type(type);
        String nameNorm = memo.name(street);
        String cityNorm = memo.city(city == null ? "" : city);
        String streetNorm = (typeNorm + " " + nameNorm).trim();
        String numberNorm = AddressNormaliser.number(number, suffix);
        String key = format == GazetteerFormat.CIVICI && columns.containsKey("streetCode")
                ? field(fields, columns, "streetCode") + "|" + numberNorm
                : streetNorm + "|" + numberNorm + "|" + cityNorm;
        String displayNumber = suffix.isBlank() ? number.trim() : number.trim() + "/" + suffix.trim();
        append(out, Long.toString(line), key, type.trim(), street.trim(), streetNorm, nameNorm,
                displayNumber, numberNorm, field(fields, columns, "postcode"), city == null ? "" : city.trim(),
                cityNorm, field(fields, columns, "district"), Double.toString(x),
                Double.toString(y));
        return null;
    }

    private static String field(List<String> fields, Map<String, Integer> columns, String name) {
        Integer at = columns.get(name);
        return at == null || at >= fields.size() ? "" : fields.get(at).trim();
    }

    private static void append(StringBuilder out, String... values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append('\t');
            }
            String value = values[i];
            for (int c = 0; c < value.length(); c++) {
                char ch = value.charAt(c);
                switch (ch) {
                    case '\\' -> out.append("\\\\");
                    case '\t' -> out.append("\\t");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    default -> out.append(ch);
                }
            }
        }
        out.append('\n');
    }

    private static void flush(CopyIn copy, StringBuilder out) throws SQLException {
        if (out.length() > 0) {
            byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            out.setLength(0);
        }
    }

    /**
     * Recounts the streets the file names (house numbers per street, city and postcode) and forgets the streets left
     * without any house number (a register that renamed a street under its code). A street that lost only some of
     * its numbers that way keeps a count a little high until a file names it again: the count only breaks ties
     * between equally similar streets.
     */
    private static void streets(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("""
                    INSERT INTO address_street (street_norm, name_norm, city_norm, postcode, addresses)
                    SELECT a.street_norm, a.name_norm, a.city_norm, a.postcode, count(*) FROM address a
                    WHERE a.street_norm IN (SELECT DISTINCT street_norm FROM address_stage)
                    GROUP BY 1, 2, 3, 4
                    ON CONFLICT (street_norm, city_norm, postcode, name_norm)
                        DO UPDATE SET addresses = excluded.addresses
                        WHERE address_street.addresses <> excluded.addresses""");
            s.execute("""
                    DELETE FROM address_street st WHERE NOT EXISTS (
                        SELECT 1 FROM address a WHERE a.street_norm = st.street_norm AND a.city_norm = st.city_norm
                            AND a.postcode = st.postcode AND a.name_norm = st.name_norm)""");
        }
    }

    /**
     * Transforms and merges the staged rows; returns inserted, updated, unchanged. The coordinates are transformed
     * for the whole file at once; only when PROJ refuses one of them (a point outside what the projection can take)
     * is the merge done again with the per-row transform that turns such a point into a refusal: that one needs a
     * subtransaction per row, several times slower.
     */
    private static long[] merge(Connection connection, String source, int srid, Map<String, Long> refused)
            throws SQLException {
        Savepoint before = connection.setSavepoint();
        long[] merged;
        try {
            merged = merge(connection, source, srid, refused, "ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ?), 4326)");
        } catch (SQLException e) {
            connection.rollback(before);
            return merge(connection, source, srid, refused, "to_wgs84_or_null(x, y, ?)");
        }
        connection.releaseSavepoint(before);
        return merged;
    }

    private static long[] merge(Connection connection, String source, int srid, Map<String, Long> refused,
                                String transform) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("""
                WITH staged AS (
                    SELECT DISTINCT ON (source_key) *, %s AS geom,
                           count(*) OVER (PARTITION BY source_key) AS copies
                    FROM address_stage ORDER BY source_key, line DESC),
                located AS (
                    SELECT * FROM staged WHERE geom IS NOT NULL
                        AND ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90),
                merged AS (
                    INSERT INTO address AS a (source, source_key, street_type, street, street_norm, name_norm, number,
                                              number_norm, postcode, city, city_norm, district, geom)
                    SELECT ?, source_key, street_type, street, street_norm, name_norm, number, number_norm, postcode,
                           city, city_norm, district, geom FROM located
                    ON CONFLICT (source, source_key) DO UPDATE SET street_type = excluded.street_type,
                        street = excluded.street, street_norm = excluded.street_norm, name_norm = excluded.name_norm,
                        number = excluded.number, number_norm = excluded.number_norm, postcode = excluded.postcode,
                        city = excluded.city, city_norm = excluded.city_norm, district = excluded.district,
                        geom = excluded.geom, imported_at = now()
                    WHERE (a.street_type, a.street, a.number, a.postcode, a.city, a.district)
                          IS DISTINCT FROM (excluded.street_type, excluded.street, excluded.number, excluded.postcode,
                                            excluded.city, excluded.district)
                       OR NOT ST_Equals(a.geom, excluded.geom)
                    RETURNING (xmax = 0) AS inserted)
                SELECT (SELECT count(*) FROM merged WHERE inserted),
                       (SELECT count(*) FROM merged WHERE NOT inserted),
                       (SELECT count(*) FROM located),
                       (SELECT coalesce(sum(copies - 1), 0) FROM staged),
                       (SELECT count(*) FROM staged) - (SELECT count(*) FROM located)""".formatted(transform))) {
            s.setInt(1, srid);
            s.setString(2, source);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                long inserted = rows.getLong(1);
                long updated = rows.getLong(2);
                long located = rows.getLong(3);
                long duplicates = rows.getLong(4);
                long outOfRange = rows.getLong(5);
                if (duplicates > 0) {
                    refused.merge("duplicate-in-file", duplicates, Long::sum);
                }
                if (outOfRange > 0) {
                    refused.merge("coordinates-out-of-range", outOfRange, Long::sum);
                }
                return new long[] {inserted, updated, located - inserted - updated};
            }
        }
    }
}
