package org.allerta.matcher.geocoding;

import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.LonLat;

/**
 * The outcome of geocoding one address.
 *
 * @param status         RESOLVED (a house number), STREET_CENTROID (only the street was found) or UNRESOLVED
 * @param point          EPSG:4326, null when unresolved
 * @param matchedAddress the register's address that was matched ("Via Dazio 90/H, 15122 Alessandria")
 * @param confidence     1 for an exact match; less for a fuzzy street name or a street centroid; 0 when unresolved
 * @param reason         why it is approximate or unresolved: NO_STREET_GIVEN, NO_NUMBER_GIVEN, NO_SUCH_NUMBER,
 *                       NO_SUCH_STREET; null for a resolved house number
 */
public record Geocoded(GeocodingStatus status, LonLat point, String matchedAddress, double confidence,
                       String reason) {
}
