package org.allerta.service.problem;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** Tells a database that cannot be reached from a statement that failed. */
public final class DatabaseErrors {

    private DatabaseErrors() {
    }

    /**
     * True when the error means "no database right now": connection refused, lost, or no connection available; or
     * the 503 problem {@link org.allerta.service.Jdbc} makes of a statement the database could not take for now
     * ({@link #isTransient}).
     */
    public static boolean isUnavailable(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ProblemException p && p.problem().status() == 503) {
                return true;
            }
            if (cause instanceof SQLTransientConnectionException) {
                return true;
            }
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now.
                if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                    return true;
                }
                String message = String.valueOf(sql.getMessage()).toLowerCase(java.util.Locale.ROOT);
                if (message.contains("acquisition timeout") || message.contains("connection refused")
                        || message.contains("unable to acquire")) {
                    return true;
                }
            }
            if (cause instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the database could not take a statement for now, though it answers: a transaction lost to another
     * (serialization failure, deadlock: class 40), resources short (class 53: disk full, too many connections), a
     * read-only server after a failover (25006), a statement cancelled (57014), a lock not obtained in time (55P03), a
     * system error (class 58). Tried again, it may succeed; a record meeting it is never dead-lettered for it.
     */
    public static boolean isTransient(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("40") || state.startsWith("53") || state.startsWith("58")
                        || state.equals("25006") || state.equals("57014") || state.equals("55P03")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * True when a statement failed on text PostgreSQL cannot hold: a NUL character (SQLSTATE 22021) or one outside
     * the database's encoding (22P05). The input, not the service, is at fault.
     */
    public static boolean isUnstorableText(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && ("22021".equals(sql.getSQLState())
                    || "22P05".equals(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a value is beyond what the database stores: a date or number out of range (SQLSTATE 22008, 22003), a
     * text longer than its column (22001), or a key too long for its index (54000). The input is at fault.
     */
    public static boolean isOutOfRange(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null && java.util.Set.of("22008", "22003",
                    "22001", "54000").contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the database refused the data of a statement: a data exception (SQLSTATE class 22: a value out of
     * range, a character it cannot hold) or a constraint it breaks (class 23). The input is at fault, not the service.
     */
    public static boolean isRefusedData(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
                return true;
            }
        }
        return false;
    }
}
