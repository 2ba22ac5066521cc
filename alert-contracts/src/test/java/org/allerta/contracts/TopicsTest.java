package org.allerta.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import org.allerta.contracts.Topics.Cleanup;
import org.allerta.contracts.Topics.Party;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void namesAreUniqueAndEveryChannelHasItsJobsTopic() {
        var names = new HashSet<String>();
        Topics.ALL.forEach(t -> assertThat(names.add(t.name())).as(t.name()).isTrue());
        for (Channel channel : Channel.values()) {
            assertThat(names).contains("notifications.jobs." + channel.name().toLowerCase(),
                    "notifications.jobs." + channel.name().toLowerCase() + ".urgent");
        }
    }

    @Test
    void everyTopicHasAProducerAndAConsumer() {
        Topics.ALL.forEach(t -> {
            assertThat(t.producers()).as("producers of " + t.name()).isNotEmpty();
            assertThat(t.consumers()).as("consumers of " + t.name()).isNotEmpty();
            assertThat(t.partitions()).isPositive();
        });
    }

    @Test
    void compactedTopicsKeepTheirLatestValueForeverAndPersonalDataExpiresQuickly() {
        assertThat(Topics.spec(Topics.PUBLISHERS).cleanup()).isEqualTo(Cleanup.COMPACT);
        assertThat(Topics.spec(Topics.SUBSCRIBERS_PLACES).cleanup()).isEqualTo(Cleanup.COMPACT);
        assertThat(Topics.spec(Topics.ALERTS_STATS).config()).containsEntry("retention.ms", "-1")
                .containsEntry("cleanup.policy", "compact");
        for (Channel channel : Channel.values()) {
            for (String topic : java.util.List.of(channel.jobsTopic(), channel.urgentJobsTopic())) {
                var jobs = Topics.spec(topic);
                assertThat(jobs.retention()).hasValueSatisfying(d -> assertThat(d.toHours()).isLessThanOrEqualTo(24));
                assertThat(jobs.consumers()).containsExactly(Party.NOTIFICATION_SENDER);
            }
        }
    }

    @Test
    void partiesSeeTheirTopics() {
        assertThat(Topics.producedBy(Party.ALERT_INTAKE)).contains(Topics.ALERTS_EVENTS, Topics.PUBLISHERS);
        assertThat(Topics.consumedBy(Party.GEO_MATCHER)).contains(Topics.ALERTS_EVENTS, Topics.SUBSCRIBERS_PLACES);
    }
}
