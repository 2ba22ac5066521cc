package org.allerta.contracts.rules;

import java.util.Objects;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.ZoneStatus;

/**
 * Rule 5: which revisions are worth an {@code UPDATED} notice to those currently told. Material: the expected
 * restoration changed, the severity changed, the headline or description changed, a zone's clearing status changed.
 * Not material: a repeat, or only the area changed (growth and shrink are told through AFFECTED and
 * NO_LONGER_AFFECTED instead).
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
                || zoneStatus(previous) != zoneStatus(next);
    }

    private static ZoneStatus zoneStatus(AlertEvent event) {
        return event.zone() == null ? null : event.zone().status();
    }
}
