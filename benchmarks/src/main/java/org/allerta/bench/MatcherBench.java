package org.allerta.bench;

import java.io.BufferedWriter;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Urgency;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.postgresql.PGConnection;

/**
 * {@code ./allerta bench matcher}: N places (default 1,000,000) at random in a 12 × 12 km city box, and events
 * covering 1%, 10% and 100% of it. For each: the matcher's time from STARTED to FINISHED (the last change
 * acknowledged), changes/s and the matcher's peak heap, beside the limits measured in the same run: PostGIS's own
 * {@code COPY (SELECT ... WHERE ST_Intersects(...)) TO STDOUT} for the same polygon, and Kafka's producer throughput
 * for the same number of records of the same size. Then the largest event's later revisions, measured the same way:
 * its estimate given (everyone UPDATED), its area shrunk to a tenth, its end. Last, a gazetteer import of a
 * generated N-row civici file.
 */
public final class MatcherBench {

    private static final double LON0 = 8.55;
    private static final double LAT0 = 44.85;
    private static final double LON1 = 8.70;
    private static final double LAT1 = 44.96;

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Options.parse(args);
        int places = Integer.parseInt(o.getOrDefault("places", "1000000"));
        String dbUrl = o.get("db-url");
        String dbPassword = o.get("db-password");
        String bootstrap = o.get("bootstrap");
        String matcher = o.getOrDefault("matcher-url", "http://127.0.0.1:8082");
        String adminKey = o.get("admin-key");

