package org.allerta.service.geometry;

import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.LineString;
import org.locationtech.jts.geom.Polygon;

/**
 * Area of a longitude/latitude polygon on the WGS 84 sphere (radius 6,378,137 m), by the formula of Chamberlain and
 * Duquette, "Some Algorithms for Polygons on a Sphere" (JPL, 2007). Accurate to well under 1% for outage-sized areas,
 * which is what area limits need.
 */
public final class SphericalArea {

    private static final double RADIUS_M = 6_378_137.0;

    private SphericalArea() {
    }

    /** The area in km² of a Polygon or MultiPolygon (holes subtracted). */
    public static double km2(Geometry geometry) {
        double m2 = 0;
        for (int i = 0; i < geometry.getNumGeometries(); i++) {
            if (geometry.getGeometryN(i) instanceof Polygon polygon) {
                m2 += Math.abs(ring(polygon.getExteriorRing()));
                for (int h = 0; h < polygon.getNumInteriorRing(); h++) {
                    m2 -= Math.abs(ring(polygon.getInteriorRingN(h)));
                }
            }
        }
        return m2 / 1_000_000.0;
    }

    private static double ring(LineString ring) {
        Coordinate[] c = ring.getCoordinates();
        int n = c.length;
        if (n < 4) {
            return 0;
        }
        double total = 0;
        for (int i = 0; i < n - 1; i++) {
            Coordinate p1 = c[i];
            Coordinate p2 = c[(i + 1) % (n - 1)];
            Coordinate p3 = c[(i + 2) % (n - 1)];
            total += (Math.toRadians(p3.x) - Math.toRadians(p1.x)) * Math.sin(Math.toRadians(p2.y));
        }
        return total * RADIUS_M * RADIUS_M / 2.0;
    }
}
