package org.allerta.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Statement;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.ProblemException;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/**
 * A statement the database could not take for now (here cancelled by its timeout, SQLSTATE 57014) is a 503 with
 * Retry-After, never a 500: a publisher repeats the request, and a consumer waits instead of dead-lettering the
 * record.
 */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class DatabaseBusyTest {

    @Inject
    Jdbc jdbc;

    @Test
    void aStatementTheDatabaseCouldNotTakeForNowIsA503() {
        ProblemException busy = catchThrowableOfType(() -> jdbc.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL statement_timeout = 50");
                s.execute("SELECT pg_sleep(2)");
            }
            return null;
        }), ProblemException.class);
        assertThat(busy).isNotNull();
        assertThat(busy.problem().status()).isEqualTo(503);
        assertThat(busy.headers()).containsEntry("Retry-After", "1");
        assertThat(DatabaseErrors.isTransient(busy)).as("the database's own error stays its cause").isTrue();
        assertThat(DatabaseErrors.isUnavailable(busy)).as("what consumers wait for").isTrue();
    }
}
