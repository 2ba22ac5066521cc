package org.allerta.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.allerta.contracts.Json;

/** The public REST APIs of the four services, as an integrator calls them: JSON in, JSON or problem+json out. */
public final class Api {

    /** An answer: status, body (JSON when it is JSON) and the Location header. */
    public record Answer(int status, JsonNode body, String text, Optional<String> location) {

        /** The body, when the status is the expected one; otherwise the problem explained. */
        public JsonNode expect(int... statuses) {
            for (int s : statuses) {
                if (s == status) {
                    return body;
                }
            }
            throw new IllegalStateException("HTTP " + status + ": " + (text.length() > 600 ? text.substring(0, 600)
                    : text));
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Base URLs of the services and of the local peers' HTTP side. */
    public record Endpoints(String intake, String matcher, String dispatcher, String sender, String peers) {

        /** From ALLERTA_*_URL variables, defaulting to the ports of {@code ./allerta up}. */
        public static Endpoints fromEnvironment() {
            return new Endpoints(env("ALLERTA_INTAKE_URL", "http://127.0.0.1:8081"),
                    env("ALLERTA_MATCHER_URL", "http://127.0.0.1:8082"),
                    env("ALLERTA_DISPATCHER_URL", "http://127.0.0.1:8083"),
                    env("ALLERTA_SENDER_URL", "http://127.0.0.1:8084"),
                    env("ALLERTA_PEERS_URL", "http://127.0.0.1:8089"));
        }

        private static String env(String name, String fallback) {
            String value = System.getenv(name);
            return value == null || value.isBlank() ? fallback : value;
        }
    }

    public Answer get(String url, String key) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), key);
    }

    public Answer post(String url, String key, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), key);
    }

    public Answer put(String url, String key, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), key);
    }

    public Answer postJson(String url, String key, Object body) {
        return post(url, key, "application/json", Json.toString(body));
    }

    private Answer send(HttpRequest.Builder request, String key) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        request.timeout(Duration.ofSeconds(60));
        try {
            HttpResponse<String> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            String text = response.body() == null ? "" : response.body();
            JsonNode body = MissingNode.getInstance();
            String type = response.headers().firstValue("Content-Type").orElse("");
            if (type.contains("json") && !text.isEmpty()) {
                body = Json.fromBytes(text.getBytes(StandardCharsets.UTF_8), JsonNode.class);
            }
            return new Answer(response.statusCode(), body, text, response.headers().firstValue("Location"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + request.build().uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
