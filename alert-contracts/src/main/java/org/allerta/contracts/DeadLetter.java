package org.allerta.contracts;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An input that could not be processed, on {@code alerts.dlq} (key = input id), with every reason and the original
 * payload, so that nothing is silently dropped. Never carries a credential: headers that could hold one are removed
 * before the record is written.
 *
 * @param id          unique id of this dead letter
 * @param source      where the input came from: a topic ("intake.raw") or an endpoint
 * @param service     which service refused it
 * @param key         the original record key, if any
 * @param reasons     the problems found
 * @param payload     the original payload as text (or base64 when not valid UTF-8, see payloadEncoding); past 64 KiB,
 *                    or for a notification job, which carries a person's address and text, only its SHA-256 digest
 *                    ("sha256:&lt;hex&gt;"): a record from a topic stays readable there at partition and offset
 * @param payloadEncoding "utf-8", "base64", "digest" (past 64 KiB) or "redacted" (a notification job)
 * @param headers     the original headers that are safe to keep
 * @param partition   source partition, for topics
 * @param offset      source offset, for topics
 * @param at          when it was dead-lettered
 */
public record DeadLetter(
        String id,
        String source,
        String service,
        String key,
        List<Problem> reasons,
        String payload,
        String payloadEncoding,
        Map<String, String> headers,
        Integer partition,
        Long offset,
        Instant at) {

    public DeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("a dead letter says why");
        }
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /**
     * One problem with an input.
     *
     * @param type  machine-readable problem type (a URI or a short code)
     * @param where a JSON pointer, an XML element path or a header name
     * @param why   a sentence a publisher can act on
     */
    public record Problem(String type, String where, String why) {
        public Problem {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(why, "why");
        }
    }
}
