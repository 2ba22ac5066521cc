package org.allerta.contracts;

import java.time.Instant;
import java.util.Objects;

/**
 * The geocoding outcome of one place, on {@code places.geocoded} (key = subscriber id), so that the city's app can
 * tell a citizen that an address was not found.
 *
 * @param subscriberId   whose place
 * @param placeId        which place
 * @param status         outcome
 * @param point          the point used for matching, null when UNRESOLVED
 * @param matchedAddress the gazetteer address matched ("Via Dazio 90/H, 15121 Alessandria"), if any
 * @param confidence     0..1; 1 for an exact match or a given point
 * @param reason         why it is unresolved or approximate, machine-readable ("NO_SUCH_STREET", "NO_SUCH_NUMBER"...)
 * @param at             when it was geocoded
 */
public record PlaceGeocoded(
        String subscriberId,
        String placeId,
        GeocodingStatus status,
        LonLat point,
        String matchedAddress,
        double confidence,
        String reason,
        Instant at) {

    public PlaceGeocoded {
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(placeId, "placeId");
        Objects.requireNonNull(status, "status");
        if (confidence < 0 || confidence > 1) {
            throw new IllegalArgumentException("confidence must be within 0..1");
        }
    }
}
