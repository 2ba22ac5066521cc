package org.allerta.service.geometry;

import java.util.List;
import org.locationtech.jts.geom.Geometry;

/**
 * A validated event area: a valid JTS Polygon or MultiPolygon in EPSG:4326 (x = longitude, y = latitude), outer rings
 * counter-clockwise and holes clockwise as RFC 7946 asks, with its geodesic area.
 *
 * @param geometry       the area
 * @param areaKm2        its area on the WGS 84 sphere, in km²
 * @param normalisations what was harmlessly fixed on the way in (reversed rings...), for the publisher's information
 */
public record OutageArea(Geometry geometry, double areaKm2, List<String> normalisations) {
    public OutageArea {
        normalisations = List.copyOf(normalisations);
    }
}
