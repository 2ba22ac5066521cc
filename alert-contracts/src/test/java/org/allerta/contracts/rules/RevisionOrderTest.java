package org.allerta.contracts.rules;

import static org.allerta.contracts.Samples.T0;
import static org.allerta.contracts.Samples.anOutage;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RevisionOrderTest {

    @Test
    void aLaterSentAtIsNewerWhateverTheRevisionNumber() {
        var early = anOutage().revision(5).sentAt(T0).build();
        var late = anOutage().revision(4).sentAt(T0.plusSeconds(60)).build();
        assertThat(RevisionOrder.isNewer(late, early)).isTrue();
        assertThat(RevisionOrder.isNewer(early, late)).isFalse();
    }

    @Test
    void withoutSentAtTheRevisionNumberDecides() {
        var two = anOutage().revision(2).sentAt(null).build();
        var three = anOutage().revision(3).sentAt(null).build();
        assertThat(RevisionOrder.isNewer(three, two)).isTrue();
        assertThat(RevisionOrder.isNewer(two, three)).isFalse();
        assertThat(RevisionOrder.isNewer(two, two)).isFalse();
        assertThat(RevisionOrder.isNewer(two, null)).isTrue();
    }

    @Test
    void anOlderSentAtIsStale() {
        assertThat(RevisionOrder.isStale(T0, T0.plusSeconds(1))).isTrue();
        assertThat(RevisionOrder.isStale(T0.plusSeconds(1), T0)).isFalse();
        assertThat(RevisionOrder.isStale(T0, T0)).isFalse();
        assertThat(RevisionOrder.isStale(null, T0)).isFalse();
    }
}
