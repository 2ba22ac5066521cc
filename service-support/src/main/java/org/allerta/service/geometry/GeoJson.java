package org.allerta.service.geometry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.LineString;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;

/** Writes JTS polygons as GeoJSON (RFC 7946): longitude first, coordinates as validated. */
public final class GeoJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeoJson() {
    }

    /** A Polygon or MultiPolygon as a GeoJSON geometry object. */
    public static ObjectNode write(Geometry geometry) {
        ObjectNode node = NODES.objectNode();
        if (geometry instanceof Polygon polygon) {
            node.put("type", "Polygon");
            node.set("coordinates", polygon(polygon));
        } else if (geometry instanceof MultiPolygon multi) {
            node.put("type", "MultiPolygon");
            ArrayNode polygons = node.putArray("coordinates");
            for (int i = 0; i < multi.getNumGeometries(); i++) {
                polygons.add(polygon((Polygon) multi.getGeometryN(i)));
            }
        } else {
            throw new IllegalArgumentException("not a polygonal geometry: " + geometry.getGeometryType());
        }
        return node;
    }

    private static ArrayNode polygon(Polygon polygon) {
        ArrayNode rings = NODES.arrayNode();
        rings.add(ring(polygon.getExteriorRing()));
        for (int h = 0; h < polygon.getNumInteriorRing(); h++) {
            rings.add(ring(polygon.getInteriorRingN(h)));
        }
        return rings;
    }

    private static ArrayNode ring(LineString ring) {
        ArrayNode positions = NODES.arrayNode();
        for (Coordinate c : ring.getCoordinates()) {
            positions.addArray().add(c.x).add(c.y);
        }
        return positions;
    }

    /** True when {@code node} is a GeoJSON geometry the validator may read. */
    public static boolean looksLikeGeometry(JsonNode node) {
        return node != null && node.isObject() && node.has("type");
    }
}
