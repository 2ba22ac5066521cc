package org.allerta.contracts;

/** Severity, with CAP 1.2's values. */
public enum Severity {
    EXTREME,
    SEVERE,
    MODERATE,
    MINOR
}