        try (Connection c = DriverManager.getConnection(dbUrl, "allerta", dbPassword)) {
            if (o.containsKey("gazetteer-only")) {
                importBench(c, matcher, adminKey, places);
                return;
            }
            long t = System.nanoTime();
            seed(c, places);
            System.out.printf(Locale.ROOT, "seeded %,d places in %.1f s%n", places, (System.nanoTime() - t) / 1e9);
            AlertEvent whole = null;
            for (double fraction : new double[] {0.01, 0.10, 1.0}) {
                String eventId = "bench-" + UUID.randomUUID();
                whole = event(eventId, 1, EventStatus.ACTIVE, box(fraction), null);
                run(c, bootstrap, matcher, String.format(Locale.ROOT, "%5.0f%%", fraction * 100), whole);
            }
            // the same blackout's later revisions: the estimate given (everyone UPDATED), the area shrunk to a
            // tenth (the rest NO_LONGER_AFFECTED), the end (RESOLVED to those still affected)
            Instant estimate = Instant.now().plus(Duration.ofHours(3)).truncatedTo(ChronoUnit.SECONDS);
            whole = event(whole.eventId(), 2, EventStatus.ACTIVE, box(1.0), estimate);
            run(c, bootstrap, matcher, "100% rev. 2, estimate given", whole);
            whole = event(whole.eventId(), 3, EventStatus.ACTIVE, box(0.10), estimate);
            run(c, bootstrap, matcher, "100% -> 10% rev. 3", whole);
            whole = event(whole.eventId(), 4, EventStatus.RESOLVED, box(0.10), estimate);
            run(c, bootstrap, matcher, "10% rev. 4, resolved", whole);
            // the dispatcher was stopped so that the matcher ran alone; the benchmark's matches name nobody it knows
            EndToEndBench.moveGroupToEnd(bootstrap, "dispatcher-matches", Topics.ALERTS_MATCHES);
            System.out.println("the dispatcher's group moved past the benchmark's matches");
            importBench(c, matcher, adminKey, places);
        }
    }

    private static void seed(Connection c, int places) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("DELETE FROM matcher.affected WHERE subscriber_id LIKE 'bench-%'");
            s.execute("DELETE FROM matcher.subscriber WHERE subscriber_id LIKE 'bench-%'");
            // the previous run's million dead rows, and the new ones' first vacuum, are cleared before the clock
            // starts: otherwise autovacuum comes by in the middle of the matching, which no blackout meets
            s.execute("VACUUM matcher.affected, matcher.subscriber, matcher.place");
            s.execute("INSERT INTO matcher.subscriber (subscriber_id, followed_kinds, priority) SELECT 'bench-' || i,"
                    + " ARRAY['POWER_OUTAGE'], i % 100 = 0 FROM generate_series(1, " + places + ") i");
            s.execute("INSERT INTO matcher.place (subscriber_id, place_id, category, geocoding_status, confidence, geom)"
                    + " SELECT 'bench-' || i, 'home', 'HOME', 'POINT_GIVEN', 1, ST_SetSRID(ST_MakePoint(" + LON0
                    + " + random() * " + (LON1 - LON0) + ", " + LAT0 + " + random() * " + (LAT1 - LAT0) + "), 4326)"
                    + " FROM generate_series(1, " + places + ") i");
            s.execute("VACUUM ANALYZE matcher.subscriber, matcher.place");
        }
    }

    private static String box(double fraction) {
        double side = Math.sqrt(fraction);
        double lon1 = fraction >= 1 ? LON1 + 0.001 : LON0 + (LON1 - LON0) * side;
        double lat1 = fraction >= 1 ? LAT1 + 0.001 : LAT0 + (LAT1 - LAT0) * side;
        double lon0 = fraction >= 1 ? LON0 - 0.001 : LON0;
        double lat0 = fraction >= 1 ? LAT0 - 0.001 : LAT0;
        return String.format(Locale.ROOT, "{\"type\":\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],"
                + "[%f,%f]]]}", lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0);
    }

    private static AlertEvent event(String eventId, long revision, EventStatus status, String area,
                                    Instant expectedRestorationAt) throws Exception {
        return new AlertEvent(eventId, revision, "bench", eventId, EventKind.POWER_OUTAGE, status,
                Severity.MODERATE, Urgency.EXPECTED, false, Json.mapper().readTree(area), "benchmark",
                Map.of("it", "Benchmark"), Map.of(), null, expectedRestorationAt, null, Instant.now(), Instant.now(),
                List.of(), null);
    }

    /** Publishes one revision and measures it; the limits are those of its area and of its number of changes. */
    private static void run(Connection c, String bootstrap, String matcher, String label, AlertEvent event)
            throws Exception {
        String area = Json.toString(event.area());
        // limit 1: PostGIS alone
        long t = System.nanoTime();
        AtomicLong bytes = new AtomicLong();
        long rows = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT p.subscriber_id, p.place_id,"
                + " s.priority FROM matcher.place p JOIN matcher.subscriber s ON s.subscriber_id = p.subscriber_id"
                + " WHERE ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON('" + area + "'), 4326))"
                + " AND s.subscriber_id LIKE 'bench-%') TO STDOUT", new OutputStream() {
                    @Override
                    public void write(int b) {
                        bytes.incrementAndGet();
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        bytes.addAndGet(len);
                    }
                });
        double postgis = (System.nanoTime() - t) / 1e9;

        // the matcher
        String eventId = event.eventId();
        long peakHeap;
        MatchProgress started = null;
        MatchProgress finished = null;
        Instant firstPrioritised = null;
        Instant firstOther = null;
        try (var producer = KafkaLimit.producer(bootstrap);
             var consumer = KafkaLimit.atEnd(bootstrap, Topics.ALERTS_PROGRESS, Map.of());
             var matches = KafkaLimit.atEnd(bootstrap, Topics.ALERTS_MATCHES, Map.of())) {
            producer.send(new ProducerRecord<>(Topics.ALERTS_EVENTS, eventId, Json.toBytes(event))).get();
            HeapSampler heap = HeapSampler.start(matcher);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (finished == null && System.nanoTime() < deadline) {
                // the first changes sent, prioritised and not (read until the first of everyone else is seen)
                if (firstOther == null) {
                    for (var r : matches.poll(Duration.ofMillis(50))) {
                        MatchChange m = Json.fromBytes(r.value(), MatchChange.class);
                        if (!m.eventId().equals(eventId)) {
                            continue;
                        }
                        if (m.priority() && (firstPrioritised == null || m.at().isBefore(firstPrioritised))) {
                            firstPrioritised = m.at();
                        } else if (!m.priority() && (firstOther == null || m.at().isBefore(firstOther))) {
                            firstOther = m.at();
                        }
                    }
                }
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    MatchProgress p = Json.fromBytes(r.value(), MatchProgress.class);
                    if (p.eventId().equals(eventId) && p.revision() == event.revision()) {
                        if (p.phase() == ProgressPhase.STARTED) {
                            started = p;
                        } else {
                            finished = p;
                        }
                    }
                }
            }
            peakHeap = heap.stop();
        }
        if (started == null || finished == null) {
            throw new IllegalStateException("the matcher did not finish within 10 minutes");
        }
        double matching = Duration.between(started.at(), finished.at()).toNanos() / 1e9;
        long changes = finished.subscribers();
        MatchProgress start = started;
        java.util.function.Function<Instant, String> after = at -> at == null ? "none"
                : String.format(Locale.ROOT, "%.2f s", Duration.between(start.at(), at).toNanos() / 1e9);

        // limit 2: Kafka alone, the same number of records of the same size
        byte[] sample = Json.toBytes(new MatchChange(eventId, 1, "bench-1000000", Change.AFFECTED, List.of("home"),
                false, Instant.now()));
        double kafka = KafkaLimit.produce(bootstrap, "bench.matches", changes, sample);
        // and records as the matcher sends them: each its own ids, with the CloudEvents headers
        double asSent = KafkaLimit.produceAsSent(bootstrap, "bench.matches", changes, sample, "geo-matcher",
                "MatchChange");

        System.out.printf(Locale.ROOT, "%s: %,d places inside, %,d changes %s; matcher %.2f s (%,.0f changes/s),"
                        + " first prioritised change %s, first other %s, peak heap %d MB | limits: PostGIS COPY %.2f s"
                        + " (%,d rows), Kafka produce %.2f s (%d-byte records) -> ratio %.2f; Kafka produce of the"
                        + " records as sent %.2f s -> ratio %.2f%n", label,
                finished.places(), changes, new java.util.TreeMap<>(finished.counts()), matching, changes / matching,
                after.apply(firstPrioritised), after.apply(firstOther), peakHeap / (1024 * 1024), postgis, rows, kafka,
                sample.length, matching / (postgis + kafka), asSent, matching / (postgis + asSent));
    }

    /**
     * Imports a generated register twice: first into a gazetteer without it (the rows of an earlier run are removed
     * first, so every row is new), then the same file again (every row unchanged). The limit, in the same run: the
     * same file copied as it is into a table of eleven text columns with PostgreSQL's own CSV COPY.
     */
    private static void importBench(Connection c, String matcher, String adminKey, int rows) throws Exception {
        Path file = Files.createTempFile("allerta-civici-", ".csv");
        try {
            Random random = new Random(1);
            try (BufferedWriter out = Files.newBufferedWriter(file)) {
                out.write("CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;SezCensimento;"
                        + "CoordX;CoordY\n");
                for (int i = 0; i < rows; i++) {
                    int street = i / 200;
                    out.write(street + ";Via;Strada Generata " + street + ";15121;Quartiere " + (street % 40) + ";"
                            + (i % 200 + 1) + ";" + (i % 7 == 0 ? "A" : "") + ";2020-01-01;1;"
                            + String.format(Locale.ROOT, "%.2f;%.2f", 1_460_000 + random.nextDouble() * 25_000,
                            4_965_000 + random.nextDouble() * 20_000) + "\n");
                }
            }
            try (var s = c.createStatement(); var in = Files.newInputStream(file)) {
                s.execute("CREATE TEMP TABLE civici_copy (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text,"
                        + " c7 text, c8 text, c9 text, c10 text, c11 text)");
                long t = System.nanoTime();
                long copied = c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                        "COPY civici_copy FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)", in);
                double seconds = (System.nanoTime() - t) / 1e9;
                System.out.printf(Locale.ROOT, "limit: PostgreSQL COPY of the same file as it is into a temporary"
                        + " table: %,d rows in %.1f s = %,.0f rows/s%n", copied, seconds, copied / seconds);
                s.execute("DROP TABLE civici_copy");
            }
            try (var s = c.createStatement()) {
                // the importer keeps street counts by difference: the streets go with their addresses (the generated
                // file's city is its own)
                s.execute("DELETE FROM matcher.address WHERE source = 'bench-generated'");
                s.execute("DELETE FROM matcher.address_street WHERE city_norm = 'benchmark'");
                s.execute("VACUUM ANALYZE matcher.address");
            }
            // HTTP/1.1, as `./allerta gazetteer import` sends it: over an upgraded HTTP/2 connection one run ended
            // with the server's GOAWAY in the middle of the upload
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String pass : new String[] {"new rows", "the same file again"}) {
                long t = System.nanoTime();
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(matcher
                                + "/v1/gazetteer?format=civici&srid=3003&source=bench-generated&city=Benchmark"))
                        .header("Authorization", "Bearer " + adminKey).header("Content-Type", "text/csv")
                        .timeout(Duration.ofMinutes(20)).POST(HttpRequest.BodyPublishers.ofFile(file)).build(),
                        HttpResponse.BodyHandlers.ofString());
                double seconds = (System.nanoTime() - t) / 1e9;
                System.out.printf(Locale.ROOT, "gazetteer import of a generated %,d-row civici file (%d MB), %s:"
                        + " HTTP %d in %.1f s = %,.0f rows/s; %s%n", rows, Files.size(file) / (1024 * 1024), pass,
                        response.statusCode(), seconds, rows / seconds, response.body());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Samples the service's heap from its Prometheus metrics. */
    static final class HeapSampler {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peak;

        private HeapSampler(String url) {
            HttpClient http = HttpClient.newHttpClient();
            thread = new Thread(() -> {
                while (running) {
                    try {
                        String metrics = http.send(HttpRequest.newBuilder(URI.create(url + "/q/metrics")).build(),
                                HttpResponse.BodyHandlers.ofString()).body();
                        long used = metrics.lines().filter(l -> l.startsWith("jvm_memory_used_bytes{")
                                && l.contains("area=\"heap\"")).mapToLong(l -> (long) Double.parseDouble(
                                l.substring(l.lastIndexOf(' ') + 1))).sum();
                        peak = Math.max(peak, used);
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // keep sampling
                    }
                }
            });
            thread.setDaemon(true);
        }

        static HeapSampler start(String url) {
            var sampler = new HeapSampler(url);
            sampler.thread.start();
            return sampler;
        }

        long stop() throws InterruptedException {
            running = false;
            thread.join(2000);
            return peak;
        }
    }
}
