package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the sender reads of a provider's answer: Retry-After in both its forms, and a bounded body; its timeouts. */
class WebhookAnswerTest {

    @Test
    void retryAfterIsReadInSecondsOrAsAnHttpDate() {
        assertThat(WebhookAdapter.retryAfter("120")).contains(Duration.ofSeconds(120));
        assertThat(WebhookAdapter.retryAfter(" 7 ")).contains(Duration.ofSeconds(7));
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));
        assertThat(WebhookAdapter.retryAfter(inAMinute).orElseThrow())
                .isBetween(Duration.ofSeconds(55), Duration.ofSeconds(61));
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusHours(1));
        assertThat(WebhookAdapter.retryAfter(past)).contains(Duration.ZERO);
        assertThat(WebhookAdapter.retryAfter("999999999999")).contains(Duration.ofDays(1));
        assertThat(WebhookAdapter.retryAfter("-5")).isEmpty();
        assertThat(WebhookAdapter.retryAfter("soon")).isEmpty();
    }

    @Test
    void theConnectionNeverHasLongerThanTheWholeTimeoutAndATimeoutMustBePositive() {
        assertThat(WebhookAdapter.connectTimeout(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(5));
        assertThat(WebhookAdapter.connectTimeout(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
        for (Duration none : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> WebhookAdapter.connectTimeout(none))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("ALLERTA_WEBHOOK_TIMEOUT");
        }
    }

    /**
     * A provider that reads the whole request and closes the connection without a status may have taken the message:
     * uncertain (at most once, not sent again), not a plain retry; a provider that cannot be reached at all is waited
     * for.
     */
    @Test
    void aConnectionClosedWithoutAnAnswerIsUncertainAndNoConnectionIsAWait() throws Exception {
        try (var server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread peer = new Thread(() -> {
                try (var socket = server.accept()) {
                    var in = socket.getInputStream();
                    byte[] buffer = new byte[8192];
                    var read = new StringBuilder();
                    int n;
                    // the headers, then the body its Content-Length announces
                    while (!read.toString().contains("\r\n\r\n") && (n = in.read(buffer)) > 0) {
                        read.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                    }
                    String head = read.substring(0, read.indexOf("\r\n\r\n"));
                    int length = Integer.parseInt(head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                            .findFirst().orElseThrow().substring(15).trim());
                    int body = read.length() - head.length() - 4;
                    while (body < length && (n = in.read(buffer)) > 0) {
                        body += n;
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            peer.start();
            var adapter = new WebhookAdapter(config("http://127.0.0.1:" + server.getLocalPort() + "/push"));
            Outcome outcome = adapter.send(push());
            peer.join(5000);
            assertThat(outcome).isInstanceOf(Outcome.Uncertain.class);
        }
        int closed;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = probe.getLocalPort();
        }
        Outcome away = new WebhookAdapter(config("http://127.0.0.1:" + closed + "/push")).send(push());
        assertThat(away).isInstanceOfSatisfying(Outcome.Retry.class, r -> assertThat(r.throttled()).isTrue());
    }

    private static org.eclipse.microprofile.config.Config config(String url) {
        return new io.smallrye.config.SmallRyeConfigBuilder().withDefaultValues(java.util.Map.of(
                "allerta.sender.webhook.push.url", url, "allerta.sender.webhook.push.secret", "test-secret",
                "allerta.sender.webhook.timeout", "PT5S")).build();
    }

    private static org.allerta.contracts.NotificationJob push() {
        return new org.allerta.contracts.NotificationJob(java.util.UUID.randomUUID().toString(),
                org.allerta.contracts.JobPurpose.NOTICE, org.allerta.contracts.Channel.PUSH, "ev-1", 1L,
                org.allerta.contracts.Change.AFFECTED, java.util.UUID.randomUUID().toString(), "device-token-1", "it",
                null, "Interruzione di corrente", null, java.util.Map.of(), null, false,
                java.time.Instant.now().plusSeconds(3600), java.time.Instant.now());
    }

    @Test
    void onlyTheFirstBytesOfAnAnswerAreRead() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/big", exchange -> {
            exchange.sendResponseHeaders(200, 0);   // chunked, 8 MiB
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] block = new byte[64 * 1024];
                for (int i = 0; i < 128; i++) {
                    out.write(block);
                }
            } catch (java.io.IOException e) {
                // the client stopped reading, as it should
            }
        });
        server.start();
        try {
            byte[] body = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/big")).build(),
                    info -> new WebhookAdapter.Capped(1000)).get(20, TimeUnit.SECONDS).body();
            assertThat(body).hasSize(1000);
        } finally {
            server.stop(0);
        }
    }
}
