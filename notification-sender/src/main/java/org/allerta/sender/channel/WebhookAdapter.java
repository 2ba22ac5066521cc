package org.allerta.sender.channel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.eclipse.microprofile.config.Config;

/**
 * Push, WhatsApp and Telegram through their providers' HTTPS endpoints: a POST of the job in the documented JSON form
 * (docs/senders.md), signed with {@code X-Allerta-Signature: t=<unix seconds>,sha256=HMAC(secret, "<t>.<body>")}
 * ({@link Signatures}). 2xx = sent (the provider's {@code id}, if its answer has one, links later callbacks); 429 and
 * 5xx = retry (honouring Retry-After, in seconds or as a date; 429, 502, 503 and 504 use up no attempt); 401 and 407
 * (our credentials refused) = wait for the operator's fix, using up no attempt; other 4xx = failed. The status line must come within
 * {@code allerta.sender.webhook.timeout} (15 s) and the whole answer 5 s later, and only its first {@link #MAX_ANSWER_BYTES} bytes are read. Each channel is enabled by its URL ({@code ALLERTA_PUSH_WEBHOOK_URL}, ...) and secret.
 */
@ApplicationScoped
public class WebhookAdapter implements Adapter {

    private static final Set<Channel> WEBHOOK_CHANNELS = Set.of(Channel.PUSH, Channel.WHATSAPP, Channel.TELEGRAM);

    private record Endpoint(URI url, String secret) {
    }

    private final Map<Channel, Endpoint> endpoints = new EnumMap<>(Channel.class);
    /** Opening the connection: 5 s, or the whole timeout when that is shorter (it counts the connection too). */
    private final HttpClient http;
    /** How long a provider has to answer a request's status line ({@code allerta.sender.webhook.timeout}). */
    private final Duration requestTimeout;
    /** How long a provider has for its whole answer, headers and body: 5 s more. */
    private final Duration answerDeadline;

    WebhookAdapter(Config config) {
        this.requestTimeout = config.getOptionalValue("allerta.sender.webhook.timeout", Duration.class)
                .orElse(Duration.ofSeconds(15));
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout(requestTimeout)).build();
        this.answerDeadline = requestTimeout.plusSeconds(5);
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

