package org.allerta.contracts;

/** Phase of the matching of one event revision. */
public enum ProgressPhase {
    STARTED,
    FINISHED
}
