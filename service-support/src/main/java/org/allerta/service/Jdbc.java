package org.allerta.service;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;

/**
 * Plain JDBC transactions on the service's datasource. A database that cannot be reached becomes a
 * {@link ProblemException} 503 with Retry-After, so that REST callers learn to come back rather than see a 500.
 */
@ApplicationScoped
public class Jdbc {

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private final AgroalDataSource dataSource;

    Jdbc(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Runs {@code work} in a transaction: committed when it returns, rolled back when it throws. */
    public <T> T inTransaction(Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.apply(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection);
                if (e instanceof RuntimeException wrapped && !(wrapped instanceof ProblemException)
                        && DatabaseErrors.isTransient(wrapped)) {
                    // a statement refused for now (a deadlock, a lock not obtained in time) inside code that wraps its
                    // SQLException (a lambda): the same 503 as the statement's own refusal, never a 500, and a
                    // consumer waits instead of dead-lettering its record
                    throw ProblemException.unavailable("The database cannot take this request for now; retry later.",
                            1, wrapped);
                }
                throw e;
            }
        } catch (SQLException e) {
            if (DatabaseErrors.isUnavailable(e)) {
                throw ProblemException.unavailable("The database cannot be reached; retry later.", 5);
            }
            if (DatabaseErrors.isTransient(e)) {
                // a deadlock, a failover's read-only moment, too many connections: the request may be repeated as is
                throw ProblemException.unavailable("The database cannot take this request for now; retry later.", 1,
                        e);
            }
            if (DatabaseErrors.isUnstorableText(e)) {
                throw ProblemException.invalid("The text cannot be stored.", List.of(Problem.Issue.of(
                        "unstorable-character", "", "The request carries a NUL character (U+0000), which no text"
                                + " field accepts.")));
            }
            if (DatabaseErrors.isOutOfRange(e)) {
                // the last line: readers refuse such values with their field named; this catches any they miss
                throw ProblemException.invalid("A value cannot be stored.", List.of(Problem.Issue.of(
                        "value-out-of-range", "", "A value of the request is beyond what can be stored: a date or"
                                + " a number out of range, or a text too long.")));
            }
            throw new IllegalStateException("database error: " + e.getMessage(), e);
        }
    }

    /**
     * Like {@link #inTransaction}, but runs {@code work} again (up to three times in all) when it lost a race on a
     * unique key to a concurrent transaction: the second run sees the winner's row.
     */
    public <T> T inTransactionRetryingConflicts(Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction(work);
            } catch (RuntimeException e) {
                if (attempt >= 3 || !isUniqueViolation(e)) {
                    throw e;
                }
            }
        }
    }

    /** True when {@code error} comes from a unique constraint (a concurrent insert of the same key). */
    public static boolean isUniqueViolation(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code ANALYZE} on a table that has just grown or changed by a tenth or more of its rows, in the caller's
     * transaction (its own new rows count). Until autovacuum comes by, the planner would otherwise plan for the table
     * as it was, and may scan a table it believes nearly empty once per row of another.
     *
     * @param table a table name written in the code, never a value from outside
     */
    public static void analyseIfGrown(Connection connection, String table, long changedRows) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass")) {
            s.setString(1, table);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                if (changedRows * 10 <= Math.max(rows.getLong(1), 0)) {
                    return;
                }
            }
        }
        try (Statement s = connection.createStatement()) {
            s.execute("ANALYZE " + table);
        }
    }

    /** The datasource itself, for streaming work that manages its own connection. */
    public AgroalDataSource dataSource() {
        return dataSource;
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }
}
