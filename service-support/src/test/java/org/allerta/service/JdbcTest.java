package org.allerta.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agroal.api.AgroalDataSource;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.allerta.service.problem.ProblemException;
import org.junit.jupiter.api.Test;

/** How a transaction's failures reach the caller: what the database refused for now is a 503, never a 500. */
class JdbcTest {

    /** A data source whose connections accept everything and count their rollbacks. */
    private static AgroalDataSource dataSource(AtomicInteger rollbacks) {
        Connection connection = (Connection) Proxy.newProxyInstance(JdbcTest.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("rollback")) {
                        rollbacks.incrementAndGet();
                    }
                    return method.getReturnType() == boolean.class ? false : null;
                });
        return (AgroalDataSource) Proxy.newProxyInstance(JdbcTest.class.getClassLoader(),
                new Class<?>[] {AgroalDataSource.class}, (proxy, method, args) ->
                        method.getName().equals("getConnection") ? connection : null);
    }

    @Test
    void aDeadlockMetInsideCodeThatWrapsItIsA503AndTheTransactionIsRolledBack() {
        var rollbacks = new AtomicInteger();
        var jdbc = new Jdbc(dataSource(rollbacks));
        assertThatThrownBy(() -> jdbc.inTransaction(c -> {
            throw new IllegalStateException(new SQLException("deadlock detected", "40P01"));
        })).isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.problem().status()).isEqualTo(503));
        assertThat(rollbacks).hasValue(1);
        // what is not the database's passing refusal stays what it is
        assertThatThrownBy(() -> jdbc.inTransaction(c -> {
            throw new IllegalStateException(new SQLException("duplicate key", "23505"));
        })).isExactlyInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> jdbc.inTransaction(c -> {
            throw new IllegalArgumentException("a fault of the caller's own");
        })).isExactlyInstanceOf(IllegalArgumentException.class);
    }
}
