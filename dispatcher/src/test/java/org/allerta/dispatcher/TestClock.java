package org.allerta.dispatcher;

import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The dispatcher's clock in tests: the system clock until a test sets it (quiet hours, expiries). */
@Singleton
public class TestClock extends Clock {

    private volatile Instant fixed;

    /** Freezes the clock at {@code instant}. */
    public void set(Instant instant) {
        fixed = instant;
    }

    /** Back to the system clock. */
    public void reset() {
        fixed = null;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        Instant now = fixed;
        return now == null ? Instant.now() : now;
    }
}
