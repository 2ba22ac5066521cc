package org.allerta.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sweep every service schedules: at the service's clock, and still scheduled after one that failed. */
class RetentionSweepTest {

    @Test
    void aSweepRunsAtTheServicesClockNotTheMachines() {
        Instant then = Instant.parse("2031-03-01T04:00:00Z");
        List<Instant> seen = new ArrayList<>();

        RetentionSweep.task(Clock.fixed(then, ZoneOffset.UTC), seen::add).run();

        assertThat(seen).containsExactly(then);
    }

    @Test
    void aSweepThatFailsIsTriedAgainAtTheNextTurn() throws InterruptedException {
        var turns = new CountDownLatch(3);
        Runnable task = RetentionSweep.task(Clock.systemUTC(), now -> {
            turns.countDown();
            throw new IllegalStateException("the database is away");
        });
        assertThatCode(task::run).doesNotThrowAnyException();

        try (Ticker ticker = Ticker.start("retention-sweep-test").every(Duration.ofMillis(10), task)) {
            // a task that threw would never be run again by its ticker
            assertThat(turns.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aPeriodShorterThanTheTopicsCanHoldARecordIsRefused() {
        assertThatThrownBy(() -> RetentionSweep.checked("allerta.x.retention", Duration.ofDays(29), "risk"))
                .hasMessageContaining("allerta.x.retention").hasMessageContaining("30 days");
        assertThat(RetentionSweep.checked("allerta.x.retention", Duration.ofDays(30), "risk"))
                .isEqualTo(Duration.ofDays(30));
    }
}
