package org.allerta.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/** Reads a running service's health endpoints. */
public final class Health {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A health answer: HTTP status and body. */
    public record Answer(int status, String body) {
        public boolean up() {
            return status == 200 && body.contains("\"UP\"");
        }
    }

    private Health() {
    }

    /** GET {@code baseUrl + path}. */
    public static Answer get(String baseUrl, String path) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Answer(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, "interrupted");
        }
    }

    /** Polls readiness until it is {@code up} (or not), failing after {@code timeout}; returns the last answer. */
    public static Answer awaitReadiness(String baseUrl, boolean up, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Answer answer = get(baseUrl, "/q/health/ready");
        while (answer.up() != up) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("readiness did not become " + (up ? "UP" : "DOWN") + " within " + timeout
                        + "; last answer " + answer.status() + " " + answer.body());
            }
            sleep(200);
            answer = get(baseUrl, "/q/health/ready");
        }
        return answer;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
