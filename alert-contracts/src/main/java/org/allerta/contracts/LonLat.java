package org.allerta.contracts;

/**
 * A point in EPSG:4326, longitude first as in GeoJSON.
 *
 * @param lon longitude in degrees, -180..180
 * @param lat latitude in degrees, -90..90
 */
public record LonLat(double lon, double lat) {
    public LonLat {
        if (!Double.isFinite(lon) || lon < -180 || lon > 180) {
            throw new IllegalArgumentException("longitude out of range: " + lon);
        }
        if (!Double.isFinite(lat) || lat < -90 || lat > 90) {
            throw new IllegalArgumentException("latitude out of range: " + lat);
        }
    }
}
