package org.allerta.service.geometry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.allerta.service.problem.Problem.Issue;
import org.locationtech.jts.algorithm.Orientation;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.geom.PrecisionModel;
import org.locationtech.jts.operation.valid.IsValidOp;
import org.locationtech.jts.operation.valid.TopologyValidationError;

/**
 * Reads a GeoJSON (RFC 7946) Polygon or MultiPolygon into JTS and checks it: closed rings of at least 4 positions,
 * finite coordinates in range, a bounded vertex count, no self-intersection (a ring touching itself at a vertex is
 * invalid too), holes inside their shell, non-empty. Clockwise outer rings (and counter-clockwise holes) are
 * normalised, not refused. Every problem found is reported with its JSON pointer; nothing throws on bad input.
 *
 * <p>Thread-safe: holds only its configuration.
 */
public final class AreaValidator {

    /** SRID of every geometry: WGS 84 longitude/latitude. */
    public static final int WGS84 = 4326;
    public static final GeometryFactory FACTORY = new GeometryFactory(new PrecisionModel(), WGS84);

    private final int maxVertices;

    public AreaValidator(int maxVertices) {
        this.maxVertices = maxVertices;
    }

    /** The most vertices an area may have. */
    public int maxVertices() {
        return maxVertices;
    }

    /** Validates {@code geometry} found at JSON pointer {@code where}; adds issues and returns null when invalid. */
    public OutageArea read(JsonNode geometry, String where, List<Issue> issues) {
        int before = issues.size();
        if (geometry == null || geometry.isNull() || geometry.isMissingNode()) {
            issues.add(Issue.of("missing-geometry", where, "A Polygon or MultiPolygon geometry is required."));
            return null;
        }
        if (!geometry.isObject()) {
            issues.add(Issue.of("invalid-geometry", where, "The geometry must be a GeoJSON object."));
            return null;
        }
        String type = geometry.path("type").asText("");
        JsonNode coordinates = geometry.get("coordinates");
        if (!type.equals("Polygon") && !type.equals("MultiPolygon")) {
            issues.add(Issue.of("unsupported-geometry-type", where + "/type",
                    "The geometry type must be Polygon or MultiPolygon, not '" + type + "'."));
            return null;
        }
        if (coordinates == null || !coordinates.isArray()) {
            issues.add(Issue.of("invalid-geometry", where + "/coordinates", "coordinates must be an array."));
            return null;
        }
        if (coordinates.isEmpty()) {
            issues.add(Issue.of("empty-geometry", where + "/coordinates", "The area is empty."));
            return null;
        }
        var counter = new int[] {0};
        List<Polygon> polygons = new ArrayList<>();
        if (type.equals("Polygon")) {
            Polygon polygon = polygon(coordinates, where + "/coordinates", issues, counter);
            if (polygon != null) {
                polygons.add(polygon);
            }
        } else {
            for (int i = 0; i < coordinates.size(); i++) {
                Polygon polygon = polygon(coordinates.get(i), where + "/coordinates/" + i, issues, counter);
                if (polygon != null) {
                    polygons.add(polygon);
                }
            }
        }
        if (counter[0] > maxVertices) {
            issues.add(Issue.of("too-many-vertices", where + "/coordinates",
                    "The area has " + counter[0] + " vertices; at most " + maxVertices + " are accepted. Simplify it."));
        }
        if (issues.size() > before) {
            return null;
        }
        return check(type.equals("Polygon") ? polygons.get(0)
                : FACTORY.createMultiPolygon(polygons.toArray(Polygon[]::new)), where, issues);
    }

