package org.allerta.matcher.matching;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The matching of revisions never runs beside the matching of places that arrived meanwhile ({@code LateArrivals}): a
 * revision holds this lock shared for its whole transaction (revisions of different events, matched by several
 * instances, go on side by side); late arrivals take it alone, only ever by trying, so that no revision queues behind
 * them. Without it, a place stored while a revision
 * is being matched is seen by neither (a new event is not committed yet; the revision's area query ran before the
 * place was stored), or is told AFFECTED by the late-arrival matching and then forgotten by the revision's save, so
 * that the person never hears RESOLVED.
 */
public final class MatchingLock {

    /** The advisory lock's key: "allerta" and 1. */
    static final long KEY = 0x616c6c6572746101L;

    private MatchingLock() {
    }

    /** Takes the lock alone if no revision is being matched; never waits (so never queues ahead of revisions). */
    public static boolean tryAcquire(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            s.setLong(1, KEY);
            try (java.sql.ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        }
    }

    /** Waits for the lock shared with other revisions' matching; released when the transaction ends. */
    public static void acquireShared(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock_shared(?)")) {
            s.setLong(1, KEY);
            s.execute();
        }
    }
}
