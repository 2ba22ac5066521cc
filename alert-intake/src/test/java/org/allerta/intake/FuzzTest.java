package org.allerta.intake;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.allerta.testsupport.FuzzBodies;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/**
 * Random, truncated and mutated bodies against every publishing endpoint: never a 5xx, never an unexpected error in
 * the log. (The refusal tests show that the answers are specific, not a catch-all 400.)
 */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class FuzzTest {

    private static final int CASES_PER_ENDPOINT = 150;

    private record Endpoint(String method, String path, String contentType, String key, String valid) {
    }

    @Test
    void neverAnswers5xxNorLogsAnUnexpectedError() {
        String feature = Features.outage("fuzz").json();
        String cap = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
                + "<identifier>F</identifier><sender>s@example.org</sender><sent>2026-11-28T08:00:00+01:00</sent>"
                + "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info><category>Met</category>"
                + "<event>Neve</event><urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely"
                + "</certainty><headline>Neve</headline><area><areaDesc>C</areaDesc><polygon>44.90,8.60 44.90,8.62"
                + " 44.92,8.62 44.90,8.60</polygon><circle>44.9,8.6 1</circle></area></info></alert>";
        List<Endpoint> endpoints = List.of(
                new Endpoint("POST", "/v1/events", "application/geo+json", Features.PUBLISHER_KEY, feature),
                new Endpoint("POST", "/v1/cap", "application/cap+xml", Features.PUBLISHER_KEY, cap),
                new Endpoint("PUT", "/v1/zones/fuzz-zone", "application/geo+json", Features.PUBLISHER_KEY,
                        feature.replace("\"publisherEventId\":\"fuzz\"", "\"name\":\"Zona\"")),
                new Endpoint("POST", "/v1/zones/fuzz-zone/status", "application/json", Features.PUBLISHER_KEY,
                        "{\"status\":\"IN_PROGRESS\",\"note\":\"ok\",\"expectedAt\":\"2026-11-28T12:00:00+01:00\"}"),
                new Endpoint("POST", "/v1/admin/publishers", "application/json", Features.ADMIN_KEY,
                        "{\"name\":\"F\",\"allowedKinds\":[\"POWER_OUTAGE\"],\"areaLimitKm2\":10}"));

        var errors = new ArrayList<LogRecord>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    errors.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger.getLogger("").addHandler(capture);
        Map<Integer, Integer> statuses = new TreeMap<>();
        Random random = new Random(20261128);
        try {
            for (Endpoint endpoint : endpoints) {
                for (int i = 0; i < CASES_PER_ENDPOINT; i++) {
                    byte[] body = FuzzBodies.mutate(endpoint.valid().getBytes(StandardCharsets.UTF_8), random);
                    int status = given().header("Authorization", "Bearer " + endpoint.key())
                            .contentType(endpoint.contentType()).body(body)
                            .request(endpoint.method(), endpoint.path()).statusCode();
                    statuses.merge(status, 1, Integer::sum);
                    assertThat(status).as(endpoint.path() + " with " + new String(body, StandardCharsets.UTF_8))
                            .isLessThan(500);
                }
            }
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
        assertThat(errors).as("errors logged").isEmpty();
        assertThat(statuses.keySet()).as("specific answers, not one catch-all: " + statuses).contains(400, 422);
    }
}
