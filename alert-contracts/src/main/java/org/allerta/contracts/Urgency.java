package org.allerta.contracts;

/** Urgency, with CAP 1.2's values. */
public enum Urgency {
    IMMEDIATE,
    EXPECTED,
    FUTURE,
    PAST,
    UNKNOWN
}
