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
import org.allerta.service.csv.CsvRecords;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Imports address points with bounded memory whatever the file size: rows are read one at a time, checked, and
 * streamed with COPY into a temporary table; one statement then transforms the coordinates to EPSG:4326 in PostGIS
 * and sets each row beside the address already known under the same key (source, row key), and only the new
 * addresses are inserted and the changed ones updated, so that importing the same file again writes nothing; the
 * streets that gained or lost house numbers are then counted again in {@code address_street}, where geocoding
 * looks streets up. Everything happens in one transaction: an import is applied whole or not at all.
 */
@ApplicationScoped
public class GazetteerImporter {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GazetteerImporter.class);

    /**
     * What an import did.
     *
     * @param rowsRead  data rows read (header excluded)
     * @param imported  rows imported: new, changed and already there as they are
     * @param inserted  new addresses
     * @param updated   addresses whose data changed
     * @param unchanged addresses already there as they are
     * @param refused   rows not imported, per reason
     * @param seconds   how long it took
     * @param placesResolved citizens' places, unresolved before, that the import let the geocoder find (their new
     *                  outcome published on places.geocoded)
     * @param unitsFolded rows of a flat (OpenAddresses UNIT) folded into their building's address, which shares its
     *                  point: neither imported on their own nor refused
     * @param refinementPending the import is stored, and geocoding the citizens' places again could not finish (the
     *                  broker or the database away): the service takes it up again by itself
     */
    public record Report(long rowsRead, long imported, long inserted, long updated, long unchanged,
                         Map<String, Long> refused, double seconds, long placesResolved, long unitsFolded,
                         boolean refinementPending) {

        Report(long rowsRead, long inserted, long updated, long unchanged, Map<String, Long> refused, double seconds,
               long unitsFolded) {
            this(rowsRead, inserted + updated + unchanged, inserted, updated, unchanged, refused, seconds, 0,
                    unitsFolded, false);
        }

        /** This report, with the citizens' places the import let the geocoder find at last. */
        public Report withPlacesResolved(long resolved) {
            return new Report(rowsRead, imported, inserted, updated, unchanged, refused, seconds, resolved,
                    unitsFolded, false);
        }

        /** This report, its places' refinement left to the service's own retries. */
        public Report withRefinementPending() {
            return new Report(rowsRead, imported, inserted, updated, unchanged, refused, seconds, 0, unitsFolded,
                    true);
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
                        CREATE TEMP TABLE address_stage (line bigint, source_key text COLLATE "C", street_type text,
                            street text, street_norm text COLLATE "C", name_norm text, number text,
                            number_norm text COLLATE "C", postcode text, city text,
                            city_norm text, district text, district_norm text, x float8, y float8, unit boolean)
                            ON COMMIT DROP""");
            }
            Map<String, Long> refused = new TreeMap<>();
            long rows = stage(connection, body, format, city, refused);
            long staged = System.nanoTime();
            long[] merged = merge(connection, source, srid,
                    rows - refused.values().stream().mapToLong(Long::longValue).sum(), refused);
            long mergedAt = System.nanoTime();
            streets(connection, merged[0] + merged[1]);
            if (merged[0] + merged[1] > 0) {
                // the places this import may place better are geocoded again after it, whatever stops that
                try (Statement s = connection.createStatement()) {
                    s.executeUpdate("INSERT INTO refinement_pending (since) VALUES (clock_timestamp()) ON CONFLICT (only_row)"
                            + " DO UPDATE SET since = greatest(refinement_pending.since, excluded.since)");
                }
            }
            LOG.debugf("%s: %d rows, staged %d ms, merged %d ms, streets %d ms", source, rows,
                    (staged - start) / 1_000_000, (mergedAt - staged) / 1_000_000,
                    (System.nanoTime() - mergedAt) / 1_000_000);
            return new Report(rows, merged[0], merged[1], merged[2], refused, (System.nanoTime() - start) / 1e9,
                    merged[3]);
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

    /** The longest row read; a longer one is refused without being held in memory. */
    static final int MAX_ROW_CHARS = 64 * 1024;

    private static long stage(Connection connection, InputStream body, GazetteerFormat format, String city,
                              Map<String, Long> refused) throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(
                "COPY address_stage FROM STDIN WITH (FORMAT text)");
        long rows = 0;
        try (var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
            // records of bounded size, whatever the file (a register uploaded as one line would not be held whole)
            var records = new CsvRecords(reader, MAX_ROW_CHARS).linesOnly();
            records.separator(format.separator());
            CsvRecords.Record first = records.next();
            if (first == null) {
                throw ProblemException.invalid("The file is empty.", List.of(Issue.of("empty-file", "line:1",
                        "The file has no header and no rows.")));
            }
            if (first.tooLong()) {
                throw ProblemException.invalid("The header is too long.", List.of(Issue.of("line-too-long", "line:1",
                        "The header is longer than " + MAX_ROW_CHARS + " characters: is this a CSV file?")));
            }
            String header = first.text();
            Map<String, Integer> columns = columns(header, format);
            int headerColumns = CsvLine.split(header, format.separator()).size();
            int lastColumn = columns.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            var memo = new Memo();
            var out = new StringBuilder(1 << 16);
            boolean cityNeedsEscapes = city != null && needsEscapes(city);
            CsvRecords.Record record;
            while ((record = records.next()) != null) {
                String line = record.text();
                if (line != null && line.isBlank()) {
                    continue;
                }
                rows++;
                String reason;
                if (record.tooLong()) {
                    reason = "line-too-long";
                } else if (line.indexOf('\uFFFD') >= 0 || line.indexOf('\u0000') >= 0) {
                    // bytes that are not UTF-8 (a register saved as Windows-1252): names would be garbled; a NUL,
                    // which no text column stores, would fail the whole file's COPY
                    reason = "invalid-encoding";
                } else {
                    List<String> fields = CsvLine.split(line, format.separator());
                    // more fields than the header names: a separator inside a value shifted the columns
                    reason = fields.size() > headerColumns ? "wrong-column-count"
                            : row(out, rows, fields, columns, lastColumn, format, city, memo,
                                    cityNeedsEscapes || needsEscapes(line));
                }
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
     * its house numbers, the city on every row, the numbers 1, 2, 3... on every street), computed once per distinct
     * value; bounded, whatever the file.
     */
    private static final class Memo {
        private static final int LIMIT = 20_000;
        private final Map<String, String> types = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, String> cities = new HashMap<>();
        private final Map<String, String> numbers = new HashMap<>();
        private final Map<String, String> splits = new HashMap<>();

        String type(String raw) {
            return get(types, raw, AddressNormaliser::streetType);
        }

        String name(String raw) {
            return get(names, raw, AddressNormaliser::streetName);
        }

        /** {@link AddressNormaliser#splitType}, once per distinct street. */
        String[] split(String street) {
            String both = get(splits, street, raw -> {
                String[] split = AddressNormaliser.splitType(raw);
                return split == null ? "" : split[0] + '\u0000' + split[1];
            });
            return both.isEmpty() ? null : both.split("\u0000", 2);
        }

        String city(String raw) {
            return get(cities, raw, AddressNormaliser::clean);
        }

        String number(String number, String suffix) {
            return get(numbers, number + '\u0000' + suffix, key -> AddressNormaliser.number(number, suffix));
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
                              int lastColumn, GazetteerFormat format, String defaultCity, Memo memo,
                              boolean escapes) {
        if (lastColumn >= fields.size()) {
            return "wrong-column-count";
        }
        String street = field(fields, columns, "street");
        if (street.isBlank()) {
            return "missing-street";
        }
        String x = coordinate(field(fields, columns, "x"));
        String y = coordinate(field(fields, columns, "y"));
        if (x == null || y == null) {
            return "invalid-coordinates";
        }
        String type = field(fields, columns, "type");
        // an address's key as it was before the type was split off the name, so that a register imported before is
        // recognised address by address
        String keyStreet = columns.containsKey("type") ? null : memo.name(street);
        if (!columns.containsKey("type")) {
            // OpenAddresses writes the type in the street's name: "Via Garibaldi" is found as "Garibaldi 5" too, and
            // a misspelt name is compared with names, not with a type and a name
            String[] split = memo.split(street);
            if (split != null) {
                type = split[0];
                street = split[1];
            }
        }
        String number = field(fields, columns, "number");
        String suffix = field(fields, columns, "suffix");
        String city = columns.containsKey("city") ? field(fields, columns, "city") : defaultCity;
        String district = field(fields, columns, "district");
        String typeNorm = memo.type(type);
        String nameNorm = memo.name(street);
        String cityNorm = memo.city(city == null ? "" : city);
        String streetNorm = (typeNorm + " " + nameNorm).trim();
        String numberNorm = memo.number(number, suffix);
        String key = format == GazetteerFormat.CIVICI && columns.containsKey("streetCode")
                ? field(fields, columns, "streetCode") + "|" + numberNorm
                : (keyStreet == null ? streetNorm : keyStreet) + "|" + numberNorm + "|" + cityNorm;
        String displayNumber = suffix.isBlank() ? number.trim() : number.trim() + "/" + suffix.trim();
        append(out, escapes, Long.toString(line), key, type.trim(), street.trim(), streetNorm, nameNorm,
                displayNumber, numberNorm, field(fields, columns, "postcode"), city == null ? "" : city.trim(),
                cityNorm, district, memo.city(district), x, y, field(fields, columns, "unit").isBlank() ? "f" : "t");
        return null;
    }

    /**
     * A coordinate as PostgreSQL reads it, or null if it is not a finite number. A decimal comma is a point; a plain
     * decimal number ("1471500.25", "-8.6") goes as written, anything else Java can read is written back by Java.
     */
    static String coordinate(String raw) {
        String text = raw.replace(',', '.');
        if (plainDecimal(text)) {
            return text;
        }
        try {
            double value = Double.parseDouble(text);
            return Double.isFinite(value) ? Double.toString(value) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean plainDecimal(String text) {
        int i = text.startsWith("-") ? 1 : 0;
        int digits = 0;
        boolean point = false;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' && !point) {
                point = true;
            } else {
                return false;
            }
        }
        // fifteen digits always fit a double; a longer number could overflow PostgreSQL's float8 and fail the COPY,
        // so Java reads it first and refuses it unless it is finite
        return digits > 0 && digits <= 15;
    }

    private static String field(List<String> fields, Map<String, Integer> columns, String name) {
        Integer at = columns.get(name);
        return at == null || at >= fields.size() ? "" : fields.get(at).trim();
    }

    /**
     * Appends one row's values in COPY text format. Without {@code escapes}, the caller knows that none holds a
     * character COPY would read as a delimiter or an escape (the values come from a line without any, or are normal
     * forms, which keep letters, digits, spaces, '/', '-' and '|' only): they go as they are.
     */
    private static void append(StringBuilder out, boolean escapes, String... values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append('\t');
            }
            String value = values[i];
            if (!escapes || !needsEscapes(value)) {
                out.append(value);
                continue;
            }
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

    /** Whether a text holds a character COPY's text format must escape (a backslash, a tab, a line break). */
    static boolean needsEscapes(String text) {
        return text.indexOf('\\') >= 0 || text.indexOf('\t') >= 0 || text.indexOf('\n') >= 0
                || text.indexOf('\r') >= 0;
    }

    private static void flush(CopyIn copy, StringBuilder out) throws SQLException {
        if (out.length() > 0) {
            byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            out.setLength(0);
        }
    }

    /**
     * Keeps each street's count of house numbers: the streets that gained numbers (new ones, or numbers moved or
     * renamed onto them) count them, those that lost some (a register that renamed a street under its code) count
     * them no more, and a street left without any house number is forgotten. A file that changed nothing touches no
     * street. Counted by difference, so that imports of other sources naming the same street, running at the same
     * time, add up instead of overwriting each other (in one order of streets, so that they cannot deadlock).
     */
    private static void streets(Connection connection, long changedRows) throws SQLException {
        if (changedRows == 0) {
            return;
        }
        try (Statement s = connection.createStatement()) {
            s.execute("""
                    INSERT INTO address_street AS st (street_norm, name_norm, city_norm, postcode, addresses)
                    SELECT street_norm, name_norm, city_norm, postcode, sum(delta) FROM (
                        SELECT street_norm, name_norm, city_norm, postcode, 1 AS delta FROM address_merge
                            WHERE located AND (NOT known OR changed)
                        UNION ALL
                        SELECT old_street_norm, old_name_norm, old_city_norm, old_postcode, -1 FROM address_merge
                            WHERE located AND known AND changed) d
                    GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0
                    ORDER BY 1, 2, 3, 4
                    ON CONFLICT (street_norm, city_norm, postcode, name_norm)
                        DO UPDATE SET addresses = st.addresses + excluded.addresses""");
            s.execute("DELETE FROM address_street WHERE addresses <= 0");
            s.execute("""
                    INSERT INTO address_district (district_norm, city_norm, district)
                    SELECT district_norm, city_norm, min(district) FROM address_merge
                    WHERE located AND (NOT known OR changed) AND district_norm <> ''
                    GROUP BY 1, 2 ORDER BY 1, 2
                    ON CONFLICT DO NOTHING""");
        }
    }

    /**
     * Transforms and merges the staged rows; returns inserted, updated, unchanged. The coordinates are transformed
     * for the whole file at once; only when PROJ refuses one of them (a point outside what the projection can take)
     * is that done again with the per-row transform that turns such a point into a refusal: that one needs a
     * subtransaction per row, several times slower.
     */
    /** Rows beyond the first of a building listed once per flat (a group of one key with a unit among its rows). */
    private static long unitsFolded(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rows = s.executeQuery("""
                     SELECT coalesce(sum(n - 1), 0) FROM (
                         SELECT count(*) AS n FROM address_stage GROUP BY source_key
                         HAVING count(*) > 1 AND bool_or(unit)) g""")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static long[] merge(Connection connection, String source, int srid, long staged,
                                Map<String, Long> refused) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))");
             Statement s = connection.createStatement()) {
            // imports of one source wait for each other: each sees what the one before it wrote
            lock.setString(1, "gazetteer:" + source);
            lock.execute();
            // without statistics the planner expects 200 distinct keys and looks each one up in address (a million
            // index probes: 7.7 s against 5.7 s for a hash join of a million-row file, for 0.3 s of ANALYZE)
            s.execute("ANALYZE address_stage");
        }
        Savepoint before = connection.setSavepoint();
        try {
            compare(connection, source, srid, "ST_Transform(ST_SetSRID(ST_MakePoint(x, y), ?), 4326)");
            connection.releaseSavepoint(before);
        } catch (SQLException e) {
            connection.rollback(before);
            compare(connection, source, srid, "to_wgs84_or_null(x, y, ?)");
        }
        long inserted;
        long updated;
        long unchanged;
        long units;
        try (Statement s = connection.createStatement();
             ResultSet rows = s.executeQuery("""
                     SELECT count(*) FILTER (WHERE located AND NOT known),
                            count(*) FILTER (WHERE located AND known AND changed),
                            count(*) FILTER (WHERE located AND known AND NOT changed),
                            count(*) FILTER (WHERE NOT located),
                            count(*)
                     FROM address_merge""")) {
            rows.next();
            inserted = rows.getLong(1);
            updated = rows.getLong(2);
            unchanged = rows.getLong(3);
            if (rows.getLong(4) > 0) {
                refused.merge("coordinates-out-of-range", rows.getLong(4), Long::sum);
            }
            // of a key listed more than once, the last row counts and the others are refused; the flats of one
            // building (rows with a unit) are one address, not duplicates
            long duplicates = staged - rows.getLong(5);
            units = duplicates > 0 ? unitsFolded(connection) : 0;
            if (duplicates - units > 0) {
                refused.merge("duplicate-in-file", duplicates - units, Long::sum);
            }
        }
        if (updated > 0) {
            try (PreparedStatement s = connection.prepareStatement("""
                    UPDATE address a SET street_type = m.street_type, street = m.street, street_norm = m.street_norm,
                        name_norm = m.name_norm, number = m.number, number_norm = m.number_norm, postcode = m.postcode,
                        city = m.city, city_norm = m.city_norm, district = m.district, geom = m.geom,
                        imported_at = now()
                    FROM address_merge m
                    WHERE m.located AND m.known AND m.changed AND a.source = ? AND a.source_key = m.source_key""")) {
                s.setString(1, source);
                s.executeUpdate();
            }
        }
        if (inserted > 0) {
            try (PreparedStatement s = connection.prepareStatement("""
                    INSERT INTO address (source, source_key, street_type, street, street_norm, name_norm, number,
                                         number_norm, postcode, city, city_norm, district, geom)
                    SELECT ?, source_key, street_type, street, street_norm, name_norm, number, number_norm, postcode,
                           city, city_norm, district, geom
                    FROM address_merge WHERE located AND NOT known ORDER BY source_key""")) {
                s.setString(1, source);
                s.executeUpdate();
            }
        }
        // after a first import into an empty gazetteer the planner would otherwise believe the table empty until
        // autovacuum comes by, and could look house numbers up by scanning it
        Jdbc.analyseIfGrown(connection, "address", inserted + updated);
        return new long[] {inserted, updated, unchanged, units};
    }

    /**
     * One row per distinct key of the file (the last of its copies), its point transformed, beside the address it
     * has under the same key if any: whether that one is known, and changed.
     */
    private static void compare(Connection connection, String source, int srid, String transform)
            throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("""
                CREATE TEMP TABLE address_merge ON COMMIT DROP AS
                SELECT f.*, f.geom IS NOT NULL AND ST_X(f.geom) BETWEEN -180 AND 180
                           AND ST_Y(f.geom) BETWEEN -90 AND 90
                           -- (0, 0) is an empty coordinate, not a house in the Gulf of Guinea
                           AND NOT (f.x = 0 AND f.y = 0) AND NOT (ST_X(f.geom) = 0 AND ST_Y(f.geom) = 0) AS located,
                       a.source_key IS NOT NULL AS known,
                       (a.street_type, a.street, a.number, a.postcode, a.city, a.district)
                           IS DISTINCT FROM (f.street_type, f.street, f.number, f.postcode, f.city, f.district)
                           OR NOT ST_Equals(a.geom, f.geom) AS changed,
                       a.street_norm AS old_street_norm, a.name_norm AS old_name_norm,
                       a.city_norm AS old_city_norm, a.postcode AS old_postcode
                FROM (SELECT DISTINCT ON (source_key) *, %s AS geom
                      -- the building's own row before its flats', then the last one
                      FROM address_stage ORDER BY source_key, unit, line DESC) f
                LEFT JOIN address a ON a.source = ? AND a.source_key = f.source_key""".formatted(transform))) {
            s.setInt(1, srid);
            s.setString(2, source);
            s.execute();
        }
    }
}
