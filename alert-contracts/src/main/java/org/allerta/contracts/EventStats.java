package org.allerta.contracts;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Per-event statistics, on the compacted {@code alerts.stats} (key = event id) and at
 * {@code GET /v1/events/{eventId}/stats}. Counts only, never identities.
 *
 * @param eventId              the event
 * @param lastRevisionComplete the last revision whose matching and dispatch are complete
 * @param matched              distinct subscribers matched so far
 * @param notified             notices emitted, per channel
 * @param notifiedPerChange    notices emitted, per change
 * @param held                 notices held for quiet hours right now
 * @param awaitingChannel      AFFECTED notices waiting for their person's first verified channel (registered during
 *                             the event), sent once it is verified
 * @param testWithheld         changes withheld from citizens because the event is a test: what a real event would
 *                             have told (counted per change, not per person)
 * @param sent                 sent by the senders
 * @param delivered            delivered (provider receipt)
 * @param failed               definitively failed
 * @param superseded           not sent because an urgent notice about a later revision of the event reached the same
 *                             person on the same channel first (the event escalated while they waited): neither sent
 *                             nor failed, the person heard the newer word
 * @param read                 read (opened)
 * @param clicked              distinct tracked links clicked
 * @param backlog              per channel, jobs waiting at the sender
 * @param estimatedDrainSeconds per channel, estimated seconds until the last one is sent
 * @param at                   when computed
 *
 * <p>The JSON also carries {@code notifiedTotal} and {@code rates} (sent, delivered, failed, read and clicked as
 * fractions of the notices emitted), computed from the counts, so that a dashboard reading the topic needs no
 * arithmetic of its own.
 */
public record EventStats(
        String eventId,
        long lastRevisionComplete,
        long matched,
        Map<Channel, Long> notified,
        Map<Change, Long> notifiedPerChange,
        long held,
        long awaitingChannel,
        long testWithheld,
        long sent,
        long delivered,
        long failed,
        long superseded,
        long read,
        long clicked,
        Map<Channel, Long> backlog,
        Map<Channel, Double> estimatedDrainSeconds,
        Instant at) {

    public EventStats {
        Objects.requireNonNull(eventId, "eventId");
        notified = notified == null ? Map.of() : Map.copyOf(notified);
        notifiedPerChange = notifiedPerChange == null ? Map.of() : Map.copyOf(notifiedPerChange);
        backlog = backlog == null ? Map.of() : Map.copyOf(backlog);
        estimatedDrainSeconds = estimatedDrainSeconds == null ? Map.of() : Map.copyOf(estimatedDrainSeconds);
    }

    /** Total notices emitted on every channel. */
    @com.fasterxml.jackson.annotation.JsonProperty(value = "notifiedTotal",
            access = com.fasterxml.jackson.annotation.JsonProperty.Access.READ_ONLY)
    public long notifiedTotal() {
        return notified.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Sent, delivered, failed, read and clicked as fractions of the notices emitted. */
    @com.fasterxml.jackson.annotation.JsonProperty(value = "rates",
            access = com.fasterxml.jackson.annotation.JsonProperty.Access.READ_ONLY)
    public Map<String, Double> rates() {
        var rates = new java.util.LinkedHashMap<String, Double>();
        rates.put("sent", rate(sent));
        rates.put("delivered", rate(delivered));
        rates.put("failed", rate(failed));
        rates.put("read", rate(read));
        rates.put("clicked", rate(clicked));
        return rates;
    }

    /** A count as a fraction of the notices emitted; 0 when nothing was emitted. */
    public double rate(long count) {
        long total = notifiedTotal();
        return total == 0 ? 0.0 : (double) count / total;
    }
}
