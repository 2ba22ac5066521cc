package org.allerta.contracts.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * CloudEvents 1.0 attributes carried as Kafka headers (the Kafka protocol binding, binary content mode: {@code ce_}
 * prefixed headers, the record value is the event data as JSON).
 */
public final class CloudEvents {

    public static final String SPEC_VERSION = "1.0";
    public static final String ID = "ce_id";
    public static final String SOURCE = "ce_source";
    public static final String TYPE = "ce_type";
    public static final String SPECVERSION = "ce_specversion";
    public static final String TIME = "ce_time";
    public static final String SUBJECT = "ce_subject";
    public static final String CONTENT_TYPE = "content-type";

    /** Type prefix of Allerta's events: {@code org.allerta.AlertEvent}, {@code org.allerta.MatchChange}... */
    public static final String TYPE_PREFIX = "org.allerta.";

    private static final String JSON = "application/json";
    private static final Map<String, String> SOURCES = new ConcurrentHashMap<>();
    private static final Map<Class<?>, String> TYPES = new ConcurrentHashMap<>();
    private static final Map<String, byte[]> FIXED = new ConcurrentHashMap<>();
    /** The last time written and its text: the records of one millisecond share it. */
    private static volatile Formatted lastTime = new Formatted(Instant.EPOCH, Instant.EPOCH.toString());

    private record Formatted(Instant time, String text) {
    }

    private CloudEvents() {
    }

    /**
     * The attributes of one record.
     *
     * @param id      unique per source (for an AlertEvent: eventId/revision)
     * @param source  the producing service as a URI reference ("/allerta/alert-intake")
     * @param type    the contract type ("org.allerta.AlertEvent")
     * @param time    when it happened
     * @param subject what it is about (event id, subscriber id...), may be null
     */
    public record Attributes(String id, String source, String type, Instant time, String subject) {
        public Attributes {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(time, "time");
        }

        /** The attributes for a contract record of the given class. */
        public static Attributes of(String id, String service, Class<?> contract, Instant time, String subject) {
            return new Attributes(id, SOURCES.computeIfAbsent(service, s -> "/allerta/" + s),
                    TYPES.computeIfAbsent(contract, c -> TYPE_PREFIX + c.getSimpleName()), time, subject);
        }

        /** As header name → value. */
        public Map<String, String> asHeaders() {
            var headers = new LinkedHashMap<String, String>();
            each((name, value, shared) -> headers.put(name, value));
            return headers;
        }

        /** Adds the attributes to Kafka headers. */
        public Headers addTo(Headers headers) {
            // written for every record sent: the values records share are encoded once
            each((name, value, shared) -> headers.add(name, shared ? fixed(value)
                    : value.getBytes(StandardCharsets.UTF_8)));
            return headers;
        }

        /** One header: its name, its value, and whether most records share that value. */
        private interface Header {
            void accept(String name, String value, boolean shared);
        }

        /** Each header, in the order they are written. */
        private void each(Header header) {
            header.accept(ID, id, false);
            header.accept(SOURCE, source, true);
            header.accept(TYPE, type, true);
            header.accept(SPECVERSION, SPEC_VERSION, true);
            header.accept(TIME, text(time), false);
            if (subject != null) {
                header.accept(SUBJECT, subject, false);
            }
            header.accept(CONTENT_TYPE, JSON, true);
        }

        /** The bytes of a value most records share (a source, a type), encoded once; a copy for each record. */
        private static byte[] fixed(String value) {
            byte[] bytes = FIXED.get(value);
            if (bytes == null) {
                bytes = value.getBytes(StandardCharsets.UTF_8);
                if (FIXED.size() < 1_000) {
                    FIXED.put(value, bytes);
                }
            }
            return bytes.clone();
        }
    }

    /**
     * Now, to the millisecond: the time a producer gives a record. A service sends thousands of records in a
     * millisecond when it matches or dispatches a large event, and they share one formatted time instead of each
     * formatting its own (formatting was a tenth of the matcher's streaming thread).
     */
    public static Instant now() {
        return Instant.ofEpochMilli(System.currentTimeMillis());
    }

    /** The RFC 3339 text of a time, formatted once for consecutive records of the same time. */
    static String text(Instant time) {
        Formatted last = lastTime;
        if (last.time().equals(time)) {
            return last.text();
        }
        String text = time.toString();
        lastTime = new Formatted(time, text);
        return text;
    }

    /** Reads the attributes back from Kafka headers; throws when a required one is missing. */
    public static Attributes read(Headers headers) {
        String spec = last(headers, SPECVERSION);
        if (!SPEC_VERSION.equals(spec)) {
            throw new IllegalArgumentException("not a CloudEvents 1.0 record: ce_specversion=" + spec);
        }
        String time = last(headers, TIME);
        return new Attributes(last(headers, ID), last(headers, SOURCE), last(headers, TYPE),
                time == null ? null : Instant.parse(time), last(headers, SUBJECT));
    }

    private static String last(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
