package org.allerta.dispatcher.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EventDrainTest {

    @Test
    void anEventNearTheFrontOfALongQueueIsToldSoonerThanTheQueueDrains() {
        // 10,000 SMS waiting, 500 s to drain them all; the event's last job has 1,000 ahead of it, itself included
        assertThat(StatsService.eventDrain(500, 10_000, 1_000L, 800)).isEqualTo(50.0);
    }

    @Test
    void anEventAtTheBackWaitsForTheWholeQueue() {
        assertThat(StatsService.eventDrain(500, 10_000, 10_000L, 800)).isEqualTo(500.0);
        // the queue grew past the plan's count since: never beyond the whole queue's time
        assertThat(StatsService.eventDrain(500, 10_000, 12_000L, 800)).isEqualTo(500.0);
    }

    @Test
    void jobsTheSenderAlreadyPassedStillCountAsTheEventsOwn() {
        assertThat(StatsService.eventDrain(500, 10_000, 0L, 20)).isEqualTo(1.0);
    }

    @Test
    void withoutPositionsTheWholeQueueIsTheBound() {
        assertThat(StatsService.eventDrain(500, 10_000, null, 20)).isEqualTo(500.0);
        assertThat(StatsService.eventDrain(0, 0, 5L, 5)).isEqualTo(0.0);
    }
}