    /**
     * How long a provider has to accept the connection: 5 s, or the whole timeout when that is shorter (the request's
     * timeout counts the connection too). A timeout that is not positive is refused: the service does not start.
     */
    static Duration connectTimeout(Duration requestTimeout) {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalStateException("allerta.sender.webhook.timeout (ALLERTA_WEBHOOK_TIMEOUT) must be positive, not "
                    + requestTimeout);
        }
        Duration connect = Duration.ofSeconds(5);
        return requestTimeout.compareTo(connect) < 0 ? requestTimeout : connect;
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
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", job.jobId())
                .header(Signatures.HEADER, Signatures.sign(endpoint.secret(), java.time.Instant.now(), bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
        var status = new java.util.concurrent.atomic.AtomicInteger();
        var retryAfter = new java.util.concurrent.atomic.AtomicReference<Duration>();
        var exchange = http.sendAsync(request, info -> {
            status.set(info.statusCode());
            retryAfter.set(info.headers().firstValue("Retry-After").flatMap(WebhookAdapter::retryAfter).orElse(null));
            return new Capped(MAX_ANSWER_BYTES);
        });
        byte[] answer;
        try {
            answer = exchange.get(answerDeadline.toMillis(), TimeUnit.MILLISECONDS).body();
        } catch (TimeoutException e) {
            exchange.cancel(true);
            // the status line came and said accepted, the rest of the answer did not: the message is with the
            // provider, only its id is missing
            if (status.get() >= 200 && status.get() < 300) {
                return new Outcome.Sent(null);
            }
            if (status.get() == 0) {
                // the request went out and no status came back: the provider may have taken it
                return new Outcome.Uncertain("no answer within " + answerDeadline.toSeconds() + " s");
            }
            return new Outcome.Retry("HTTP " + status.get() + ", its answer unfinished", null);
        } catch (ExecutionException e) {
            if (status.get() >= 200 && status.get() < 300) {
                // accepted, then the connection broke during the rest of the answer: sent, its id unknown
                return new Outcome.Sent(null);
            }
            // a provider that cannot be reached says nothing against the message: it waits (no attempt used)
            boolean away = e.getCause() instanceof java.net.ConnectException
                    || e.getCause() instanceof java.net.http.HttpConnectTimeoutException;
            if (!away && status.get() == 0 && e.getCause() instanceof java.net.http.HttpTimeoutException) {
                // connected, the request sent, and no status within the request's timeout: it may have been taken
                return new Outcome.Uncertain("no answer within " + requestTimeout.toSeconds() + " s");
            }
            if (!away && status.get() == 0 && e.getCause() instanceof java.io.IOException
                    && !(e.getCause() instanceof javax.net.ssl.SSLHandshakeException)) {
                // connected, and the connection closed or reset with no status: the request may have been read
                // whole and taken (the client does not send a POST again by itself)
                return new Outcome.Uncertain("connection closed without an answer: "
                        + e.getCause().getClass().getSimpleName());
            }
            return new Outcome.Retry("connection: " + e.getCause().getClass().getSimpleName(), null, away);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            return new Outcome.Retry("interrupted", null);
        }
        int code = status.get();
        if (code >= 200 && code < 300) {
            return new Outcome.Sent(providerId(answer));
        }
        if (code == 429 || code >= 500) {
            // 429 asks to slow down, and 502, 503 and 504 say the provider is away: nothing against the message,
            // which uses up no attempt; another 5xx may be the message's doing, and counts
            boolean notTheMessage = code == 429 || code == 502 || code == 503 || code == 504;
            return new Outcome.Retry("HTTP " + code, retryAfter.get(), notTheMessage);
        }
        if (code == 401 || code == 407) {
            // the provider (or a proxy on the way) refuses our credentials: a key rotated or mistyped says nothing
            // against the message, which waits for the operator's fix (until its expiry at most) without using up
            // its attempts, instead of a whole announcement failing for good in seconds
            return new Outcome.Retry("HTTP " + code + ": credentials refused", retryAfter.get(), true);
        }
        return new Outcome.Failed("HTTP_" + code);
    }

    /** How much of an answer is read: its {@code id} is all that is used. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    /**
     * The first {@code max} bytes of an answer; the rest is not read (a provider answering with megabytes, or
     * without end, holds no memory).
     */
    static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final java.util.concurrent.CompletableFuture<byte[]> body = new java.util.concurrent.CompletableFuture<>();
        private Flow.Subscription subscription;

        Capped(int max) {
            this.max = max;
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(java.util.List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                int n = Math.min(buffer.remaining(), max - bytes.size());
                byte[] chunk = new byte[n];
                buffer.get(chunk);
                bytes.write(chunk, 0, n);
            }
            if (bytes.size() >= max && !body.isDone()) {
                subscription.cancel();
                body.complete(bytes.toByteArray());
            }
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
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

    /** The longest wait a Retry-After is taken for; the job's expiry comes first in practice. */
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofDays(1);

    /** A Retry-After in seconds or as an HTTP date (RFC 9110), as a wait from now; nothing if unreadable. */
    static Optional<Duration> retryAfter(String value) {
        String text = value.strip();
        try {
            long seconds = Long.parseLong(text);
            return seconds < 0 ? Optional.empty()
                    : Optional.of(Duration.ofSeconds(Math.min(seconds, LONGEST_RETRY_AFTER.toSeconds())));
        } catch (NumberFormatException e) {
            // an HTTP date, perhaps
        }
        try {
            Instant at = java.time.ZonedDateTime.parse(text, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
            Duration wait = Duration.between(Instant.now(), at);
            return Optional.of(wait.isNegative() ? Duration.ZERO
                    : wait.compareTo(LONGEST_RETRY_AFTER) > 0 ? LONGEST_RETRY_AFTER : wait);
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
