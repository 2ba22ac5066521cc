package org.allerta.intake.event;

import java.util.List;
import org.allerta.contracts.EventStatus;

/**
 * What happened to an input.
 *
 * @param eventId        the event; none for AWAITING_ORIGINAL
 * @param revision       its current revision (0: none yet)
 * @param status         its current status (CANCELLED for AWAITING_ORIGINAL: what the alert will be when it comes)
 * @param outcome        CREATED (revision 1), REVISED (n+1), UNCHANGED (an identical repeat), FOLDED (a late CAP
 *                       original folded into its event's history), AWAITING_ORIGINAL (a CAP Cancel of an alert not
 *                       received yet, kept: that alert starts cancelled when it arrives)
 * @param normalisations what was harmlessly fixed on the way in
 */
public record Submission(String eventId, long revision, EventStatus status, Outcome outcome,
                         List<String> normalisations) {

    public enum Outcome { CREATED, REVISED, UNCHANGED, FOLDED, AWAITING_ORIGINAL }

    /** True when a new revision was stored (and will be emitted). */
    public boolean emitted() {
        return outcome == Outcome.CREATED || outcome == Outcome.REVISED;
    }
}
