package org.allerta.contracts;

/** Lifecycle status of an event revision. {@code RESOLVED} and {@code CANCELLED} end the event. */
public enum EventStatus {
    ACTIVE,
    RESOLVED,
    CANCELLED;

    /** True when the event is over: nobody is affected any more. */
    public boolean ended() {
        return this != ACTIVE;
    }
}
