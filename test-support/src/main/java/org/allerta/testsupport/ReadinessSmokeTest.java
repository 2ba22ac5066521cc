package org.allerta.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Smoke tests every Allerta service passes against the real broker and the real PostGIS: it starts and reports
 * ready, answers liveness and Prometheus metrics, and its readiness follows DESIGN.md's readiness rule while the
 * broker or the database stops and comes back. A concrete subclass is a {@code @QuarkusTest} with
 * {@code @WithTestResource(RealInfrastructure.class)}.
 */
public abstract class ReadinessSmokeTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TestHTTPResource("/")
    URL root;

    /** True for services that consume Kafka: they are not ready without the broker. */
    protected abstract boolean readinessRequiresBroker();

    private String base() {
        String url = root.toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Test
    void reportsReadyAgainstTheRealBrokerAndDatabase() {
        Health.Answer ready = Health.awaitReadiness(base(), true, WAIT);
        assertTrue(ready.body().contains("kafka-broker"), ready.body());
        assertTrue(ready.body().contains("\"reachable\": true") || ready.body().contains("\"reachable\":true"),
                ready.body());
        assertTrue(ready.body().toLowerCase().contains("database"), ready.body());
    }

    @Test
    void answersLivenessAndPrometheusMetrics() {
        assertEquals(200, Health.get(base(), "/q/health/live").status());
        Health.Answer metrics = Health.get(base(), "/q/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "Prometheus text format expected");
    }

    @Test
    void readinessFollowsTheBroker() {
        Health.awaitReadiness(base(), true, WAIT);
        LocalKafka kafka = LocalKafka.shared();
        kafka.stop();
        try {
            if (readinessRequiresBroker()) {
                Health.awaitReadiness(base(), false, WAIT);
            } else {
                Health.Answer answer = awaitBody("\"reachable\": false", "\"reachable\":false");
                assertTrue(answer.up(), "must stay ready while the broker is away: " + answer.body());
            }
        } finally {
            kafka.start();
        }
        Health.awaitReadiness(base(), true, WAIT);
        awaitBody("\"reachable\": true", "\"reachable\":true");
    }

    @Test
    void readinessFollowsTheDatabase() {
        Health.awaitReadiness(base(), true, WAIT);
        LocalPostgis postgis = LocalPostgis.shared();
        postgis.stop();
        try {
            Health.Answer down = Health.awaitReadiness(base(), false, WAIT);
            assertEquals(503, down.status(), down.body());
        } finally {
            postgis.start();
        }
        Health.awaitReadiness(base(), true, WAIT);
    }

    private Health.Answer awaitBody(String... alternatives) {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            Health.Answer answer = Health.get(base(), "/q/health/ready");
            for (String text : alternatives) {
                if (answer.body().contains(text)) {
                    return answer;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("readiness never said " + alternatives[0] + ": " + answer.body());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
