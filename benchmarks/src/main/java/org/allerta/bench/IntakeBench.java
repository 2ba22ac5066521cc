package org.allerta.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./allerta bench intake}: sustained {@code POST /v1/events} of new events with a 200-vertex polygon, from
 * several concurrent clients for a bounded time on loopback; accepted events per second, p50/p99 latency, the time
 * until the outbox relay has published everything, and, in the same run, the limit: the same database writes (event,
 * revision and outbox rows of the same sizes in one transaction, same durability settings) done directly over JDBC.
 */
public final class IntakeBench {

    public static void main(String[] args) throws Exception {
        Map<String, String> options = Options.parse(args);
        String url = options.getOrDefault("url", "http://127.0.0.1:8081");
        String key = options.get("key");
        int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
        int clients = Integer.parseInt(options.getOrDefault("clients", "16"));
        String dbUrl = options.get("db-url");
        String dbUser = options.getOrDefault("db-user", "allerta");
        String dbPassword = options.get("db-password");
        String body = feature("warm-up");

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1).build();
        System.out.printf(Locale.ROOT, "intake: %d clients, %d s, 200-vertex polygon, %d-byte body%n", clients,
                seconds, body.length());
        run(http, url, key, Math.min(5, seconds), clients, false);
        Result result = run(http, url, key, seconds, clients, true);
        System.out.println(result);
        if (dbUrl != null) {
            long drainStart = System.nanoTime();
            try (Connection c = DriverManager.getConnection(dbUrl, dbUser, dbPassword)) {
                while (count(c, "SELECT count(*) FROM intake.outbox") > 0) {
                    Thread.sleep(50);
                }
            }
            System.out.printf(Locale.ROOT, "outbox drained to Kafka %.2f s after the last request%n",
                    (System.nanoTime() - drainStart) / 1e9);
            System.out.println(jdbcLimit(dbUrl, dbUser, dbPassword, body, seconds / 2 + 1, clients));
        }
    }

    record Result(long accepted, long refused, double seconds, double p50ms, double p99ms, double maxMs,
                  Map<Integer, Integer> statuses) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "accepted %d in %.1f s = %.0f events/s; latency p50 %.1f ms, p99 %.1f"
                    + " ms, max %.1f ms; statuses %s", accepted, seconds, accepted / seconds, p50ms, p99ms, maxMs,
                    statuses);
        }
    }

    static Result run(HttpClient http, String url, String key, int seconds, int clients, boolean measure)
            throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        var latencies = new ArrayList<long[]>();
        var statuses = new ConcurrentHashMap<Integer, Integer>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        var futures = new ArrayList<java.util.concurrent.Future<long[]>>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                long[] mine = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < deadline && n < mine.length) {
                    String body = feature("BENCH-" + UUID.randomUUID());
                    long t0 = System.nanoTime();
                    HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/events"))
                            .header("Authorization", "Bearer " + key).header("Content-Type", "application/geo+json")
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    mine[n++] = System.nanoTime() - t0;
                    statuses.merge(response.statusCode(), 1, Integer::sum);
                    if (response.statusCode() == 202) {
                        accepted.incrementAndGet();
                    } else {
                        refused.incrementAndGet();
                    }
                }
                return Arrays.copyOf(mine, n);
            }));
        }
        for (var f : futures) {
            latencies.add(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        if (!measure || all.length == 0) {
            return null;
        }
        return new Result(accepted.get(), refused.get(), elapsed, all[all.length / 2] / 1e6,
                all[(int) Math.min(all.length - 1, Math.ceil(all.length * 0.99) - 1)] / 1e6, all[all.length - 1] / 1e6,
                new java.util.TreeMap<>(statuses));
    }

    /** The same rows written directly: the database's own limit for this work on this machine. */
    static String jdbcLimit(String dbUrl, String user, String password, String body, int seconds, int clients)
            throws Exception {
        try (Connection c = DriverManager.getConnection(dbUrl, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS public.bench_event (id text PRIMARY KEY, publisher text,"
                    + " publisher_event_id text, revision int, kind text, status text, sha char(64),"
                    + " updated_at timestamptz DEFAULT now(), UNIQUE (publisher, publisher_event_id))");
            s.execute("CREATE TABLE IF NOT EXISTS public.bench_revision (id text, rev int, doc bytea,"
                    + " PRIMARY KEY (id, rev))");
            s.execute("CREATE TABLE IF NOT EXISTS public.bench_outbox (id bigserial PRIMARY KEY, topic text,"
                    + " k text, doc bytea, headers jsonb)");
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            futures.add(pool.submit(() -> {
                try (Connection c = DriverManager.getConnection(dbUrl, user, password)) {
                    c.setAutoCommit(false);
                    while (System.nanoTime() < deadline) {
                        String id = UUID.randomUUID().toString();
                        try (PreparedStatement e = c.prepareStatement("INSERT INTO public.bench_event (id, publisher,"
                                + " publisher_event_id, revision, kind, status, sha) VALUES (?, 'p', ?, 1, 'POWER_OUTAGE',"
                                + " 'ACTIVE', ?)");
                             PreparedStatement r = c.prepareStatement(
                                     "INSERT INTO public.bench_revision VALUES (?, 1, ?)");
                             PreparedStatement o = c.prepareStatement(
                                     "INSERT INTO public.bench_outbox (topic, k, doc, headers) VALUES ('alerts.events',"
                                             + " ?, ?, '{\"ce_id\": \"x\", \"ce_type\": \"org.allerta.AlertEvent\"}')")) {
                            e.setString(1, id);
                            e.setString(2, id);
                            e.setString(3, "0".repeat(64));
                            e.executeUpdate();
                            r.setString(1, id);
                            r.setBytes(2, body.getBytes());
                            r.executeUpdate();
                            o.setString(1, id);
                            o.setBytes(2, body.getBytes());
                            o.executeUpdate();
                        }
                        c.commit();
                        done.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (var f : futures) {
            f.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        try (Connection c = DriverManager.getConnection(dbUrl, user, password); Statement s = c.createStatement()) {
            s.execute("DROP TABLE public.bench_event, public.bench_revision, public.bench_outbox");
        }
        return String.format(Locale.ROOT, "limit: the same three rows per event over JDBC, %d connections: %.0f"
                + " transactions/s", clients, done.get() / elapsed);
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static final String RING = ring();

    /** A GeoJSON Feature whose area is a 200-vertex polygon in Alessandria (built once: the client stays light). */
    static String feature(String publisherEventId) {
        return "{\"type\":\"Feature\",\"properties\":{\"publisherEventId\":\"" + publisherEventId + "\","
                + "\"kind\":\"POWER_OUTAGE\",\"severity\":\"MODERATE\",\"headline\":{\"it\":\"Interruzione di corrente\","
                + "\"en\":\"Power outage\"},\"areaDescription\":\"Benchmark\"},"
                + "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[" + RING + "]]}}";
    }

    private static String ring() {
        var ring = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            double angle = 2 * Math.PI * i / 200;
            double radius = 0.01 * (1 + 0.2 * Math.sin(5 * angle));
            ring.append(String.format(Locale.ROOT, "[%.6f,%.6f],", 8.615 + radius * Math.cos(angle),
                    44.913 + radius * Math.sin(angle)));
        }
        ring.append(String.format(Locale.ROOT, "[%.6f,%.6f]", 8.615 + 0.01, 44.913));
        return ring.toString();
    }
}
