package org.allerta.contracts;

/** Clearing status of a snow-clearing zone, as posted by the crews. */
public enum ZoneStatus {
    NOT_STARTED,
    IN_PROGRESS,
    CLEARED
}
