package org.allerta.bench;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.SubscriberPlaces;
import org.postgresql.PGConnection;

/**
 * {@code ./allerta bench registration}: N people registered through the dispatcher's bulk import
 * ({@code POST /v1/subscribers/import}, 10,000 rows a request, one after the other, as a city's import job sends them),
 * each with a verified SMS channel and a home given as a point in a box around Cagliari (where no other benchmark
 * places anyone). Reports people/s until the last request is answered, and the time until the geo-matcher has
 * stored every place (each is then matchable). Limit, in the same run: PostgreSQL's COPY of the same rows into
 * scratch copies of the dispatcher's three tables, and Kafka producing as many {@code subscribers.places} records of
 * the same size.
 */
public final class RegistrationBench {

    private static final int ROWS_PER_REQUEST = 10_000;

    private RegistrationBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Options.parse(args);
        int people = Integer.parseInt(o.getOrDefault("people", "100000"));
        String dispatcher = o.getOrDefault("dispatcher-url", "http://127.0.0.1:8083");
        String run = UUID.randomUUID().toString().substring(0, 8);
        var random = new Random(42);
        var client = HttpClient.newHttpClient();
        try (Connection c = DriverManager.getConnection(o.get("db-url"), "allerta", o.get("db-password"))) {
            Instant start = Instant.now().minusSeconds(1);
            long t0 = System.nanoTime();
            for (int first = 1; first <= people; first += ROWS_PER_REQUEST) {
                int last = Math.min(people, first + ROWS_PER_REQUEST - 1);
                var csv = new StringBuilder("externalId,name,language,sms,lon,lat,interests,consentSource\n");
                for (int i = first; i <= last; i++) {
                    csv.append(row(run, i, random)).append('\n');
                }
                HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                                URI.create(dispatcher + "/v1/subscribers/import"))
                        .header("Authorization", "Bearer " + o.get("admin-key"))
                        .header("Content-Type", "text/csv").timeout(Duration.ofMinutes(10))
                        .POST(HttpRequest.BodyPublishers.ofString(csv.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                var report = Json.mapper().readTree(answer.body());
                if (answer.statusCode() != 200 || report.path("created").asLong() != last - first + 1) {
                    throw new IllegalStateException("import of rows " + first + "-" + last + " answered "
                            + answer.statusCode() + ": " + answer.body());
                }
            }
            double imported = (System.nanoTime() - t0) / 1e9;
            long stored = waitForMatcher(c, start, people, Duration.ofMinutes(60));
            double matchable = (System.nanoTime() - t0) / 1e9;
            double copy = copyLimit(c, run, people, random);
            byte[] record = Json.toBytes(new SubscriberPlaces(UUID.randomUUID().toString(),
                    List.of(new SubscriberPlaces.Place(UUID.randomUUID().toString(), PlaceCategory.HOME, null,
                            new LonLat(9.1100, 39.2200))), java.util.Set.of(EventKind.POWER_OUTAGE), false,
                    Instant.now()));
            double kafka = KafkaLimit.produce(o.get("bootstrap"), "bench.places", people, record);
            System.out.printf(Locale.ROOT, "%,9d people: imported in %.2f s = %,.0f people/s (%d requests of %,d rows);"
                            + " every place stored by the geo-matcher %.2f s after the first request (%,d rows) ="
                            + " %,.0f people/s | limit: COPY of the same subscriber, channel and place rows %.2f s"
                            + " = %,.0f people/s, Kafka produce of %,d %d-byte records %.2f s -> ratio %.2f%n",
                    people, imported, people / imported, (people + ROWS_PER_REQUEST - 1) / ROWS_PER_REQUEST,
                    ROWS_PER_REQUEST, matchable, stored, people / matchable, copy, people / copy, people,
                    record.length, kafka, matchable / (copy + kafka));
            forget(c, run);
        }
    }

