package org.allerta.dispatcher.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a change to job rows adds to the statistics ({@code event_count}): for each notice, the first time it is
 * sent, delivered, failed, read, clicked, superseded or finished (sent, failed or superseded) counts once, per event,
 * channel and change; a failure later contradicted by a delivery is taken back. A notice the sender did not send
 * because an urgent notice about a later revision reached its person first (reason {@code SUPERSEDED}) is superseded,
 * not failed: its person heard the newer word.
 * Used inside the transaction that changes the rows, after locking them, so that the state before is the one the
 * change starts from.
 */
public final class EventCounts {

    /**
     * The columns read by {@link Flags#of}, in its order. A notice counts as failed only while nothing says it reached
     * its person: a delivery receipt, an open or a click (both of which set delivered) after a failure (an attempt a
     * crash left uncertain, a relay that took the message before timing out) moves it from failed to delivered, so
     * that no notice counts as both, and none drops out of every outcome.
     */
    public static final String FLAGS = "sent_at IS NOT NULL, delivered_at IS NOT NULL,"
            + " failed_at IS NOT NULL AND delivered_at IS NULL AND failure_reason IS DISTINCT FROM 'SUPERSEDED',"
            + " read_at IS NOT NULL, clicked_at IS NOT NULL,"
            + " failed_at IS NOT NULL AND delivered_at IS NULL AND failure_reason = 'SUPERSEDED'";

    /** Which first times a job row has. */
    public record Flags(boolean sent, boolean delivered, boolean failed, boolean read, boolean clicked,
                        boolean superseded) {

        /** Reads {@link #FLAGS} starting at column {@code first}. */
        public static Flags of(ResultSet rows, int first) throws SQLException {
            return new Flags(rows.getBoolean(first), rows.getBoolean(first + 1), rows.getBoolean(first + 2),
                    rows.getBoolean(first + 3), rows.getBoolean(first + 4), rows.getBoolean(first + 5));
        }

        boolean finished() {
            return sent || failed || superseded;
        }
    }

    private record Key(String eventId, String channel, String change) {
    }

    private final Map<Key, long[]> added = new HashMap<>();

    /** Counts what a notice's row gained; other jobs (channel verification codes) are not in the statistics. */
    public void change(String purpose, String eventId, String channel, String change, Flags before, Flags after) {
        if (!"NOTICE".equals(purpose) || eventId == null || change == null) {
            return;
        }
        long[] n = added.computeIfAbsent(new Key(eventId, channel, change), k -> new long[COUNTS]);
        n[0] += gained(before.sent(), after.sent());
        n[1] += gained(before.delivered(), after.delivered());
        n[2] += gained(before.failed(), after.failed());
        n[3] += gained(before.read(), after.read());
        n[4] += gained(before.clicked(), after.clicked());
        n[5] += gained(before.finished(), after.finished());
        n[6] += gained(before.superseded(), after.superseded());
    }

    /** The counts a change adds, in the order of the columns {@link #write} fills. */
    private static final int COUNTS = 7;

    /** +1 for a first time, -1 for a failure that a later delivery withdrew. */
    private static int gained(boolean before, boolean after) {
        return (after ? 1 : 0) - (before ? 1 : 0);
    }

    /** Adds one row per event, channel and change that gained anything. */
    public void write(Connection c) throws SQLException {
        var keys = added.entrySet().stream().filter(e -> Arrays.stream(e.getValue()).anyMatch(v -> v > 0))
                .toList();
        if (keys.isEmpty()) {
            return;
        }
        int n = keys.size();
        var events = new String[n];
        var channels = new String[n];
        var changes = new String[n];
        var columns = new Long[COUNTS][n];
        for (int i = 0; i < n; i++) {
            Key key = keys.get(i).getKey();
            events[i] = key.eventId();
            channels[i] = key.channel();
            changes[i] = key.change();
            for (int k = 0; k < COUNTS; k++) {
                columns[k][i] = keys.get(i).getValue()[k];
            }
        }
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event_count (event_id, channel, change, sent, delivered, failed, read, clicked, finished,
                                         superseded)
                SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[],
                                     ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])""")) {
            s.setArray(1, c.createArrayOf("text", events));
            s.setArray(2, c.createArrayOf("text", channels));
            s.setArray(3, c.createArrayOf("text", changes));
            for (int k = 0; k < COUNTS; k++) {
                s.setArray(4 + k, c.createArrayOf("bigint", columns[k]));
            }
            s.executeUpdate();
        }
        added.clear();
    }

    /** The ids of these jobs locked, in one order, with their flags before a change. */
    public static Map<UUID, Flags> lockBefore(Connection c, List<UUID> jobIds) throws SQLException {
        var before = new HashMap<UUID, Flags>();
        try (PreparedStatement s = c.prepareStatement("SELECT job_id, " + FLAGS
                + " FROM job WHERE job_id = ANY(?::uuid[]) ORDER BY job_id FOR UPDATE")) {
            s.setArray(1, c.createArrayOf("uuid", jobIds.toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    before.put(rows.getObject(1, UUID.class), Flags.of(rows, 2));
                }
            }
        }
        return before;
    }
}
