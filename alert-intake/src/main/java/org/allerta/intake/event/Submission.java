package org.allerta.intake.event;

import java.util.List;
import org.allerta.contracts.EventStatus;

/**
 * What happened to an input.
 *
 * @param eventId        the event
 * @param revision       its current revision
 * @param status         its current status
 * @param outcome        CREATED (revision 1), REVISED (n+1), UNCHANGED (an identical repeat), FOLDED (a late CAP
 *                       original folded into its event's history)
 * @param normalisations what was harmlessly fixed on the way in
 */
public record Submission(String eventId, long revision, EventStatus status, Outcome outcome,
                         List<String> normalisations) {

    public enum Outcome { CREATED, REVISED, UNCHANGED, FOLDED }

    /** True when a new revision was stored (and will be emitted). */
    public boolean emitted() {
        return outcome == Outcome.CREATED || outcome == Outcome.REVISED;
    }
}
