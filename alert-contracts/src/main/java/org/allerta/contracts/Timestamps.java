package org.allerta.contracts;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * The instants Allerta accepts from outside: years 1900 to 2199. ISO-8601 lets a timestamp name any year up to a
 * billion, which no database column, rendered message or publisher means; every reader of a timestamp refuses one
 * outside this range with a reason instead of letting it reach storage.
 */
public final class Timestamps {

    /** The first instant accepted. */
    public static final Instant MIN = Instant.parse("1900-01-01T00:00:00Z");
    /** The first instant no longer accepted. */
    public static final Instant MAX = Instant.parse("2200-01-01T00:00:00Z");
    /** The range, as a reason says it. */
    public static final String RANGE = "between the years 1900 and 2199";

    private Timestamps() {
    }

    /** True when {@code instant} lies in the accepted range. */
    public static boolean inRange(Instant instant) {
        return !instant.isBefore(MIN) && instant.isBefore(MAX);
    }

    /** Why a text is not an accepted timestamp, as problem types name it. */
    public enum Refusal {
        /** Not an ISO-8601 date-time with an offset. */
        INVALID("invalid-timestamp"),
        /** A date-time outside {@link #RANGE}. */
        OUT_OF_RANGE("timestamp-out-of-range");

        private final String type;

        Refusal(String type) {
            this.type = type;
        }

        /** The problem type's last segment. */
        public String type() {
            return type;
        }

        /** The reason, for a publisher or an app, with {@code subject} naming the value or the field. */
        public String reason(String subject) {
            return this == INVALID
                    ? subject + " must be an ISO-8601 timestamp with an offset, e.g. 2026-11-28T18:30:00+01:00."
                    : subject + " must lie " + RANGE + ".";
        }
    }

    /** A text read as a timestamp: the instant, or why it was refused (exactly one of them is set). */
    public record Reading(Instant instant, Refusal refusal) {
    }

    /**
     * Reads an ISO-8601 date-time with an offset ({@code Z} included), surrounding spaces ignored, and checks its
     * range. Digits past the microsecond are dropped, as PostgreSQL keeps it: a value compared later with the one
     * stored (a repeat's {@code sentAt}, say) is then the same value, not one rounded up on the way in.
     */
    public static Reading read(String text) {
        Instant instant;
        try {
            instant = OffsetDateTime.parse(text.strip()).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        } catch (DateTimeParseException e) {
            return new Reading(null, Refusal.INVALID);
        }
        return inRange(instant) ? new Reading(instant, null) : new Reading(null, Refusal.OUT_OF_RANGE);
    }
}
