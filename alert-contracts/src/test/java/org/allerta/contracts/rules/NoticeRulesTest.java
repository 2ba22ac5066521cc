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
            // ... and a held end is withdrawn: what the person last heard is true again
            "NO_LONGER_AFFECTED_HELD, AFFECTED,      false, DROP_HELD, AFFECTED",
            "NO_LONGER_AFFECTED_HELD, AFFECTED,      true,  DROP_HELD, AFFECTED",
            "RESOLVED_HELD,      AFFECTED,           false, DROP_HELD, AFFECTED",
            "RESOLVED_HELD,      AFFECTED,           true,  DROP_HELD, AFFECTED",
            // UPDATED: only to those currently told
            "NOTHING,            UPDATED,            false, NONE,      NOTHING",
            "NOTHING,            UPDATED,            true,  NONE,      NOTHING",
            // a held AFFECTED is renewed by an update, or sent at once when the update does not wait
            "AFFECTED_HELD,      UPDATED,            false, SEND_HELD, AFFECTED",
            "AFFECTED_HELD,      UPDATED,            true,  RENEW_HELD, AFFECTED_HELD",
            "AFFECTED,           UPDATED,            false, SEND,      AFFECTED",
            "AFFECTED,           UPDATED,            true,  HOLD,      AFFECTED",
            "NO_LONGER_AFFECTED, UPDATED,            false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, UPDATED,            true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           UPDATED,            false, NONE,      RESOLVED",
            "RESOLVED,           UPDATED,            true,  NONE,      RESOLVED",
            "NO_LONGER_AFFECTED_HELD, UPDATED,       false, NONE,      NO_LONGER_AFFECTED_HELD",
            "NO_LONGER_AFFECTED_HELD, UPDATED,       true,  NONE,      NO_LONGER_AFFECTED_HELD",
            "RESOLVED_HELD,      UPDATED,            false, NONE,      RESOLVED_HELD",
            "RESOLVED_HELD,      UPDATED,            true,  NONE,      RESOLVED_HELD",
            // NO_LONGER_AFFECTED: only to those told; a held AFFECTED is dropped
            "NOTHING,            NO_LONGER_AFFECTED, false, NONE,      NOTHING",
            "NOTHING,            NO_LONGER_AFFECTED, true,  NONE,      NOTHING",
            "AFFECTED_HELD,      NO_LONGER_AFFECTED, false, DROP_HELD, NOTHING",
            "AFFECTED_HELD,      NO_LONGER_AFFECTED, true,  DROP_HELD, NOTHING",
            "AFFECTED,           NO_LONGER_AFFECTED, false, SEND,      NO_LONGER_AFFECTED",
            "AFFECTED,           NO_LONGER_AFFECTED, true,  HOLD,      NO_LONGER_AFFECTED_HELD",
            "NO_LONGER_AFFECTED, NO_LONGER_AFFECTED, false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, NO_LONGER_AFFECTED, true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           NO_LONGER_AFFECTED, false, NONE,      RESOLVED",
            "RESOLVED,           NO_LONGER_AFFECTED, true,  NONE,      RESOLVED",
            "NO_LONGER_AFFECTED_HELD, NO_LONGER_AFFECTED, false, NONE, NO_LONGER_AFFECTED_HELD",
            "NO_LONGER_AFFECTED_HELD, NO_LONGER_AFFECTED, true,  NONE, NO_LONGER_AFFECTED_HELD",
            "RESOLVED_HELD,      NO_LONGER_AFFECTED, false, NONE,      RESOLVED_HELD",
            "RESOLVED_HELD,      NO_LONGER_AFFECTED, true,  NONE,      RESOLVED_HELD",
            // RESOLVED: exactly to those told AFFECTED and not since NO_LONGER_AFFECTED
            "NOTHING,            RESOLVED,           false, NONE,      NOTHING",
            "NOTHING,            RESOLVED,           true,  NONE,      NOTHING",
            "AFFECTED_HELD,      RESOLVED,           false, DROP_HELD, NOTHING",
            "AFFECTED_HELD,      RESOLVED,           true,  DROP_HELD, NOTHING",
            "AFFECTED,           RESOLVED,           false, SEND,      RESOLVED",
            "AFFECTED,           RESOLVED,           true,  HOLD,      RESOLVED_HELD",
            "NO_LONGER_AFFECTED, RESOLVED,           false, NONE,      NO_LONGER_AFFECTED",
            "NO_LONGER_AFFECTED, RESOLVED,           true,  NONE,      NO_LONGER_AFFECTED",
            "RESOLVED,           RESOLVED,           false, NONE,      RESOLVED",
            "RESOLVED,           RESOLVED,           true,  NONE,      RESOLVED",
            // a held NO_LONGER_AFFECTED still goes out: the person is not affected, and it is over
            "NO_LONGER_AFFECTED_HELD, RESOLVED,      false, NONE,      NO_LONGER_AFFECTED_HELD",
            "NO_LONGER_AFFECTED_HELD, RESOLVED,      true,  NONE,      NO_LONGER_AFFECTED_HELD",
            "RESOLVED_HELD,      RESOLVED,           false, NONE,      RESOLVED_HELD",
            "RESOLVED_HELD,      RESOLVED,           true,  NONE,      RESOLVED_HELD",
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
    void releasingAHeldNoticeMakesThePersonTold() {
        assertThat(NoticeRules.released(Told.AFFECTED_HELD)).isEqualTo(Told.AFFECTED);
        assertThat(NoticeRules.released(Told.NO_LONGER_AFFECTED_HELD)).isEqualTo(Told.NO_LONGER_AFFECTED);
        assertThat(NoticeRules.released(Told.RESOLVED_HELD)).isEqualTo(Told.RESOLVED);
        for (Told other : EnumSet.complementOf(EnumSet.of(Told.AFFECTED_HELD, Told.NO_LONGER_AFFECTED_HELD,
                Told.RESOLVED_HELD))) {
            assertThat(NoticeRules.released(other)).isEqualTo(other);
        }
    }

    /**
     * Whatever the sequence of changes and quiet hours, at most one notice waits per person and event, and the person
     * is told RESOLVED or NO_LONGER_AFFECTED last exactly when they were told AFFECTED and are no longer inside: the
     * rules played on every sequence of up to six changes against a model of what was sent, what waits and what is
     * released (one release at any point).
     */
    @Test
    void everySequenceEndsWithWhatIsTrueAndHoldsOneNoticeAtMost() {
        Change[] changes = Change.values();
        int n = 6;
        int combos = 1;
        for (int i = 0; i < n; i++) {
            combos *= changes.length * 2;
        }
        for (int code = 0; code < combos; code++) {
            Told told = Told.NOTHING;
            Change held = null;        // the one notice waiting, if any
            Change lastSent = null;    // what the person heard last
            boolean inside = false;    // the matcher's view after the changes so far
            boolean over = false;
            int c = code;
            var steps = new StringBuilder();
            for (int i = 0; i < n && !over; i++) {
                Change change = changes[c % changes.length];
                c /= changes.length;
                boolean quiet = c % 2 == 1;
                c /= 2;
                // the matcher only sends changes that make sense for its own view
                boolean valid = switch (change) {
                    case AFFECTED -> !inside;
                    case UPDATED, NO_LONGER_AFFECTED -> inside;
                    case RESOLVED -> inside;
                };
                if (!valid) {
                    continue;
                }
                steps.append(change).append(quiet ? "(quiet) " : " ");
                Decision d = NoticeRules.decide(told, change, quiet);
                switch (d.action()) {
                    case SEND -> {
                        lastSent = change;
                        held = held == Change.UPDATED && NoticeRules.supersedes(change, held) ? null : held;
                    }
                    case HOLD -> {
                        assertThat(held == null || held == change || NoticeRules.supersedes(change, held))
                                .as(steps + ": a second notice held beside " + held).isTrue();
                        held = change;
                    }
                    case DROP_HELD -> held = null;
                    case RENEW_HELD -> assertThat(held).as(steps.toString()).isEqualTo(Change.AFFECTED);
                    case SEND_HELD -> {
                        assertThat(held).as(steps.toString()).isEqualTo(Change.AFFECTED);
                        held = null;
                        lastSent = Change.AFFECTED;
                    }
                    case NONE -> {
                    }
                }
                told = d.next();
                inside = change == Change.AFFECTED || change == Change.UPDATED;
                over = change == Change.RESOLVED;
            }
            if (held != null) {                       // the quiet hours end
                lastSent = held;
                told = NoticeRules.released(told);
            }
            String story = steps.toString();
            boolean everTold = lastSent != null;
            if (inside) {
                assertThat(lastSent == null || lastSent == Change.AFFECTED || lastSent == Change.UPDATED)
                        .as(story + ": still inside, but last heard " + lastSent).isTrue();
            } else if (everTold) {
                assertThat(lastSent == Change.NO_LONGER_AFFECTED || lastSent == Change.RESOLVED)
                        .as(story + ": outside or over, but last heard " + lastSent).isTrue();
            }
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
