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
}