    /** One CSV row: a verified SMS channel and a home point. */
    private static String row(String run, int i, Random random) {
        return String.format(Locale.ROOT, "reg-%s-%d,Persona %d,%s,+39333%07d,%.6f,%.6f,POWER_OUTAGE|WATER_OUTAGE,"
                        + "benchmark", run, i, i, i % 3 == 0 ? "en" : "it", i % 10_000_000,
                9.05 + random.nextDouble() * 0.15, 39.18 + random.nextDouble() * 0.08);
    }

    /** Waits until the matcher stored {@code people} subscribers since {@code start}; polled once a second. */
    private static long waitForMatcher(Connection c, Instant start, int people, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM matcher.subscriber WHERE updated_at >= ?")) {
            s.setTimestamp(1, Timestamp.from(start));
            while (true) {
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    long stored = rows.getLong(1);
                    if (stored >= people) {
                        return stored;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the matcher stored " + stored + " of " + people
                                + " within " + timeout);
                    }
                }
                Thread.sleep(1000);
            }
        }
    }

    /** Seconds PostgreSQL takes to COPY the same rows into scratch copies of the three tables (with their indexes). */
    private static double copyLimit(Connection c, String run, int people, Random random) throws Exception {
        try (Statement s = c.createStatement()) {
            for (String table : List.of("subscriber", "channel", "place")) {
                s.execute("CREATE TEMP TABLE bench_" + table + " (LIKE dispatcher." + table
                        + " INCLUDING DEFAULTS INCLUDING INDEXES)");
            }
        }
        var subscribers = new StringBuilder();
        var channels = new StringBuilder();
        var places = new StringBuilder();
        for (int i = 1; i <= people; i++) {
            String id = UUID.randomUUID().toString();
            subscribers.append(id).append("\treg-copy-").append(run).append('-').append(i).append("\tPersona ")
                    .append(i).append('\t').append(i % 3 == 0 ? "en" : "it").append("\t{POWER_OUTAGE,WATER_OUTAGE}\n");
            channels.append(UUID.randomUUID()).append('\t').append(id).append("\t0\tSMS\t+39333")
                    .append(String.format(Locale.ROOT, "%07d", i % 10_000_000)).append("\t").append(Instant.now())
                    .append("\tbenchmark\n");
            places.append(UUID.randomUUID()).append('\t').append(id).append("\t0\tHOME\t")
                    .append(String.format(Locale.ROOT, "%.6f\t%.6f", 9.05 + random.nextDouble() * 0.15,
                            39.18 + random.nextDouble() * 0.08)).append('\n');
        }
        var copy = c.unwrap(PGConnection.class).getCopyAPI();
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        long t = System.nanoTime();
        copy.copyIn("COPY bench_subscriber (subscriber_id, external_id, name, language, interests) FROM STDIN",
                new StringReader(subscribers.toString()));
        copy.copyIn("COPY bench_channel (channel_id, subscriber_id, position, type, address, verified_at,"
                + " consent_source) FROM STDIN", new StringReader(channels.toString()));
        copy.copyIn("COPY bench_place (place_id, subscriber_id, position, category, lon, lat) FROM STDIN",
                new StringReader(places.toString()));
        c.commit();
        double seconds = (System.nanoTime() - t) / 1e9;
        c.setAutoCommit(autoCommit);
        try (Statement s = c.createStatement()) {
            for (String table : List.of("subscriber", "channel", "place")) {
                s.execute("DROP TABLE bench_" + table);
            }
        }
        return seconds;
    }

    /**
     * Removes the benchmark's people from the matcher and the dispatcher, straight in their tables (as the other
     * benchmarks remove their rows), so that later benchmarks and demos do not meet them.
     */
    private static void forget(Connection c, String run) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("DELETE FROM matcher.subscriber m USING dispatcher.subscriber d"
                    + " WHERE m.subscriber_id = d.subscriber_id::text AND d.external_id LIKE 'reg-" + run + "-%'");
            s.execute("DELETE FROM dispatcher.subscriber WHERE external_id LIKE 'reg-" + run + "-%'");
        }
    }
}
