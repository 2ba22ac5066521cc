package org.allerta.contracts.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Severity;
import org.junit.jupiter.api.Test;

class InterestsTest {

    @Test
    void subscribersHearOnlyTheKindsTheyFollow() {
        assertThat(Interests.follows(Set.of(EventKind.POWER_OUTAGE), EventKind.POWER_OUTAGE, Severity.MINOR)).isTrue();
        assertThat(Interests.follows(Set.of(EventKind.POWER_OUTAGE), EventKind.WATER_OUTAGE, Severity.EXTREME))
                .isFalse();
    }

    @Test
    void extremeCivilProtectionReachesEveryone() {
        assertThat(Interests.follows(Set.of(), EventKind.CIVIL_PROTECTION, Severity.EXTREME)).isTrue();
        assertThat(Interests.channelServes(Set.of(EventKind.POWER_OUTAGE), EventKind.CIVIL_PROTECTION,
                Severity.EXTREME)).isTrue();
    }

    @Test
    void lesserCivilProtectionFollowsInterests() {
        assertThat(Interests.follows(Set.of(), EventKind.CIVIL_PROTECTION, Severity.SEVERE)).isFalse();
        assertThat(Interests.follows(Set.of(EventKind.CIVIL_PROTECTION), EventKind.CIVIL_PROTECTION, Severity.SEVERE))
                .isTrue();
    }

    @Test
    void aChannelWithoutKindsServesEveryInterest() {
        assertThat(Interests.channelServes(Set.of(), EventKind.ROAD_CLEARING, Severity.MINOR)).isTrue();
        assertThat(Interests.channelServes(Set.of(EventKind.POWER_OUTAGE), EventKind.ROAD_CLEARING, Severity.MINOR))
                .isFalse();
    }
}
