package org.allerta.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.postgresql.PGConnection;

/**
 * The whole pipeline at city scale: N citizens with one SMS channel and a home in a box around Bologna (registered
 * straight into the dispatcher's and the matcher's tables, as a bulk migration would leave them), then one
 * {@code POST /v1/events} covering 10% and then 100% of them. Measured from the 202: the first and the last job on
 * {@code notifications.jobs.sms}, read by a plain consumer; the peak resident memory of each service. In the same
 * run, the limit: the sum of the unavoidable steps at the real record sizes (the PostGIS scan of the same polygon,
 * Kafka produce of N match records and of N job records, the ledger write of N rows with COPY) and the ratio.
 */
public final class EndToEndBench {

    private static final double LON0 = 11.25;
    private static final double LAT0 = 44.45;
    private static final double SIDE = 0.15;

    private EndToEndBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Options.parse(args);
        int[] counts = java.util.Arrays.stream(o.getOrDefault("places", "100000,1000000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        String dbUrl = o.get("db-url");
        String dbPassword = o.get("db-password");
        String bootstrap = o.get("bootstrap");
        String intake = o.getOrDefault("intake-url", "http://127.0.0.1:8081");
        String key = o.get("publisher-key");
        Path runDir = Path.of(o.getOrDefault("run-dir", ".allerta/run"));
        for (int n : counts) {
            try (Connection c = DriverManager.getConnection(dbUrl, "allerta", dbPassword)) {
                long t = System.nanoTime();
                seed(c, n);
                System.out.printf(Locale.ROOT, "%n%,d citizens with one SMS channel and a home in %.2f x %.2f"
                        + " degrees (seeded in %.1f s)%n", n, SIDE, SIDE, (System.nanoTime() - t) / 1e9);
                for (double fraction : new double[] {0.10, 1.0}) {
                    run(c, bootstrap, intake, key, fraction, runDir);
                }
            }
        }
        skipBenchmarkJobs(bootstrap);
    }

    /**
     * Moves the (stopped) sender's SMS consumer group past the benchmark's jobs: they were made to be counted, not
     * to be delivered to the local SMSC when the sender starts again.
     */
    static void skipBenchmarkJobs(String bootstrap) throws Exception {
        moveGroupToEnd(bootstrap, "notification-sender-sms", Topics.JOBS_PREFIX + "sms");
        // the prioritised benchmark subscribers' jobs are on the urgent topic
        moveGroupToEnd(bootstrap, "notification-sender-sms-urgent",
                org.allerta.contracts.Channel.SMS.urgentJobsTopic());
        System.out.println("the sender's SMS group moved past the benchmark's jobs");
    }

    /** Moves a consumer group, whose consumers must be stopped, to the end of every partition of {@code topic}. */
    static void moveGroupToEnd(String bootstrap, String group, String topic) throws Exception {
        var props = new java.util.Properties();
        props.put("bootstrap.servers", bootstrap);
        try (var admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            var latest = new java.util.HashMap<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec>();
            partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            var offsets = new java.util.HashMap<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata>();
            ends.forEach((tp, info) -> offsets.put(tp,
                    new org.apache.kafka.clients.consumer.OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, offsets).all().get();
        }
    }

    /** Exactly n benchmark citizens in both services' tables (the dispatcher's seed of DispatcherBench). */
    private static void seed(Connection c, int n) throws Exception {
        DispatcherBench.seed(c, n);
        try (Statement s = c.createStatement()) {
            s.execute("DELETE FROM matcher.affected WHERE subscriber_id IN (SELECT subscriber_id FROM"
                    + " matcher.place WHERE place_id LIKE 'e2e-bench-%')");
            s.execute("DELETE FROM matcher.subscriber WHERE subscriber_id IN (SELECT subscriber_id FROM"
                    + " matcher.place WHERE place_id LIKE 'e2e-bench-%')");
            s.execute("INSERT INTO matcher.subscriber (subscriber_id, followed_kinds, priority) SELECT"
                    + " md5('bench-' || i)::uuid::text, ARRAY['POWER_OUTAGE'], false FROM generate_series(1, " + n
                    + ") i ON CONFLICT (subscriber_id) DO NOTHING");
            // the dispatcher knows the home as md5('bench-home-' || i); the matcher's place id only has to be stable
            s.execute("INSERT INTO matcher.place (subscriber_id, place_id, category, geocoding_status, confidence,"
                    + " geom) SELECT md5('bench-' || i)::uuid::text, 'e2e-bench-' || i, 'HOME', 'POINT_GIVEN', 1,"
                    + " ST_SetSRID(ST_MakePoint(" + LON0 + " + random() * " + SIDE + ", " + LAT0 + " + random() * "
                    + SIDE + "), 4326) FROM generate_series(1, " + n + ") i");
            s.execute("ANALYZE matcher.subscriber");
            s.execute("ANALYZE matcher.place");
        }
    }

    private static String box(double fraction) {
        double side = fraction >= 1 ? SIDE + 0.002 : SIDE * Math.sqrt(fraction);
        double lon0 = fraction >= 1 ? LON0 - 0.001 : LON0;
        double lat0 = fraction >= 1 ? LAT0 - 0.001 : LAT0;
        return String.format(Locale.ROOT, "{\"type\":\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],"
                + "[%f,%f]]]}", lon0, lat0, lon0 + side, lat0, lon0 + side, lat0 + side, lon0, lat0 + side, lon0,
                lat0);
    }

    private static void run(Connection c, String bootstrap, String intake, String key, double fraction,
                            Path runDir) throws Exception {
        String geometry = box(fraction);
        long expected;
        long scanStart = System.nanoTime();
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM matcher.place WHERE place_id LIKE"
                + " 'e2e-bench-%' AND ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))")) {
            s.setString(1, geometry);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                expected = rows.getLong(1);
            }
        }
        double scan = (System.nanoTime() - scanStart) / 1e9;