    /** Checks and normalises an area built elsewhere (CAP polygons and circles). */
    public OutageArea check(Geometry geometry, String where, List<Issue> issues) {
        if (geometry.isEmpty()) {
            issues.add(Issue.of("empty-geometry", where, "The area is empty."));
            return null;
        }
        if (geometry.getNumPoints() > (long) maxVertices + geometry.getNumGeometries() * 2L) {
            issues.add(Issue.of("too-many-vertices", where, "The area has " + geometry.getNumPoints()
                    + " vertices; at most " + maxVertices + " are accepted. Simplify it."));
            return null;
        }
        if (spansHalfTheEarth(geometry)) {
            // read as drawn, it would cover the rest of the world's longitudes: RFC 7946 has no ring across the 180th
            // meridian, which is cut there into one polygon on each side
            issues.add(Issue.of("crosses-antimeridian", where, "An edge of the area spans more than 180 degrees of"
                    + " longitude, as a ring across the 180th meridian does. Send it as two polygons, one on each"
                    + " side of the meridian (a MultiPolygon)."));
            return null;
        }
        var normalisations = new ArrayList<String>();
        Geometry oriented = orient(geometry, normalisations);
        var validity = new IsValidOp(oriented);
        validity.setSelfTouchingRingFormingHoleValid(false);
        TopologyValidationError error = validity.getValidationError();
        if (error != null) {
            issues.add(topologyIssue(error, where));
            return null;
        }
        double area = SphericalArea.km2(oriented);
        if (!(area > 0)) {
            issues.add(Issue.of("empty-geometry", where, "The area has no surface."));
            return null;
        }
        oriented.setSRID(WGS84);
        return new OutageArea(oriented, area, normalisations);
    }

