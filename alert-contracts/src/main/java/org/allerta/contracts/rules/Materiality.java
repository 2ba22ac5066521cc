package org.allerta.contracts.rules;

import java.util.Objects;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.ZoneStatus;

/**
 * Rule 5: which revisions are worth an {@code UPDATED} notice to those currently told. Material: the expected
 * restoration changed, the severity changed, the headline or description changed, a zone's clearing status changed,
 * or the urgency changed so that the event became an emergency that quiet hours do not hold (SEVERE with urgency
 * IMMEDIATE, rule 7), or stopped being one. Not material: a repeat, or only the area changed (growth and shrink are
 * told through AFFECTED and NO_LONGER_AFFECTED instead).
 *
 * <p>The urgency is Allerta's addition to the starting design's list (architecture.md, "rules"): without it, a
 * SEVERE alert whose publisher raised only its urgency to IMMEDIATE sent no UPDATED, so a notice of it held for
 * someone's quiet hours kept waiting for the morning while the neighbours the same revision newly covered were
 * woken at once.
 */
public final class Materiality {

    private Materiality() {
    }

    /** True when {@code next} tells people something that {@code previous} did not. */
    public static boolean isMaterial(AlertEvent previous, AlertEvent next) {
        Objects.requireNonNull(next, "next");
        if (previous == null) {
            return true;
        }
        return !Objects.equals(previous.expectedRestorationAt(), next.expectedRestorationAt())
                || previous.severity() != next.severity()
                || !previous.headline().equals(next.headline())
                || !previous.description().equals(next.description())
                || zoneStatus(previous) != zoneStatus(next)
                || QuietHoursPolicy.bypasses(previous.severity(), previous.urgency())
                        != QuietHoursPolicy.bypasses(next.severity(), next.urgency());
    }

    private static ZoneStatus zoneStatus(AlertEvent event) {
        return event.zone() == null ? null : event.zone().status();
    }
}
