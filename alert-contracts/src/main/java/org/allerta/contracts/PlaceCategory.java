package org.allerta.contracts;

/** Why a place matters to its subscriber. */
public enum PlaceCategory {
    HOME,
    WORK,
    SCHOOL,
    OTHER
}
