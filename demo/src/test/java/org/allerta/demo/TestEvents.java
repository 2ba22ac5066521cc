package org.allerta.demo;

import java.util.Locale;

/** GeoJSON the system tests publish: a rectangle of longitudes and latitudes, and a grid operator's outage over it. */
final class TestEvents {

    private TestEvents() {
    }

    /** A counter-clockwise rectangle from (west, south) to (east, north). */
    static String rectangle(double west, double south, double east, double north) {
        return String.format(Locale.ROOT, "{\"type\":\"Polygon\",\"coordinates\":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],"
                + "[%f,%f]]]}", west, south, east, south, east, north, west, north, west, south);
    }

    /** A moderate, immediate power outage over {@code geometry}. */
    static String outage(String publisherEventId, String geometry) {
        return "{\"type\":\"Feature\",\"geometry\":" + geometry + ",\"properties\":{\"publisherEventId\":\""
                + publisherEventId + "\",\"kind\":\"POWER_OUTAGE\",\"severity\":\"MODERATE\",\"urgency\":"
                + "\"IMMEDIATE\",\"headline\":{\"it\":\"Guasto\",\"en\":\"Fault\"},\"areaDescription\":\"Prova\"}}";
    }
}
