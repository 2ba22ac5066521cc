package org.allerta.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.allerta.peers.LocalPeers;
import org.allerta.testsupport.LocalKafka;
import org.allerta.testsupport.LocalPostgis;

/**
 * The four services in their packaged form ({@code target/quarkus-app/quarkus-run.jar}, as {@code ./allerta up} runs
 * them), each its own process on a free port, configured only through environment variables, pointed at this JVM's
 * real broker, PostGIS and local protocol peers. Keys are random per run; the services receive only their hashes.
 */
final class PackagedServices implements AutoCloseable {

    static final List<String> SERVICES = List.of("alert-intake", "geo-matcher", "dispatcher", "notification-sender");

    private final Path root = Path.of(System.getProperty("allerta.root", ".."));
    private final Path logs = root.resolve("demo/target/e2e");
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> processes = new HashMap<>();
    private final Map<String, Map<String, String>> overrides = new java.util.concurrent.ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    final LocalPeers peers;
    final String adminKey = randomKey();
    final String appKey = randomKey();
    final String publisherKey = randomKey();
    final String signingSecret = randomKey();
    private final String secretsKey = Base64.getEncoder().encodeToString(random(32));
    final String webhookSecret = randomKey();
    private final int smtpPort;
    private Tap tap;

    PackagedServices() throws IOException {
        for (String service : SERVICES) {
            Path jar = jar(service);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: package the services first (./mvnw package)");
            }
            ports.put(service, org.allerta.testsupport.Scripts.freePort());
        }
        Files.createDirectories(logs);
        smtpPort = org.allerta.testsupport.Scripts.freePort();
        peers = LocalPeers.start(smtpPort, 0, 0);
    }

    /** Starts every service, waits until each is ready, and starts reading what comes out on the topics. */
    void startAll() throws Exception {
        for (String service : SERVICES) {
            start(service);
        }
        for (String service : SERVICES) {
            awaitReady(service, Duration.ofSeconds(180));
        }
        tap = new Tap();
    }

    /** The plain consumer of the job topics and matches, started by {@link #startAll()}. */
    Tap tap() {
        return tap;
    }

    void start(String service) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx384m", "-XX:+UseSerialGC",
                "-jar", jar(service).toString());
        builder.environment().putAll(environment(service));
        builder.environment().putAll(overrides.getOrDefault(service, Map.of()));
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(service + ".log").toFile()));
        processes.put(service, builder.start());
    }

    /** Environment added to a service's own from its next start on (empty: back to its own). */
    void configure(String service, Map<String, String> environment) {
        overrides.put(service, Map.copyOf(environment));
    }

    /** A graceful stop (SIGTERM, as an operator's restart does), then a start with the current environment. */
    void restart(String service, Duration timeout) throws Exception {
        stop(service);
        start(service);
        awaitReady(service, timeout);
    }

    /** SIGTERM, then {@code kill -9} if the service has not exited within 20 s; returns once it has exited. */
    private void stop(String service) {
        Process process = processes.remove(service);
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** {@code kill -9}: no shutdown hook, no graceful close. */
    void kill(String service) throws InterruptedException {
        Process process = processes.remove(service);
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    void awaitReady(String service, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            Process process = processes.get(service);
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(service + " exited with " + process.exitValue() + ":\n"
                        + tail(service));
            }
            try {
                var response = http.send(HttpRequest.newBuilder(URI.create(url(service) + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(service + " not ready after " + timeout + ":\n" + tail(service));
    }

    /** The status of the service's readiness endpoint now (0 when it does not answer). */
    int readiness(String service) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url(service) + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    String url(String service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    String peersUrl() {
        return "http://127.0.0.1:" + peers.httpPort();
    }

    /** Imports Alessandria's house-number register kept in the repository into the geo-matcher's gazetteer. */
    void importRegister() throws Exception {
        HttpResponse<String> imported = http.send(HttpRequest.newBuilder(URI.create(url("geo-matcher")
                        + "/v1/gazetteer?format=civici&srid=3003&source=alessandria&city=Alessandria"))
                .header("Authorization", "Bearer " + adminKey).header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofFile(register())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (imported.statusCode() != 200) {
            throw new IllegalStateException("gazetteer import: HTTP " + imported.statusCode() + " " + imported.body());
        }
    }

    Api.Endpoints endpoints() {
        return new Api.Endpoints(url("alert-intake"), url("geo-matcher"), url("dispatcher"),
                url("notification-sender"), peersUrl());
    }

    /** A condition the tests wait for. */
    interface Condition {
        boolean met() throws Exception;
    }

    /**
     * Polls {@code condition} until it holds; a service that is down for a scenario (IllegalStateException from
     * {@link Api}) only means "not yet". Fails with the last lines of every service's log.
     */
    void await(String what, Duration timeout, Condition condition) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            try {
                if (condition.met()) {
                    return;
                }
            } catch (IllegalStateException e) {
                // a service is away: ask again
            }
            if (Instant.now().isAfter(deadline)) {
                StringBuilder logs = new StringBuilder();
                for (String service : SERVICES) {
                    logs.append("\n--- ").append(service).append('\n').append(tail(service));
                }
                throw new AssertionError("gave up waiting for " + what + " after " + timeout + logs);
            }
            Thread.sleep(100);
        }
    }

    /** Where a service's output (standard output and error) is appended. */
    Path log(String service) {
        return logs.resolve(service + ".log");
    }

    /** The last lines of a service's log, for failure messages. */
    String tail(String service) {
        try {
            List<String> lines = Files.readAllLines(logs.resolve(service + ".log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private Map<String, String> environment(String service) {
        LocalPostgis postgis = LocalPostgis.shared();
        Map<String, String> env = new HashMap<>();
        env.put("ALLERTA_HTTP_PORT", String.valueOf(ports.get(service)));
        env.put("ALLERTA_DB_URL", postgis.jdbcUrl());
        env.put("ALLERTA_DB_USER", postgis.username());
        env.put("ALLERTA_DB_PASSWORD", postgis.password());
        env.put("ALLERTA_DB_POOL_SIZE", "4");
        env.put("ALLERTA_KAFKA_BOOTSTRAP", LocalKafka.shared().bootstrapServers());
        env.put("ALLERTA_ADMIN_KEY_SHA256", sha256(adminKey));
        env.put("ALLERTA_APP_KEY_SHA256", sha256(appKey));
        switch (service) {
            case "alert-intake" -> {
                env.put("ALLERTA_BOOTSTRAP_PUBLISHER_ID", "e2e-publisher");
                env.put("ALLERTA_BOOTSTRAP_PUBLISHER_KEY_SHA256", sha256(publisherKey));
                env.put("ALLERTA_BOOTSTRAP_PUBLISHER_SIGNING_SECRET", signingSecret);
                env.put("ALLERTA_SECRETS_KEY", secretsKey);
            }
            case "dispatcher" -> {
                env.put("ALLERTA_PUBLIC_BASE_URL", url("dispatcher"));
                // two consumers share alerts.matches here (one is the default), so that every system test also
                // checks that sharing its partitions keeps each notice exactly once and each person's changes in order
                env.put("ALLERTA_DISPATCH_CONSUMERS", "2");
            }
            case "notification-sender" -> {
                env.put("ALLERTA_SMTP_ENABLED", "true");
                env.put("ALLERTA_SMTP_PORT", String.valueOf(smtpPort));
                env.put("ALLERTA_SMPP_ENABLED", "true");
                env.put("ALLERTA_SMPP_PORT", String.valueOf(peers.smppPort()));
                for (String channel : List.of("PUSH", "WHATSAPP", "TELEGRAM")) {
                    env.put("ALLERTA_" + channel + "_WEBHOOK_URL",
                            peersUrl() + "/webhook/" + channel.toLowerCase());
                    env.put("ALLERTA_" + channel + "_WEBHOOK_SECRET", webhookSecret);
                }
            }
            default -> {
            }
        }
        return env;
    }

    /** Alessandria's house-number register kept in the repository. */
    Path register() {
        return root.resolve("data/italy/alessandria-numeri-civici-EPSG3003.csv");
    }

    private Path jar(String service) {
        return root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public void close() {
        if (tap != null) {
            try {
                tap.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String service : List.copyOf(processes.keySet())) {
            stop(service);
        }
        peers.close();
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }

    private static String randomKey() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
    }
}
