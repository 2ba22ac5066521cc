package org.allerta.service.problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class DatabaseErrorsTest {

    @Test
    void dataOrAConstraintRefusedIsTheInputsFaultAnythingElseIsNot() {
        assertThat(DatabaseErrors.isRefusedData(new SQLException("check", "23514"))).isTrue();
        assertThat(DatabaseErrors.isRefusedData(new SQLException("unique", "23505"))).isTrue();
        assertThat(DatabaseErrors.isRefusedData(new SQLException("nul", "22021"))).isTrue();
        assertThat(DatabaseErrors.isRefusedData(new IllegalStateException(new SQLException("range", "22003"))))
                .isTrue();
        assertThat(DatabaseErrors.isRefusedData(new SQLException("statement timeout", "57014"))).isFalse();
        assertThat(DatabaseErrors.isRefusedData(new SQLException("connection lost", "08006"))).isFalse();
        assertThat(DatabaseErrors.isRefusedData(new SQLException("no state"))).isFalse();
        assertThat(DatabaseErrors.isRefusedData(new NullPointerException())).isFalse();
    }

    @Test
    void aProblemOf503IsADatabaseAwayForNowWhateverItsCause() {
        assertThat(DatabaseErrors.isUnavailable(ProblemException.unavailable("busy", 1,
                new SQLException("deadlock detected", "40P01")))).isTrue();
        assertThat(DatabaseErrors.isUnavailable(new IllegalStateException(ProblemException.unavailable("away", 5))))
                .isTrue();
        assertThat(DatabaseErrors.isUnavailable(ProblemException.unparseable("bad"))).isFalse();
        assertThat(DatabaseErrors.isUnavailable(new SQLException("deadlock detected", "40P01"))).isFalse();
    }
}
