package org.allerta.contracts;

/** Why a notification job exists. */
public enum JobPurpose {
    /** A notice about an event. */
    NOTICE,
    /** A one-time code confirming a channel (double opt-in). */
    VERIFICATION
}
