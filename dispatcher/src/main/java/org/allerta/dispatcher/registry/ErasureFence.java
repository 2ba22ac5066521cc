package org.allerta.dispatcher.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.allerta.service.problem.ProblemException;

/**
 * Keeps an erasure and the dispatch of a batch apart. A batch reads its people, waits for the broker to acknowledge
 * their jobs, and only then writes their ledger, held and job rows: an erasure committed in between would leave
 * those rows behind for a person who no longer exists. Each batch passes the fence (a shared transaction lock, one
 * statement per batch); an erasure closes it (the same lock, exclusive) before anything else, so it waits for the
 * batches under way and deletes what they wrote, and the batches after it find nobody to tell. Jobs the broker took
 * before the erasure may still be delivered by the sender after it. Neither side takes any other lock first, so they
 * never deadlock. A channel removed (replaced, dropped or unsubscribed) closes the fence too before it takes the
 * time that withdraws that channel's queued jobs at the sender: a batch that read the channel before the change has
 * stamped its jobs by then. An erasure waits {@link #ERASURE_WAIT} at most (a batch may wait long for a broker that
 * is away), then answers 503 to be repeated, rather than hold back every batch queued behind it.
 */
public final class ErasureFence {

    /** The advisory lock's key: "allerta" and 2, distinct from the other services' locks in the same database. */
    public static final long KEY = 0x616c6c6572746102L;

    private ErasureFence() {
    }

    /** Taken by a dispatching transaction, until it ends. */
    public static void pass(Connection c) throws SQLException {
        lock(c, "SELECT pg_advisory_xact_lock_shared(?)");
    }

    /** How long an erasure waits for the batches under way. */
    static final String ERASURE_WAIT = "5s";

    /** Taken by an erasing transaction, until it ends; refused (lock_not_available, a 503) after {@link #ERASURE_WAIT}. */
    public static void close(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SET LOCAL lock_timeout = '" + ERASURE_WAIT + "'")) {
            s.execute();
        }
        try {
            lock(c, "SELECT pg_advisory_xact_lock(?)");
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                throw ProblemException.unavailable("Notices to this person are being dispatched; repeat the"
                        + " erasure in a few seconds.", 10, e);
            }
            throw e;
        }
        try (PreparedStatement s = c.prepareStatement("SET LOCAL lock_timeout = DEFAULT")) {
            s.execute();
        }
    }

    private static void lock(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, KEY);
            s.execute();
        }
    }
}
