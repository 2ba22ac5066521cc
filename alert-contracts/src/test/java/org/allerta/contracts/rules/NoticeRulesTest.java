package org.allerta.contracts.rules;

import static org.allerta.contracts.rules.NoticeRules.Action.DROP_HELD;
import static org.allerta.contracts.rules.NoticeRules.Action.HOLD;
import static org.allerta.contracts.rules.NoticeRules.Action.NONE;
import static org.allerta.contracts.rules.NoticeRules.Action.SEND;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.allerta.contracts.Change;
import org.allerta.contracts.Samples;
import org.allerta.contracts.rules.NoticeRules.Action;
import org.allerta.contracts.rules.NoticeRules.Decision;
import org.allerta.contracts.rules.NoticeRules.Told;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NoticeRulesTest {

    /** The whole table: told state × change × quiet hours → action and next state. */
    @ParameterizedTest(name = "{0} + {1} (quiet={2}) -> {3}, {4}")
    @CsvSource({
            // AFFECTED: once while inside, again after leaving
            "NOTHING,            AFFECTED,           false, SEND,      AFFECTED",
            "NOTHING,            AFFECTED,           true,  HOLD,      AFFECTED_HELD",
            "AFFECTED_HELD,      AFFECTED,           false, NONE,      AFFECTED_HELD",
            "AFFECTED_HELD,      AFFECTED,           true,  NONE,      AFFECTED_HELD",
            "AFFECTED,           AFFECTED,           false, NONE,      AFFECTED",
            "AFFECTED,           AFFECTED,           true,  NONE,      AFFECTED",
            "NO_LONGER_AFFECTED, AFFECTED,           false, SEND,      AFFECTED",
            "NO_LONGER_AFFECTED, AFFECTED,           true,  HOLD,      AFFECTED_HELD",
            "RESOLVED,           AFFECTED,           false, SEND,      AFFECTED",
            "RESOLVED,           AFFECTED,           true,  HOLD,      AFFECTED_HELD",
            // UPDATED: only to those currently told
            "NOTHING,            UPDATED,            false, NONE,      NOTHING",
            "NOTHING,            UPDATED,            true,  NONE,      NOTHING",
            "AFFECTED_HELD,      UPDATED,            false, NONE,      AFFECTED_HELD",
            "AFFECTED_HELD,      UPDATED,            true,  NONE,      AFFECTED_HELD",
            "AFFECTED,           UPDATED,            false, SEND,      AFFECTED",
            "AFFECTED,           UPDATED,            true,  HOLD,      AFFECTED",
            "NO_LONGER_AFFECTED, UPDATED,            false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, UPDATED,            true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           UPDATED,            false, NONE,      RESOLVED",
            "RESOLVED,           UPDATED,            true,  NONE,      RESOLVED",
            // NO_LONGER_AFFECTED: only to those told; a held AFFECTED is dropped
            "NOTHING,            NO_LONGER_AFFECTED, false, NONE,      NOTHING",
            "NOTHING,            NO_LONGER_AFFECTED, true,  NONE,      NOTHING",
            "AFFECTED_HELD,      NO_LONGER_AFFECTED, false, DROP_HELD, NOTHING",
            "AFFECTED_HELD,      NO_LONGER_AFFECTED, true,  DROP_HELD, NOTHING",
            "AFFECTED,           NO_LONGER_AFFECTED, false, SEND,      NO_LONGER_AFFECTED",
            "AFFECTED,           NO_LONGER_AFFECTED, true,  HOLD,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, NO_LONGER_AFFECTED, false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, NO_LONGER_AFFECTED, true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           NO_LONGER_AFFECTED, false, NONE,      RESOLVED",
            "RESOLVED,           NO_LONGER_AFFECTED, true,  NONE,      RESOLVED",
            // RESOLVED: exactly to those told AFFECTED and not since NO_LONGER_AFFECTED
            "NOTHING,            RESOLVED,           false, NONE,      NOTHING",
            "NOTHING,            RESOLVED,           true,  NONE,      NOTHING",
            "AFFECTED_HELD,      RESOLVED,           false, DROP_HELD, NOTHING",
            "AFFECTED_HELD,      RESOLVED,           true,  DROP_HELD, NOTHING",
            "AFFECTED,           RESOLVED,           false, SEND,      RESOLVED",
            "AFFECTED,           RESOLVED,           true,  HOLD,      RESOLVED",
            "NO_LONGER_AFFECTED, RESOLVED,           false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, RESOLVED,           true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           RESOLVED,           false, NONE,      RESOLVED",
            "RESOLVED,           RESOLVED,           true,  NONE,      RESOLVED",
    })
    void decidesEveryRowOfTheTable(Told told, Change change, boolean quiet, Action action, Told next) {
        assertThat(NoticeRules.decide(told, change, quiet)).isEqualTo(new Decision(action, next));
    }

    @Test
    void neverTellsAffectedToSomeoneCurrentlyTold() {
        for (boolean quiet : new boolean[] {false, true}) {
            assertThat(NoticeRules.decide(Told.AFFECTED, Change.AFFECTED, quiet).action()).isEqualTo(NONE);
        }
    }

    @Test
    void resolvedReachesOnlyThoseToldAffected() {
        for (Told told : Told.values()) {
            Action action = NoticeRules.decide(told, Change.RESOLVED, false).action();
            assertThat(action == SEND).as(told.toString()).isEqualTo(told == Told.AFFECTED);
        }
    }

    @Test
    void releasingAHeldAffectedMakesThePersonTold() {
        assertThat(NoticeRules.released(Told.AFFECTED_HELD)).isEqualTo(Told.AFFECTED);
        for (Told other : EnumSet.complementOf(EnumSet.of(Told.AFFECTED_HELD))) {
            assertThat(NoticeRules.released(other)).isEqualTo(other);
        }
    }

    @Test
    void aHeldUpdateIsSupersededByAnyLaterChangeButAffected() {
        assertThat(NoticeRules.supersedes(Change.UPDATED, Change.UPDATED)).isTrue();
        assertThat(NoticeRules.supersedes(Change.RESOLVED, Change.UPDATED)).isTrue();
        assertThat(NoticeRules.supersedes(Change.NO_LONGER_AFFECTED, Change.UPDATED)).isTrue();
        assertThat(NoticeRules.supersedes(Change.AFFECTED, Change.UPDATED)).isFalse();
        assertThat(NoticeRules.supersedes(Change.RESOLVED, Change.NO_LONGER_AFFECTED)).isFalse();
    }

    @Test
    void testEventsNeverReachCitizens() {
        assertThat(NoticeRules.reachesCitizens(Samples.anOutage().test(true).build())).isFalse();
        assertThat(NoticeRules.reachesCitizens(Samples.anOutage().build())).isTrue();
    }
}