        String publisherEventId = "e2e-bench-" + UUID.randomUUID();
        String body = "{\"type\":\"Feature\",\"geometry\":" + geometry + ",\"properties\":{\"publisherEventId\":\""
                + publisherEventId + "\",\"kind\":\"POWER_OUTAGE\",\"severity\":\"MODERATE\",\"urgency\":\"EXPECTED\","
                + "\"headline\":{\"it\":\"Guasto alla cabina primaria\",\"en\":\"Primary substation fault\"},"
                + "\"areaDescription\":\"Bologna\",\"expectedRestorationAt\":\""
                + Instant.now().plus(Duration.ofHours(3)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES) + "\"}}";
        try (var consumer = KafkaLimit.atEnd(bootstrap, Topics.JOBS_PREFIX + "sms", Map.of(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50))) {
            long t0 = System.nanoTime();
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(intake + "/v1/events")).header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/geo+json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            long accepted = System.nanoTime();
            if (answer.statusCode() != 202) {
                throw new IllegalStateException("POST /v1/events answered " + answer.statusCode() + ": "
                        + answer.body());
            }
            String eventId = Json.mapper().readTree(answer.body()).get("eventId").asText();
            byte[] eventBytes = eventId.getBytes(StandardCharsets.UTF_8);
            long first = -1;
            long last = -1;
            long seen = 0;
            byte[] sample = null;
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            while (seen < expected && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(100))) {
                    // a job's CloudEvents subject is its event: compared there rather than searched for in its value,
                    // so that the measuring consumer takes less of the processor the pipeline is measured on
                    var subject = r.headers().lastHeader(org.allerta.contracts.kafka.CloudEvents.SUBJECT);
                    if (subject != null && java.util.Arrays.equals(subject.value(), eventBytes)) {
                        seen++;
                        last = System.nanoTime();
                        if (first < 0) {
                            first = last;
                            sample = r.value();
                        }
                    }
                }
            }
            if (seen < expected) {
                throw new IllegalStateException("only " + seen + " of " + expected + " jobs within 30 minutes");
            }
            double toFirst = (first - accepted) / 1e9;
            double toLast = (last - accepted) / 1e9;

            // the limit, at the same sizes: match records, job records, the ledger rows with COPY
            byte[] match = Json.toBytes(new MatchChange(eventId, 1, UUID.randomUUID().toString(), Change.AFFECTED,
                    List.of(UUID.randomUUID().toString()), false, Instant.now()));
            double matches = KafkaLimit.produce(bootstrap, "bench.e2e.matches", expected, match);
            double jobs = KafkaLimit.produce(bootstrap, "bench.e2e.jobs", expected, sample);
            double ledger = copyLedger(c, expected);
            double limit = scan + matches + jobs + ledger;
            // the same with records as the services send them: each its own ids, with the CloudEvents headers
            double matchesAsSent = KafkaLimit.produceAsSent(bootstrap, "bench.e2e.matches", expected, match,
                    "geo-matcher", "MatchChange");
            double jobsAsSent = KafkaLimit.produceAsSent(bootstrap, "bench.e2e.jobs", expected, sample, "dispatcher",
                    "NotificationJob");
            double limitAsSent = scan + matchesAsSent + jobsAsSent + ledger;
            System.out.printf(Locale.ROOT, "  %3.0f%% (%,d recipients): 202 in %.0f ms; first job %.2f s after the"
                            + " 202, last job %.2f s (%,.0f jobs/s)%n", fraction * 100, expected,
                    (accepted - t0) / 1e6, toFirst, toLast, expected / toLast);
            System.out.printf(Locale.ROOT, "       limit %.2f s = PostGIS scan %.2f + Kafka %,d match records (%d B)"
                            + " %.2f + %,d job records (%d B) %.2f + ledger COPY %.2f -> ratio %.2f%n", limit, scan,
                    expected, match.length, matches, expected, sample.length, jobs, ledger, toLast / limit);
            System.out.printf(Locale.ROOT, "       limit with the records as sent %.2f s = PostGIS scan %.2f + Kafka"
                            + " match records %.2f + job records %.2f + ledger COPY %.2f -> ratio %.2f%n", limitAsSent,
                    scan, matchesAsSent, jobsAsSent, ledger, toLast / limitAsSent);
            System.out.printf(Locale.ROOT, "       peak RSS: %s%n", peakRss(runDir));
            DispatcherBench.forget(c, eventId);
        }
    }

    /** Seconds PostgreSQL takes to COPY n ledger-shaped rows into a scratch table. */
    private static double copyLedger(Connection c, long n) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE IF NOT EXISTS bench_ledger (LIKE dispatcher.ledger INCLUDING ALL)");
            s.execute("TRUNCATE bench_ledger");
        }
        StringBuilder rows = new StringBuilder();
        String event = UUID.randomUUID().toString();
        for (long i = 0; i < n; i++) {
            rows.append(event).append('\t').append(UUID.randomUUID()).append("\tAFFECTED\t1\tAFFECTED\t1\t")
                    .append("2026-11-28 12:00:00+00\n");
        }
        byte[] data = rows.toString().getBytes(StandardCharsets.UTF_8);
        long t = System.nanoTime();
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY bench_ledger (event_id, subscriber_id, told,"
                + " last_revision, last_change, channels, updated_at) FROM STDIN", new ByteArrayInputStream(data));
        return (System.nanoTime() - t) / 1e9;
    }

    /** Each service's peak resident set (VmHWM) since it started, from the PID files of ./allerta up. */
    private static String peakRss(Path runDir) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String service : List.of("alert-intake", "geo-matcher", "dispatcher", "notification-sender")) {
            Path pidFile = runDir.resolve(service + ".pid");
            String value = "?";
            if (Files.exists(pidFile)) {
                // the PID file holds the process id, then its start time (deploy/local/lib.sh, write_pid)
                String pid = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
                Path status = Path.of("/proc", pid.isEmpty() ? "-" : pid, "status");
                if (Files.exists(status)) {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmHWM:")) {
                            value = (Long.parseLong(line.replaceAll("\\D", "")) / 1024) + " MB";
                        }
                    }
                }
            }
            text.append(text.isEmpty() ? "" : ", ").append(service).append(' ').append(value);
        }
        return text.toString();
    }
}
