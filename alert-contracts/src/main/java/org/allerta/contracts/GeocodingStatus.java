package org.allerta.contracts;

/** Outcome of geocoding one place. */
public enum GeocodingStatus {
    /** Given as coordinates by the subscriber: nothing to geocode. */
    POINT_GIVEN,
    /** Matched to a house number of the gazetteer (exactly or fuzzily, see the confidence). */
    RESOLVED,
    /** Only the street was found; the place is at the street's centroid. */
    STREET_CENTROID,
    /** Not found: the place cannot be matched and the citizen should be told. */
    UNRESOLVED;

    /** True when the place has a point and takes part in matching. */
    public boolean located() {
        return this != UNRESOLVED;
    }
}
