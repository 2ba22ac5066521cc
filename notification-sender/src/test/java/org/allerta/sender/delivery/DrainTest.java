package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The send plan's estimate of the time until a channel's queue is sent. */
class DrainTest {

    @Test
    void aQueueDrainsAtTheStricterOfTheChannelsAndItsAccountsLimit() {
        // 1,000 SMS at 10/s on the channel, but its aggregator account allows 4/s
        assertThat(SendPlan.drainSeconds(1_000, 10, 4, 1, 0, false)).isEqualTo(250.0);
        assertThat(SendPlan.drainSeconds(1_000, 10, 0, 1, 0, false)).isEqualTo(100.0);
        assertThat(SendPlan.drainSeconds(1_000, 0, 4, 1, 0, false)).isEqualTo(250.0);
    }

    @Test
    void aLongSmsTakesOneMessageOfTheLimitPerPart() {
        assertThat(SendPlan.drainSeconds(1_000, 10, 0, 2, 0, false)).isEqualTo(200.0);
    }

    @Test
    void aProviderSlowerThanItsLimitIsMeasuredOnceAWindowIsFull() {
        assertThat(SendPlan.drainSeconds(1_000, 10, 0, 1, 5, false)).isEqualTo(100.0);
        assertThat(SendPlan.drainSeconds(1_000, 10, 0, 1, 5, true)).isEqualTo(200.0);
        assertThat(SendPlan.drainSeconds(1_000, 0, 0, 1, 20, false)).isEqualTo(50.0);
        assertThat(SendPlan.drainSeconds(1_000, 0, 0, 1, 0, false)).isNull();
        assertThat(SendPlan.drainSeconds(0, 0, 0, 1, 0, false)).isZero();
    }

    @Test
    void aBurstAfterAQuietSpellIsMeasuredFromItsStart() {
        var window = new SendPlan.RateWindow(java.time.Duration.ofSeconds(30));
        long second = 1_000_000_000L;
        // a minute idle, a plan every 5 s, 100 jobs sent long ago
        for (long t = 0; t <= 60; t += 5) {
            window.observe(t * second, 100, 100, true);
        }
        // then 50 jobs sent in the next 5 s: 10 a second, not 50 over the last 30 s
        window.observe(65 * second, 150, 150, false);
        assertThat(window.rate()).isEqualTo(10.0);
        assertThat(window.full()).isFalse();
        // and while the spell goes on, the window is its last 30 s
        for (long t = 70; t <= 105; t += 5) {
            window.observe(t * second, 150 + (t - 65) * 10, 150 + (t - 65) * 10, false);
        }
        assertThat(window.full()).isTrue();
        assertThat(window.rate()).isEqualTo(10.0);
        assertThat(window.stalled()).isFalse();
    }

    @Test
    void jobsWaitingAFullWindowWithNoneFinishedHaveNoEstimate() {
        var window = new SendPlan.RateWindow(java.time.Duration.ofSeconds(30));
        long second = 1_000_000_000L;
        // jobs waiting from t = 0, the provider away: nothing sent or finished for 25 s, then 30
        for (long t = 0; t <= 20; t += 5) {
            window.observe(t * second, 40, 42, false);
            assertThat(window.stalled()).as("at %d s", t).isFalse();
        }
        window.observe(25 * second, 40, 42, false);
        assertThat(window.stalled()).isTrue();
        window.observe(30 * second, 40, 42, false);
        assertThat(window.stalled()).isTrue();
        // one job failed (say it expired while waiting): the queue moves, and a time is given again
        window.observe(35 * second, 40, 43, false);
        assertThat(window.stalled()).isFalse();
        assertThat(window.rate()).isZero();
        // the queue emptied: a new spell starts, not stalled
        window.observe(40 * second, 40, 50, true);
        window.observe(45 * second, 40, 50, false);
        assertThat(window.stalled()).isFalse();
    }
}