    /** True when an edge of a ring goes more than 180 degrees east or west. */
    private static boolean spansHalfTheEarth(Geometry geometry) {
        for (int g = 0; g < geometry.getNumGeometries(); g++) {
            if (geometry.getGeometryN(g) instanceof Polygon polygon) {
                for (int r = -1; r < polygon.getNumInteriorRing(); r++) {
                    Coordinate[] ring = (r < 0 ? polygon.getExteriorRing() : polygon.getInteriorRingN(r))
                            .getCoordinates();
                    for (int i = 1; i < ring.length; i++) {
                        if (Math.abs(ring[i].x - ring[i - 1].x) > 180) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private Polygon polygon(JsonNode rings, String where, List<Issue> issues, int[] counter) {
        if (rings == null || !rings.isArray()) {
            issues.add(Issue.of("invalid-geometry", where, "A polygon must be an array of linear rings."));
            return null;
        }
        if (rings.isEmpty()) {
            issues.add(Issue.of("empty-geometry", where, "The polygon has no ring."));
            return null;
        }
        LinearRing shell = null;
        List<LinearRing> holes = new ArrayList<>();
        for (int r = 0; r < rings.size(); r++) {
            LinearRing ring = ring(rings.get(r), where + "/" + r, issues, counter);
            if (r == 0) {
                shell = ring;
            } else if (ring != null) {
                holes.add(ring);
            }
        }
        return shell == null ? null : FACTORY.createPolygon(shell, holes.toArray(LinearRing[]::new));
    }

    private LinearRing ring(JsonNode positions, String where, List<Issue> issues, int[] counter) {
        if (positions == null || !positions.isArray()) {
            issues.add(Issue.of("invalid-geometry", where, "A linear ring must be an array of positions."));
            return null;
        }
        counter[0] += positions.size();
        if (counter[0] > maxVertices) {
            return null;
        }
        int before = issues.size();
        Coordinate[] coordinates = new Coordinate[positions.size()];
        for (int p = 0; p < positions.size(); p++) {
            coordinates[p] = position(positions.get(p), where + "/" + p, issues);
            if (issues.size() > before) {
                return null;
            }
        }
        if (issues.size() > before) {
            return null;
        }
        if (coordinates.length < 4) {
            issues.add(Issue.of("ring-too-short", where,
                    "A linear ring needs at least 4 positions (the first repeated as the last); it has "
                            + coordinates.length + "."));
            return null;
        }
        if (!coordinates[0].equals2D(coordinates[coordinates.length - 1])) {
            issues.add(Issue.of("ring-not-closed", where,
                    "The ring is not closed: its last position must equal its first."));
            return null;
        }
        return FACTORY.createLinearRing(coordinates);
    }

    private static Coordinate position(JsonNode position, String where, List<Issue> issues) {
        if (position == null || !position.isArray() || position.size() < 2 || position.size() > 3) {
            issues.add(Issue.of("invalid-position", where, "A position is [longitude, latitude]."));
            return null;
        }
        JsonNode lonNode = position.get(0);
        JsonNode latNode = position.get(1);
        if (!lonNode.isNumber() || !latNode.isNumber()) {
            issues.add(Issue.of("invalid-position", where, "Longitude and latitude must be numbers."));
            return null;
        }
        double lon = lonNode.asDouble();
        double lat = latNode.asDouble();
        if (!Double.isFinite(lon) || !Double.isFinite(lat)) {
            issues.add(Issue.of("coordinate-out-of-range", where, "Coordinates must be finite numbers."));
            return null;
        }
        if (lat < -90 || lat > 90) {
            String hint = Math.abs(lon) <= 90 && Math.abs(lat) <= 180
                    ? " It looks like [latitude, longitude]: GeoJSON writes longitude first." : "";
            issues.add(Issue.of("coordinate-out-of-range", where + "/1",
                    "Latitude " + lat + " is outside -90..90." + hint));
            return null;
        }
        if (lon < -180 || lon > 180) {
            issues.add(Issue.of("coordinate-out-of-range", where + "/0", "Longitude " + lon + " is outside -180..180."));
            return null;
        }
        return new Coordinate(lon, lat);
    }

    /** Outer rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6). */
    private static Geometry orient(Geometry geometry, List<String> normalisations) {
        if (geometry instanceof Polygon polygon) {
            return orient(polygon, "", normalisations);
        }
        if (geometry instanceof MultiPolygon multi) {
            Polygon[] parts = new Polygon[multi.getNumGeometries()];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = orient((Polygon) multi.getGeometryN(i), "polygon " + i + ": ", normalisations);
            }
            return FACTORY.createMultiPolygon(parts);
        }
        return geometry;
    }

    private static Polygon orient(Polygon polygon, String label, List<String> normalisations) {
        LinearRing shell = polygon.getExteriorRing();
        if (!Orientation.isCCW(shell.getCoordinateSequence())) {
            shell = shell.reverse();
            normalisations.add(label + "outer ring was clockwise; reversed to counter-clockwise");
        }
        LinearRing[] holes = new LinearRing[polygon.getNumInteriorRing()];
        for (int h = 0; h < holes.length; h++) {
            LinearRing hole = polygon.getInteriorRingN(h);
            if (Orientation.isCCW(hole.getCoordinateSequence())) {
                hole = hole.reverse();
                normalisations.add(label + "hole " + h + " was counter-clockwise; reversed to clockwise");
            }
            holes[h] = hole;
        }
        return FACTORY.createPolygon(shell, holes);
    }

    private static Issue topologyIssue(TopologyValidationError error, String where) {
        Coordinate at = error.getCoordinate();
        String near = at == null ? "" : " near [" + at.x + ", " + at.y + "]";
        String slug = switch (error.getErrorType()) {
            case TopologyValidationError.SELF_INTERSECTION -> "self-intersection";
            case TopologyValidationError.RING_SELF_INTERSECTION -> "ring-self-intersection";
            case TopologyValidationError.HOLE_OUTSIDE_SHELL -> "hole-outside-shell";
            case TopologyValidationError.NESTED_HOLES -> "nested-holes";
            case TopologyValidationError.DISCONNECTED_INTERIOR -> "disconnected-interior";
            case TopologyValidationError.NESTED_SHELLS -> "nested-shells";
            case TopologyValidationError.DUPLICATE_RINGS -> "duplicate-rings";
            case TopologyValidationError.TOO_FEW_POINTS -> "ring-too-short";
            case TopologyValidationError.RING_NOT_CLOSED -> "ring-not-closed";
            case TopologyValidationError.INVALID_COORDINATE -> "coordinate-out-of-range";
            default -> "invalid-geometry";
        };
        return Issue.of(slug, where, "The area is not a valid polygon: " + error.getMessage().toLowerCase() + near
                + ".");
    }
}
