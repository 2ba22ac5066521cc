package org.allerta.dispatcher.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Json;
import org.allerta.service.csv.CsvLine;
import org.allerta.service.csv.CsvRecords;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Bulk registration from a CSV file, one person per row, streamed (bounded memory whatever the size). Each row
 * becomes the same registration as {@code POST /v1/subscribers}; rows are registered {@value #CHUNK} to a
 * transaction. A refused row does not stop the others, and a row whose {@code externalId} is known (or appeared
 * earlier in the file) is not registered twice.
 *
 * <p>Columns (header required, comma- or semicolon-separated, any order, only {@code name} and one channel required):
 * {@code externalId, name, language, sms, email, push, whatsapp, telegram, category, label, address, lon, lat,
 * interests, quietFrom, quietTo, quietZone, consentSource}. {@code interests} lists kinds separated by spaces or
 * {@code |}. With {@code consentSource} the row's channels are registered as already verified (the consent was
 * collected elsewhere); without it they get a one-time code.
 */
@ApplicationScoped
public class SubscriberImport {

    /** The longest row taken (a person's row is a few hundred characters); a longer one is refused, not held. */
    static final int MAX_RECORD_CHARS = 64 * 1024;

    private static final int MAX_REFUSALS_LISTED = 100;
    /** Rows registered in one transaction. */
    private static final int CHUNK = 500;

    private final SubscriberService subscribers;
    private final String defaultCountryCode;

    SubscriberImport(SubscriberService subscribers,
                     @ConfigProperty(name = "allerta.dispatcher.default-country-code") String defaultCountryCode) {
        this.subscribers = subscribers;
        this.defaultCountryCode = defaultCountryCode;
    }

    /** One refused row: its line and why. */
    public record Refusal(long line, List<Issue> problems) {
    }

    /**
     * What an import did.
     *
     * @param rows      data rows read
     * @param created   subscribers created
     * @param existing  rows whose externalId was already registered (left unchanged)
     * @param refused   rows refused
     * @param reasons   refused rows per reason
     * @param refusals  the first refused rows, with their problems
     */
    public record Report(long rows, long created, long existing, long refused, Map<String, Long> reasons,
                         List<Refusal> refusals) {
    }

