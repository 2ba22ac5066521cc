package org.allerta.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.allerta.contracts.Json;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;

/** Polygons as the publishers send them: GeoJSON (lon,lat) for REST, "lat,lon lat,lon ..." for CAP. */
public final class Areas {

    private static final GeometryFactory FACTORY = new GeometryFactory();

    private Areas() {
    }

    /** A GeoJSON Polygon or MultiPolygon as a JTS geometry. */
    public static Geometry read(JsonNode geometry) {
        return switch (geometry.path("type").asText()) {
            case "Polygon" -> polygon(geometry.get("coordinates"));
            case "MultiPolygon" -> {
                Polygon[] parts = new Polygon[geometry.get("coordinates").size()];
                for (int i = 0; i < parts.length; i++) {
                    parts[i] = polygon(geometry.get("coordinates").get(i));
                }
                yield FACTORY.createMultiPolygon(parts);
            }
            default -> throw new IllegalArgumentException("not a polygon: " + geometry.path("type").asText());
        };
    }

    /** The union of two areas (for an outage that grows to the next neighbourhood). */
    public static Geometry union(Geometry a, Geometry b) {
        return a.union(b);
    }

    /** A JTS Polygon or MultiPolygon as GeoJSON. */
    public static ObjectNode write(Geometry geometry) {
        ObjectNode node = Json.mapper().createObjectNode();
        if (geometry instanceof Polygon p) {
            node.put("type", "Polygon");
            node.set("coordinates", rings(p));
        } else if (geometry instanceof MultiPolygon m) {
            node.put("type", "MultiPolygon");
            ArrayNode parts = node.putArray("coordinates");
            for (int i = 0; i < m.getNumGeometries(); i++) {
                parts.add(rings((Polygon) m.getGeometryN(i)));
            }
        } else {
            throw new IllegalArgumentException("not a polygon: " + geometry.getGeometryType());
        }
        return node;
    }

    /** The outer ring of a polygon in CAP's form: "lat,lon" pairs separated by spaces, first = last. */
    public static String capPolygon(Geometry geometry) {
        Polygon polygon = geometry instanceof Polygon p ? p : (Polygon) geometry.getGeometryN(0);
        StringBuilder text = new StringBuilder();
        for (Coordinate c : polygon.getExteriorRing().getCoordinates()) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(String.format(Locale.ROOT, "%.6f,%.6f", c.y, c.x));
        }
        return text.toString();
    }

    private static Polygon polygon(JsonNode rings) {
        LinearRing shell = ring(rings.get(0));
        LinearRing[] holes = new LinearRing[rings.size() - 1];
        for (int i = 1; i < rings.size(); i++) {
            holes[i - 1] = ring(rings.get(i));
        }
        return FACTORY.createPolygon(shell, holes);
    }

    private static LinearRing ring(JsonNode positions) {
        Coordinate[] coordinates = new Coordinate[positions.size()];
        for (int i = 0; i < coordinates.length; i++) {
            coordinates[i] = new Coordinate(positions.get(i).get(0).asDouble(), positions.get(i).get(1).asDouble());
        }
        return FACTORY.createLinearRing(coordinates);
    }

    private static ArrayNode rings(Polygon polygon) {
        ArrayNode rings = Json.mapper().createArrayNode();
        rings.add(positions(polygon.getExteriorRing().getCoordinates()));
        for (int i = 0; i < polygon.getNumInteriorRing(); i++) {
            rings.add(positions(polygon.getInteriorRingN(i).getCoordinates()));
        }
        return rings;
    }

    private static ArrayNode positions(Coordinate[] coordinates) {
        ArrayNode list = Json.mapper().createArrayNode();
        for (Coordinate c : coordinates) {
            list.addArray().add(round(c.x)).add(round(c.y));
        }
        return list;
    }

    private static double round(double degrees) {
        return Math.round(degrees * 1e6) / 1e6;
    }
}
