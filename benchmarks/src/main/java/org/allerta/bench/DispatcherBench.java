package org.allerta.bench;

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
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Topics;
import org.allerta.contracts.Urgency;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code ./allerta bench dispatcher}: N AFFECTED changes on {@code alerts.matches} for N registered subscribers (one
 * verified SMS channel each) → N personal jobs on {@code notifications.jobs.sms} (the prioritised hundredth on
 * {@code notifications.jobs.sms.urgent}). Reports jobs/s up to the last job
 * acknowledged (its row committed by the dispatcher, which happens only after the broker acknowledged the job) and
 * the dispatcher's peak heap, beside Kafka's own producer limit for N records of the size of the jobs measured in the
 * same run.
 */
public final class DispatcherBench {

    private DispatcherBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Options.parse(args);
        String dbUrl = o.get("db-url");
        String dbPassword = o.get("db-password");
        String bootstrap = o.get("bootstrap");
        String dispatcher = o.getOrDefault("dispatcher-url", "http://127.0.0.1:8083");
        int[] counts = java.util.Arrays.stream(o.getOrDefault("counts", "100000,1000000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int max = java.util.Arrays.stream(counts).max().orElseThrow();
        try (Connection c = DriverManager.getConnection(dbUrl, "allerta", dbPassword)) {
            long t = System.nanoTime();
            int added = seed(c, max);
            System.out.printf(Locale.ROOT, "subscribers: %,d registered for the benchmark (%,d added in %.1f s)%n",
                    max, added, (System.nanoTime() - t) / 1e9);
            for (int n : counts) {
                run(c, bootstrap, dispatcher, n);
            }
        }
        EndToEndBench.skipBenchmarkJobs(bootstrap);
    }

    /** Registers the benchmark's subscribers straight into the dispatcher's schema (missing ones only). */
    static int seed(Connection c, int n) throws Exception {
        try (Statement s = c.createStatement()) {
            int existing;
            try (ResultSet rows = s.executeQuery(
                    "SELECT count(*) FROM dispatcher.subscriber WHERE external_id LIKE 'bench-%'")) {
                rows.next();
                existing = rows.getInt(1);
            }
            if (existing >= n) {
                return 0;
            }
            String range = "generate_series(" + (existing + 1) + ", " + n + ") i";
            s.execute("INSERT INTO dispatcher.subscriber (subscriber_id, external_id, name, language, interests)"
                    + " SELECT md5('bench-' || i)::uuid, 'bench-' || i, 'Persona ' || i,"
                    + " CASE WHEN i % 3 = 0 THEN 'en' ELSE 'it' END, ARRAY['POWER_OUTAGE'] FROM " + range
                    + " ON CONFLICT DO NOTHING");
            s.execute("INSERT INTO dispatcher.channel (channel_id, subscriber_id, position, type, address, verified_at,"
                    + " consent_source) SELECT md5('bench-sms-' || i)::uuid, md5('bench-' || i)::uuid, 0, 'SMS',"
                    + " '+39333' || lpad(i::text, 7, '0'), now(), 'benchmark' FROM " + range
                    + " ON CONFLICT DO NOTHING");
            // geocoded already (as if the matcher had answered), so that the registry has nothing PENDING
            s.execute("INSERT INTO dispatcher.place (place_id, subscriber_id, position, label, category, address,"
                    + " geocoding_status, geocoded_at) SELECT md5('bench-home-' || i)::uuid, md5('bench-' || i)::uuid,"
                    + " 0, 'Casa', 'HOME', 'Via Dazio ' || (i % 200 + 1), 'POINT_GIVEN', now() FROM " + range
                    + " ON CONFLICT DO NOTHING");
            // their dispatch cards, as the registry writes them after any change of channels or places
            s.execute("SELECT dispatcher.refresh_dispatch_cards(array(SELECT md5('bench-' || i)::uuid FROM " + range
                    + "))");
            s.execute("VACUUM ANALYZE dispatcher.subscriber");
            s.execute("ANALYZE dispatcher.channel");
            s.execute("ANALYZE dispatcher.place");
            return n - existing;
        }
    }

    /**
     * Puts the AFFECTED changes of a new event for the benchmark's subscribers {@code from}..{@code to} on
     * {@code alerts.matches}, then the event's first revision on {@code alerts.events}, and waits until the
     * dispatcher has emitted every job.
     */
    static void dispatch(Connection c, org.apache.kafka.clients.producer.Producer<String, byte[]> producer,
                         String eventId, int from, int to) throws Exception {
        dispatch(c, producer, event(eventId), from, to);
    }

    /** The same with the event given (an emergency, say). */
    static void dispatch(Connection c, org.apache.kafka.clients.producer.Producer<String, byte[]> producer,
                         AlertEvent event, int from, int to) throws Exception {
        String eventId = event.eventId();
        for (int i = from; i <= to; i++) {
            String subscriber = md5Uuid("bench-" + i);
            producer.send(new ProducerRecord<>(Topics.ALERTS_MATCHES, subscriber, Json.toBytes(new MatchChange(
                    eventId, 1, subscriber, Change.AFFECTED, List.of(md5Uuid("bench-home-" + i)), i % 100 == 0,
                    Instant.now()))));
        }
        producer.flush();
        producer.send(new ProducerRecord<>(Topics.ALERTS_EVENTS, eventId, Json.toBytes(event))).get();
        waitFor(c, "SELECT coalesce(sum(changes), 0) FROM dispatcher.revision_dispatched WHERE event_id = ?",
                eventId, to - from + 1L, Duration.ofMinutes(30));
    }

    /** A new power outage whose area holds nobody the matcher knows (the Gulf of Guinea). */
    static AlertEvent event(String eventId) throws Exception {
        return event(eventId, Severity.MODERATE, Urgency.EXPECTED);
    }

    /** The same, as grave and as urgent as given. */
    static AlertEvent event(String eventId, Severity severity, Urgency urgency) throws Exception {
        var area = Json.mapper().readTree("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[0.001,0],[0.001,0.001],"
                + "[0,0.001],[0,0]]]}");
        return new AlertEvent(eventId, 1, "bench", eventId, EventKind.POWER_OUTAGE, EventStatus.ACTIVE,
                severity, urgency, false, area, "Quartiere Cristo",
                Map.of("it", "Guasto alla cabina", "en", "Substation fault"), Map.of(),
                Instant.now().minusSeconds(600), Instant.now().plusSeconds(7200), null, Instant.now(), Instant.now(),
                List.of(), null);
    }

    private static void run(Connection c, String bootstrap, String dispatcher, int n) throws Exception {
        String eventId = "bench-" + UUID.randomUUID();
        // an area where the matcher has nobody: only the benchmark's matches reach dispatch
        AlertEvent event = event(eventId);
        try (var producer = KafkaLimit.producer(bootstrap)) {
            // The matches go first and wait, held by the dispatcher until the revision they name arrives: the clock
            // starts when the revision is published, with every match already on the topic.
            long p0 = System.nanoTime();
            for (int i = 1; i <= n; i++) {
                String subscriber = md5Uuid("bench-" + i);
                String place = md5Uuid("bench-home-" + i);
                producer.send(new ProducerRecord<>(Topics.ALERTS_MATCHES, subscriber, Json.toBytes(new MatchChange(
                        eventId, 1, subscriber, Change.AFFECTED, List.of(place), i % 100 == 0, Instant.now()))));
            }
            producer.flush();
            double produced = (System.nanoTime() - p0) / 1e9;
            MatcherBench.HeapSampler heap = MatcherBench.HeapSampler.start(dispatcher);
            long t0 = System.nanoTime();
            producer.send(new ProducerRecord<>(Topics.ALERTS_EVENTS, eventId, Json.toBytes(event))).get();
            // the count of matches decided commits with their job rows: one row to poll, not the growing job table
            // (counting it every 100 ms would take a good part of a core from the dispatcher's database)
            waitFor(c, "SELECT coalesce(sum(changes), 0) FROM dispatcher.revision_dispatched WHERE event_id = ?",
                    eventId, n, Duration.ofMinutes(30));
            double total = (System.nanoTime() - t0) / 1e9;
            long peak = heap.stop();
            waitFor(c, "SELECT count(*) FROM dispatcher.job WHERE event_id = ?", eventId, n, Duration.ZERO);
            byte[] sample = sampleJob(bootstrap, eventId);
            double kafka = KafkaLimit.produce(bootstrap, "bench.jobs", n, sample);
            double asSent = KafkaLimit.produceAsSent(bootstrap, "bench.jobs", n, sample, "dispatcher",
                    "NotificationJob");
            System.out.printf(Locale.ROOT, "%,9d AFFECTED -> %,d jobs: last job acknowledged %.2f s after the revision"
                            + " = %,.0f jobs/s (the matches were on the topic, produced in %.2f s); dispatcher peak"
                            + " heap %d MB | limit: Kafka produce of %,d %d-byte records %.2f s = %,.0f records/s"
                            + " -> ratio %.2f; of the records as sent %.2f s -> ratio %.2f%n", n, n, total, n / total,
                    produced, peak / (1024 * 1024), n, sample.length, kafka, n / kafka, total / kafka, asSent,
                    total / asSent);
        }
        forget(c, eventId);
    }

    /**
     * Removes a benchmark event's job and ledger rows, which only cost disk afterwards, and vacuums both tables: the
     * next run's inserts would otherwise meet a million dead index entries (each key checked against them) that no
     * real deployment has, and measure slower than a first run for that reason alone.
     */
    static void forget(Connection c, String eventId) throws Exception {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM dispatcher.job WHERE event_id = ?");
             PreparedStatement l = c.prepareStatement("DELETE FROM dispatcher.ledger WHERE event_id = ?")) {
            s.setString(1, eventId);
            s.executeUpdate();
            l.setString(1, eventId);
            l.executeUpdate();
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(true);
        try (var s = c.createStatement()) {
            s.execute("VACUUM (ANALYZE) dispatcher.job, dispatcher.ledger");
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static String md5Uuid(String text) throws Exception {
        byte[] d = java.security.MessageDigest.getInstance("MD5").digest(text.getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
        String h = java.util.HexFormat.of().formatHex(d);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20);
    }

    private static void waitFor(Connection c, String sql, String eventId, long count, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, eventId);
            while (true) {
                try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) >= count) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not done within " + timeout + ": " + sql);
                }
                Thread.sleep(100);
            }
        }
    }

    /** One of the jobs just made, as the sender receives it (its size is the Kafka limit's record size). */
    private static byte[] sampleJob(String bootstrap, String eventId) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Set.of(Topics.JOBS_PREFIX + "sms"));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if (new String(r.value(), java.nio.charset.StandardCharsets.UTF_8).contains(eventId)) {
                        return r.value();
                    }
                }
            }
        }
        throw new IllegalStateException("no job of " + eventId + " found on the sms topic");
    }
}