    /** Imports the CSV in {@code body}. */
    public Report importCsv(InputStream body) {
        try (var reader = new InputStreamReader(body, StandardCharsets.UTF_8)) {
            var records = new CsvRecords(reader, MAX_RECORD_CHARS);
            CsvRecords.Record first = records.next();
            String header = first == null ? null : first.text();
            if (first != null && first.tooLong()) {
                throw tooLong("The header is too long.", 1);
            }
            if (header == null) {
                throw ProblemException.invalid("The file is empty.", List.of(Issue.of("required", "line:1",
                        "a header line naming the columns")));
            }
            header = header.replace("\uFEFF", "");
            char separator = header.indexOf(';') >= 0 && header.indexOf(',') < 0 ? ';' : ',';
            records.separator(separator);
            var columns = new HashMap<String, Integer>();
            List<String> names = CsvLine.split(header, separator);
            for (int i = 0; i < names.size(); i++) {
                columns.put(names.get(i).strip().toLowerCase(Locale.ROOT), i);
            }
            var unknown = columns.keySet().stream().filter(c -> !c.isEmpty() && !COLUMNS.contains(c)).sorted().toList();
            if (!unknown.isEmpty()) {
                // a misspelt externalId would import everyone without it, and a second sending register them twice
                throw ProblemException.invalid("The header names columns the import does not know.", List.of(
                        Issue.of("unknown-column", "line:1", unknown + " are not columns; the columns are "
                                + COLUMNS_TEXT)));
            }
            if (!columns.containsKey("name")) {
                throw ProblemException.invalid("The header has no name column.", List.of(Issue.of("required",
                        "line:1", "columns: " + COLUMNS_TEXT)));
            }
            var tally = new Tally();
            var chunk = new ArrayList<Row>(CHUNK);
            CsvRecords.Record record;
            while ((record = records.next()) != null) {
                long lineNumber = record.line();
                String line = record.text();
                if (line != null && line.isBlank()) {
                    continue;
                }
                try {
                    if (record.tooLong()) {
                        throw tooLong("The row is too long.", lineNumber);
                    }
                    if (line.indexOf('\uFFFD') >= 0) {
                        // bytes that are not UTF-8: most often a spreadsheet's "CSV" saved as Windows-1252
                        throw ProblemException.invalid("The row is not UTF-8.", List.of(Issue.of("invalid-encoding",
                                "line:" + lineNumber, "the file must be UTF-8 (a spreadsheet's \"CSV UTF-8\");"
                                        + " this row has bytes that are not, and would garble names")));
                    }
                    List<String> fields = CsvLine.split(line, separator);
                    if (swallowedLines(fields, columns, separator)) {
                        // a quote opened and never closed in its cell took the next rows into it: this row is
                        // refused, and each row it took is read on its own
                        chunk.add(new Row(lineNumber, null, ProblemException.invalid("A quote is not closed.",
                                List.of(Issue.of("unbalanced-quote", "line:" + lineNumber, "a cell opens a quote"
                                        + " that does not close on its line; only an address or a label may hold"
                                        + " line breaks, three lines at most")))));
                        List<String> taken = line.lines().toList();
                        for (int i = 1; i < taken.size(); i++) {
                            if (!taken.get(i).isBlank()) {
                                chunk.add(read(lineNumber + i, CsvLine.split(taken.get(i), separator), columns));
                            }
                        }
                    } else {
                        chunk.add(read(lineNumber, fields, columns));
                    }
                } catch (ProblemException e) {
                    if (e.problem().status() == 503) {
                        throw e;
                    }
                    chunk.add(new Row(lineNumber, null, e));
                }
                if (chunk.size() >= CHUNK) {
                    register(chunk, tally);
                }
            }
            register(chunk, tally);
            return new Report(tally.rows, tally.created, tally.existing, tally.refused, tally.reasons,
                    tally.refusals);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The columns the import reads, as the header names them (any case). */
    static final java.util.Set<String> COLUMNS = java.util.Set.of("externalid", "name", "language", "sms", "email",
            "push", "whatsapp", "telegram", "category", "label", "address", "lon", "lat", "interests", "quietfrom",
            "quietto", "quietzone", "consentsource");
    private static final String COLUMNS_TEXT = "externalId, name, language, sms, email, push, whatsapp, telegram,"
            + " category, label, address, lon, lat, interests, quietFrom, quietTo, quietZone, consentSource";

    /**
     * True when a quote was left open: a cell that is never written on several lines holds a line break, or an
     * address or a label (which may be) holds more than three lines, or a line that looks like a row of its own (as
     * many separators as the header has, less one).
     */
    private static boolean swallowedLines(List<String> fields, Map<String, Integer> columns, char separator) {
        for (var column : columns.entrySet()) {
            int i = column.getValue();
            if (i >= fields.size() || fields.get(i).indexOf('\n') < 0) {
                continue;
            }
            if (!column.getKey().equals("address") && !column.getKey().equals("label")) {
                return true;
            }
            List<String> lines = fields.get(i).lines().toList();
            if (lines.size() > 3 || lines.stream().anyMatch(l -> l.chars().filter(ch -> ch == separator).count()
                    >= Math.max(1, columns.size() - 1))) {
                return true;
            }
        }
        return false;
    }

    /** A row's registration, or why it was refused (a 503 is thrown: the whole import waits for the database). */
    private Row read(long lineNumber, List<String> fields, Map<String, Integer> columns) {
        try {
            return new Row(lineNumber, RegistrationReader.read(row(fields, columns), true, defaultCountryCode), null);
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                throw e;
            }
            return new Row(lineNumber, null, e);
        }
    }

    private static ProblemException tooLong(String title, long line) {
        return ProblemException.invalid(title, List.of(Issue.of("line-too-long", "line:" + line,
                "at most " + MAX_RECORD_CHARS + " characters")));
    }

    /** A data row: its line, and its registration or why it was refused. */
    private record Row(long line, Registration registration, ProblemException refused) {
    }

    /** What the import did so far. */
    private static final class Tally {
        long rows;
        long created;
        long existing;
        long refused;
        final Map<String, Long> reasons = new TreeMap<>();
        final List<Refusal> refusals = new ArrayList<>();

        void refuse(long line, ProblemException e) {
            refused++;
            List<Issue> problems = e.problem().problems() == null ? List.of() : e.problem().problems();
            for (Issue issue : problems) {
                reasons.merge(issue.where().replaceAll("\\[\\d+]", "") + ": " + issue.type()
                        .replace(org.allerta.service.problem.Problem.TYPE_PREFIX, ""), 1L, Long::sum);
            }
            if (refusals.size() < MAX_REFUSALS_LISTED) {
                refusals.add(new Refusal(line, problems));
            }
        }
    }

    /** Registers the chunk's valid rows together, tallies every row in file order, and empties the chunk. */
    private void register(List<Row> chunk, Tally tally) {
        List<SubscriberService.Outcome> outcomes = subscribers.registerAll(chunk.stream()
                .filter(r -> r.registration() != null).map(Row::registration).toList());
        int next = 0;
        for (Row row : chunk) {
            tally.rows++;
            if (row.refused() != null) {
                tally.refuse(row.line(), row.refused());
                continue;
            }
            SubscriberService.Outcome outcome = outcomes.get(next++);
            if (outcome.refused() != null) {
                tally.refuse(row.line(), outcome.refused());
            } else if (outcome.created()) {
                tally.created++;
            } else {
                tally.existing++;
            }
        }
        chunk.clear();
    }

    /** The registration JSON of one row. */
    private static ObjectNode row(List<String> fields, Map<String, Integer> columns) {
        ObjectNode r = Json.mapper().createObjectNode();
        put(r, "externalId", get(fields, columns, "externalid"));
        put(r, "name", get(fields, columns, "name"));
        String language = get(fields, columns, "language");
        r.put("language", language == null ? "it" : language);
        String consent = get(fields, columns, "consentsource");
        ArrayNode channels = r.putArray("channels");
        for (Channel type : Channel.values()) {
            String address = get(fields, columns, type.name().toLowerCase(Locale.ROOT));
            if (address != null) {
                ObjectNode c = channels.addObject().put("type", type.name()).put("address", address);
                if (consent != null) {
                    c.put("verified", true).put("consentSource", consent);
                }
            }
        }
        ObjectNode place = r.putArray("places").addObject();
        String category = get(fields, columns, "category");
        place.put("category", category == null ? "HOME" : category);
        put(place, "label", get(fields, columns, "label"));
        put(place, "address", get(fields, columns, "address"));
        // a decimal comma, as an Italian spreadsheet writes numbers ("8,615" in a quoted cell)
        String lon = decimalPoint(get(fields, columns, "lon"));
        String lat = decimalPoint(get(fields, columns, "lat"));
        if (lon != null || lat != null) {
            try {
                place.put("lon", Double.parseDouble(lon == null ? "x" : lon));
                place.put("lat", Double.parseDouble(lat == null ? "x" : lat));
            } catch (NumberFormatException e) {
                place.put("lon", lon).put("lat", lat);
            }
        }
        String interests = get(fields, columns, "interests");
        if (interests != null) {
            ArrayNode kinds = r.putArray("interests");
            for (String kind : interests.split("[\\s|]+")) {
                if (!kind.isBlank()) {
                    kinds.add(kind);
                }
            }
        }
        String from = get(fields, columns, "quietfrom");
        String to = get(fields, columns, "quietto");
        if (from != null || to != null) {
            ObjectNode quiet = r.putObject("quietHours");
            put(quiet, "from", from);
            put(quiet, "to", to);
            String zone = get(fields, columns, "quietzone");
            quiet.put("zone", zone == null ? "Europe/Rome" : zone);
        }
        return r;
    }

    private static void put(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String decimalPoint(String number) {
        return number != null && number.indexOf(',') >= 0 && number.indexOf('.') < 0 ? number.replace(',', '.')
                : number;
    }

    private static String get(List<String> fields, Map<String, Integer> columns, String column) {
        Integer index = columns.get(column);
        if (index == null || index >= fields.size()) {
            return null;
        }
        String value = fields.get(index).strip();
        if (value.indexOf('\n') >= 0) {
            // a cell of several lines (a spreadsheet's address "Via Dazio 90/H" + "Alessandria"): one line, the
            // lines of an address apart by commas as people write them on one line
            value = String.join(column.equals("address") ? ", " : " ", value.lines().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList());
        }
        return value.isEmpty() ? null : value;
    }
}
