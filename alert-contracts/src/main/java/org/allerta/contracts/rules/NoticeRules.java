package org.allerta.contracts.rules;

import java.util.Objects;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;

/**
 * Rules 3, 4, 6 and 7 as the dispatcher's ledger applies them to one subscriber and one event: what the person has
 * been told so far ({@link Told}), a change arriving from the matcher, and whether quiet hours hold it, give the
 * action and the new ledger state.
 *
 * <ul>
 *   <li>AFFECTED is told once while the person is inside: never to someone currently told (or with a held AFFECTED);
 *       again after NO_LONGER_AFFECTED (a new notice, with a new job id).</li>
 *   <li>UPDATED only to those currently told AFFECTED.</li>
 *   <li>NO_LONGER_AFFECTED and RESOLVED only to those currently told AFFECTED. If the AFFECTED notice is still held
 *       for quiet hours, it is dropped and nothing is sent: the person was never told.</li>
 *   <li>A held notice always says what is true when it goes out, and at most one waits per person and event: an
 *       update of a held AFFECTED renews it (it will be rendered from the newer revision), or sends it at once when
 *       the update does not wait for quiet hours (an escalation to an emergency); a held NO_LONGER_AFFECTED or
 *       RESOLVED is withdrawn when the person is AFFECTED again, since what they last heard (AFFECTED) is true
 *       again (if the event changed materially since their last notice, the dispatcher tells them that UPDATED:
 *       it keeps which revision they last heard).</li>
 * </ul>
 */
public final class NoticeRules {

    /** What a subscriber has been told about one event. */
    public enum Told {
        /** Nothing yet (or a held AFFECTED that was dropped). */
        NOTHING,
        /** An AFFECTED notice is waiting for the end of the quiet hours. */
        AFFECTED_HELD,
        /** Told AFFECTED (and maybe UPDATED since). */
        AFFECTED,
        /** Told NO_LONGER_AFFECTED after AFFECTED. */
        NO_LONGER_AFFECTED,
        /** Told RESOLVED after AFFECTED. */
        RESOLVED,
        /** Told AFFECTED; a NO_LONGER_AFFECTED notice is waiting for the end of the quiet hours. */
        NO_LONGER_AFFECTED_HELD,
        /** Told AFFECTED; a RESOLVED notice is waiting for the end of the quiet hours. */
        RESOLVED_HELD
    }

    /** What to do with a change. */
    public enum Action {
        /** Emit the notice now. */
        SEND,
        /** Keep the notice until the quiet hours end. */
        HOLD,
        /** Drop the held notice of this subscriber and event; send nothing. */
        DROP_HELD,
        /** The held AFFECTED notice now names this change's revision (and places); it keeps waiting. */
        RENEW_HELD,
        /** Send the held AFFECTED notice now, rendered from this change's revision, and drop it from the held. */
        SEND_HELD,
        /** Nothing to tell. */
        NONE
    }

    /**
     * A decision.
     *
     * @param action what to do
     * @param next   the ledger state afterwards
     */
    public record Decision(Action action, Told next) {
    }

    private NoticeRules() {
    }

    /**
     * Decides what one change means for one subscriber.
     *
     * @param told  what the subscriber has been told about the event
     * @param change the change from the matcher
     * @param quiet true when the subscriber is in quiet hours and the event does not bypass them
     */
    public static Decision decide(Told told, Change change, boolean quiet) {
        Objects.requireNonNull(told, "told");
        Objects.requireNonNull(change, "change");
        Action deliver = quiet ? Action.HOLD : Action.SEND;
        return switch (change) {
            case AFFECTED -> switch (told) {
                case AFFECTED, AFFECTED_HELD -> new Decision(Action.NONE, told);
                case NOTHING, NO_LONGER_AFFECTED, RESOLVED ->
                        new Decision(deliver, quiet ? Told.AFFECTED_HELD : Told.AFFECTED);
                case NO_LONGER_AFFECTED_HELD, RESOLVED_HELD -> new Decision(Action.DROP_HELD, Told.AFFECTED);
            };
            case UPDATED -> switch (told) {
                case AFFECTED -> new Decision(deliver, Told.AFFECTED);
                case AFFECTED_HELD -> quiet
                        ? new Decision(Action.RENEW_HELD, Told.AFFECTED_HELD)
                        : new Decision(Action.SEND_HELD, Told.AFFECTED);
                case NOTHING, NO_LONGER_AFFECTED, RESOLVED, NO_LONGER_AFFECTED_HELD, RESOLVED_HELD ->
                        new Decision(Action.NONE, told);
            };
            case NO_LONGER_AFFECTED -> switch (told) {
                case AFFECTED -> new Decision(deliver, quiet ? Told.NO_LONGER_AFFECTED_HELD : Told.NO_LONGER_AFFECTED);
                case AFFECTED_HELD -> new Decision(Action.DROP_HELD, Told.NOTHING);
                case NOTHING, NO_LONGER_AFFECTED, RESOLVED, NO_LONGER_AFFECTED_HELD, RESOLVED_HELD ->
                        new Decision(Action.NONE, told);
            };
            case RESOLVED -> switch (told) {
                case AFFECTED -> new Decision(deliver, quiet ? Told.RESOLVED_HELD : Told.RESOLVED);
                case AFFECTED_HELD -> new Decision(Action.DROP_HELD, Told.NOTHING);
                case NOTHING, NO_LONGER_AFFECTED, RESOLVED, NO_LONGER_AFFECTED_HELD, RESOLVED_HELD ->
                        new Decision(Action.NONE, told);
            };
        };
    }

    /** The ledger state once the held notice is released at the end of the quiet hours. */
    public static Told released(Told told) {
        return switch (told) {
            case AFFECTED_HELD -> Told.AFFECTED;
            case NO_LONGER_AFFECTED_HELD -> Told.NO_LONGER_AFFECTED;
            case RESOLVED_HELD -> Told.RESOLVED;
            case NOTHING, AFFECTED, NO_LONGER_AFFECTED, RESOLVED -> told;
        };
    }

    /**
     * True when a held notice should not go out any more because a newer change for the same subscriber and event
     * replaces it: a held UPDATED is superseded by a later UPDATED, NO_LONGER_AFFECTED or RESOLVED.
     */
    public static boolean supersedes(Change newer, Change held) {
        return held == Change.UPDATED && newer != Change.AFFECTED;
    }

    /** Rule 7: test and exercise events never reach citizens. */
    public static boolean reachesCitizens(AlertEvent event) {
        return !event.test();
    }
}
