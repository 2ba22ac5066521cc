package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.allerta.service.Jdbc;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/** The jobs handled are remembered for the retention period (90 days), then forgotten; never for less than 30 days. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RetentionTest {

    @Inject
    Jdbc jdbc;

    @Inject
    Retention retention;

    @Test
    void aHandledJobIsRememberedForTheRetentionPeriodThenForgotten() {
        UUID job = UUID.randomUUID();
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO handled_job (job_id, channel, event_id, outcome, attempts)
                    VALUES (?, 'SMS', 'ev-retention', 'SENT', 1)""")) {
                s.setObject(1, job);
                s.executeUpdate();
            }
            return null;
        });
        retention.sweep(Instant.now().plus(30, ChronoUnit.DAYS));
        assertThat(handled(job)).as("30 days on").isTrue();
        assertThat(retention.sweep(Instant.now().plus(91, ChronoUnit.DAYS))).isGreaterThanOrEqualTo(1);
        assertThat(handled(job)).as("91 days on").isFalse();
    }

    @Test
    void aPeriodShorterThanTheJobsCanBeReadAgainIsRefused() {
        assertThatThrownBy(() -> new Retention(jdbc, Clock.systemUTC(), Duration.ofDays(29), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 30 days");
    }

    private boolean handled(UUID job) {
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM handled_job WHERE job_id = ?")) {
                s.setObject(1, job);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }
}
