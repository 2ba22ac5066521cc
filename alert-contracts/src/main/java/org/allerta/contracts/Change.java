package org.allerta.contracts;

/** What a revision changed for one subscriber (see the lifecycle rules in {@code org.allerta.contracts.rules}). */
public enum Change {
    /** Newly inside the area of an active event: told once per stay inside. */
    AFFECTED,
    /** Still inside after a material revision. */
    UPDATED,
    /** Was told AFFECTED, is now outside the (shrunk) area. */
    NO_LONGER_AFFECTED,
    /** Was told AFFECTED, the event is resolved or cancelled. */
    RESOLVED
}
