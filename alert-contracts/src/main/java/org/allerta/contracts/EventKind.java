package org.allerta.contracts;

/** What an event is about. A subscriber follows a set of kinds ("what do you want"). */
public enum EventKind {
    POWER_OUTAGE,
    WATER_OUTAGE,
    GAS_OUTAGE,
    ROAD_CLEARING,
    SCHOOL_CLOSURE,
    TRANSPORT_DISRUPTION,
    CIVIL_PROTECTION
}
