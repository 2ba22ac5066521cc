package org.allerta.service;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * What the services' retention sweeps share: the shortest period they accept, and deletion in chunks, each its own
 * short transaction, so that the work they sweep beside never waits long behind them.
 */
public final class RetentionSweep {

    private static final Logger LOG = Logger.getLogger(RetentionSweep.class);

    /**
     * The shortest retention period: a record of {@code alerts.matches} (kept 7 days) or of a job topic (a day) can
     * stay readable for a segment's age (7 days) longer, and a consumer group idle for 7 days starts again from the
     * earliest record. A row that acts on such a record must outlive it.
     */
    public static final Duration MINIMUM = Duration.ofDays(30);

    /** Rows deleted per transaction. */
    public static final int CHUNK = 10_000;

    private RetentionSweep() {
    }

    /** {@code period}, or a refusal naming {@code property} and what a shorter one would risk. */
    public static Duration checked(String property, Duration period, String risk) {
        if (period.compareTo(MINIMUM) < 0) {
            throw new IllegalArgumentException(property + " (ALLERTA_RETENTION) is " + period + ": it must be at least "
                    + MINIMUM.toDays() + " days, or " + risk);
        }
        return period;
    }

    /**
     * The task a service's {@link Ticker} runs: {@code sweep} at the clock's time. A sweep that fails (the database
     * away) is logged and tried again at the next turn, so that the ticker keeps running it.
     */
    public static Runnable task(Clock clock, Consumer<Instant> sweep) {
        return () -> {
            try {
                sweep.accept(clock.instant());
            } catch (RuntimeException e) {
                LOG.warnf("retention sweep paused: %s", e.getMessage());
            }
        };
    }

    /** Sets a statement's parameters before its chunk size; returns the index of the chunk size's parameter. */
    @FunctionalInterface
    public interface Binder {
        int bind(PreparedStatement s) throws SQLException;
    }

    /**
     * Runs {@code delete}, whose last parameter is the chunk size ({@link #CHUNK}), in a transaction of its own until a
     * chunk deletes fewer rows than that; returns the rows deleted.
     */
    public static long deleteInChunks(Jdbc jdbc, String delete, Binder binder) {
        long total = 0;
        int deleted;
        do {
            deleted = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(delete)) {
                    s.setInt(binder.bind(s), CHUNK);
                    return s.executeUpdate();
                }
            });
            total += deleted;
        } while (deleted == CHUNK);
        return total;
    }
}
