package org.allerta.sender.channel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.eclipse.microprofile.config.Config;

/**
 * Push, WhatsApp and Telegram through their providers' HTTPS endpoints: a POST of the job in the documented JSON form
 * (docs/senders.md), signed with {@code X-Allerta-Signature: sha256=HMAC(secret, body)}. 2xx = sent (the provider's
 * {@code id}, if its answer has one, links later callbacks); 429 and 5xx = retry (honouring Retry-After); other 4xx
 * = failed. Each channel is enabled by its URL ({@code ALLERTA_PUSH_WEBHOOK_URL}, ...) and secret.
 */
@ApplicationScoped
public class WebhookAdapter implements Adapter {

    private static final Set<Channel> WEBHOOK_CHANNELS = Set.of(Channel.PUSH, Channel.WHATSAPP, Channel.TELEGRAM);

    private record Endpoint(URI url, String secret) {
    }

    private final Map<Channel, Endpoint> endpoints = new EnumMap<>(Channel.class);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    WebhookAdapter(Config config) {
        for (Channel channel : WEBHOOK_CHANNELS) {
            String name = channel.name().toLowerCase(java.util.Locale.ROOT);
            Optional<String> url = config.getOptionalValue("allerta.sender.webhook." + name + ".url", String.class)
                    .filter(u -> !u.isBlank());
            Optional<String> secret = config.getOptionalValue("allerta.sender.webhook." + name + ".secret",
                    String.class).filter(s -> !s.isBlank());
            if (url.isPresent()) {
                if (secret.isEmpty()) {
                    throw new IllegalStateException("allerta.sender.webhook." + name + ".secret is required with its url");
                }
                endpoints.put(channel, new Endpoint(URI.create(url.get()), secret.get()));
            }
        }
    }

    /** The secret a provider signs its callbacks of {@code channel} with, if the channel is enabled. */
    public Optional<String> secret(Channel channel) {
        return Optional.ofNullable(endpoints.get(channel)).map(Endpoint::secret);
    }

    @Override
    public Set<Channel> channels() {
        return endpoints.keySet();
    }

    @Override
    public Outcome send(NotificationJob job) {
        Endpoint endpoint = endpoints.get(job.channel());
        if (endpoint == null) {
            return new Outcome.Failed("CHANNEL_NOT_CONFIGURED");
        }
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("jobId", job.jobId());
        body.put("channel", job.channel().name());
        body.put("recipient", job.recipient());
        body.put("language", job.language());
        if (job.subject() != null) {
            body.put("title", job.subject());
        }
        body.put("text", job.text());
        if (job.link() != null) {
            body.put("link", job.link());
        }
        body.put("priority", job.priority());
        if (job.expiresAt() != null) {
            body.put("expiresAt", job.expiresAt().toString());
        }
        if (job.eventId() != null) {
            body.put("eventId", job.eventId());
        }
        byte[] bytes = Json.toBytes(body);
        HttpRequest request = HttpRequest.newBuilder(endpoint.url())
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", job.jobId())
                .header(Signatures.HEADER, Signatures.sign(endpoint.secret(), bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return new Outcome.Sent(providerId(response.body()));
            }
            if (status == 429 || status >= 500) {
                Duration after = response.headers().firstValue("Retry-After").flatMap(WebhookAdapter::seconds)
                        .orElse(null);
                return new Outcome.Retry("HTTP " + status, after);
            }
            return new Outcome.Failed("HTTP_" + status);
        } catch (IOException e) {
            return new Outcome.Retry("connection: " + e.getClass().getSimpleName(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Retry("interrupted", null);
        }
    }

    private static String providerId(byte[] body) {
        try {
            var node = Json.mapper().readTree(body);
            return node != null && node.path("id").isTextual() ? node.get("id").asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Math.min(300, Long.parseLong(value.strip()))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
