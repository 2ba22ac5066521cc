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
