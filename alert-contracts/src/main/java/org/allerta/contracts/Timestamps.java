package org.allerta.contracts;

import java.time.Instant;

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
}
