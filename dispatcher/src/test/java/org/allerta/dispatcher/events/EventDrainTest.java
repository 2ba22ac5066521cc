package org.allerta.dispatcher.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** An event's send plan: the part of a channel's queue sent before the event's last waiting job. */
class EventDrainTest {

    // a channel of three partitions, 3,000 jobs waiting (1,000 in each), 300 s to drain them all
    private static final Map<Integer, Long> POSITIONS = Map.of(0, 5_000L, 1, 7_000L, 2, 9_000L);
    private static final Map<Integer, Long> ENDS = Map.of(0, 6_000L, 1, 8_000L, 2, 10_000L);

    private static double drain(Map<Integer, Long> last, long eventWaiting) {
        return StatsService.eventDrain(300, 3_000, POSITIONS, ENDS, last, eventWaiting);
    }

    @Test
    void anEventNearTheFrontOfEachPartitionIsToldSoon() {
        // its last jobs 100 deep in partitions 0 and 1: 100 from each of the three partitions go first
        assertThat(drain(Map.of(0, 5_099L, 1, 7_099L), 150)).isEqualTo(30.0);
    }

    @Test
    void theDeepestOfItsJobsDecidesAndThePartitionsDrainSideBySide() {
        // one job at the very end of partition 2: the whole queue goes first, not a third of it
        assertThat(drain(Map.of(0, 5_000L, 2, 9_999L), 2)).isEqualTo(300.0);
        // 500 deep in partition 1: 500 from each partition
        assertThat(drain(Map.of(1, 7_499L), 1)).isEqualTo(150.0);
    }

    @Test
    void aShortPartitionGivesOnlyWhatItHas() {
        var ends = Map.of(0, 5_100L, 1, 8_000L, 2, 9_000L);
        // 1,000 deep in partition 1; partition 0 holds 100, partition 2 nothing: 1,100 of 1,100 waiting
        assertThat(StatsService.eventDrain(110, 1_100, POSITIONS, ends, Map.of(1, 7_999L), 1)).isEqualTo(110.0);
        assertThat(StatsService.eventDrain(110, 1_100, POSITIONS, ends, Map.of(1, 7_499L), 1))
                .isCloseTo(60.0, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void jobsTheSenderAlreadyPassedStillCountAsTheEventsOwn() {
        assertThat(drain(Map.of(0, 4_000L), 30)).isEqualTo(3.0);
    }

    @Test
    void withoutPositionsTheWholeQueueIsTheBound() {
        assertThat(StatsService.eventDrain(300, 3_000, null, null, Map.of(0, 5_099L), 20)).isEqualTo(300.0);
        assertThat(StatsService.eventDrain(0, 0, POSITIONS, ENDS, Map.of(0, 5_099L), 5)).isEqualTo(0.0);
    }

    /** No job of the event on the bulk topic: its jobs are urgent, sent before the whole queue, their share of it. */
    @Test
    void anEventWhoseJobsAreAllUrgentWaitsForItsOwnJobsAlone() {
        assertThat(StatsService.eventDrain(300, 3_000, POSITIONS, ENDS, null, 20)).isEqualTo(2.0);
        assertThat(StatsService.eventDrain(300, 3_000, POSITIONS, ENDS, Map.of(), 20)).isEqualTo(2.0);
        // 300 urgent jobs waiting beside the bulk's 3,000: an urgent event waits for them, not for the bulk
        assertThat(StatsService.eventDrain(330, 3_300, POSITIONS, ENDS, null, 20)).isEqualTo(30.0);
    }

    /** The urgent jobs waiting go before any job of the bulk: an event on the bulk topic waits for them too. */
    @Test
    void anEventOnTheBulkTopicWaitsForTheUrgentJobsToo() {
        // 100 deep in partitions 0 and 1 (300 of the bulk first), and 300 urgent jobs ahead of them all
        assertThat(StatsService.eventDrain(330, 3_300, POSITIONS, ENDS, Map.of(0, 5_099L, 1, 7_099L), 150))
                .isCloseTo(60.0, org.assertj.core.api.Assertions.within(1e-9));
    }
}
