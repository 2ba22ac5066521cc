package org.allerta.intake.publisher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.ProblemException;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;

/** The territory's tolerance is a distance on the ground, the same east–west as north–south. */
class RemitTest {

    private static final GeometryFactory GEOMETRY = new GeometryFactory();
    /** Metres per degree of longitude at 45°N. */
    private static final double METRES_PER_DEGREE_EAST = 111_320 * Math.cos(Math.toRadians(45));
    private static final double METRES_PER_DEGREE_NORTH = 111_320;

    private final Remit remit = new Remit(100);
    private final PublisherRecord publisher = new PublisherRecord("grid", "Grid", "hash", new byte[0],
            Set.of(EventKind.POWER_OUTAGE), box(8.60, 44.95, 8.70, 45.05), 5_000, false, true, Instant.EPOCH);

    @Test
    void anAreaWithinTheToleranceEastOfTheTerritoryIsAccepted() {
        // 80 m east of the eastern edge: inside a 100 m tolerance (it was refused when 100 m meant 0.0009° of
        // longitude, 71 m here)
        assertDoesNotThrow(() -> check(box(8.69, 45.0, 8.70 + 80 / METRES_PER_DEGREE_EAST, 45.01)));
        assertDoesNotThrow(() -> check(box(8.69, 45.0, 8.70 + 99 / METRES_PER_DEGREE_EAST, 45.01)));
    }

    @Test
    void anAreaBeyondTheToleranceIsRefusedInEveryDirection() {
        assertOutside(box(8.69, 45.0, 8.70 + 120 / METRES_PER_DEGREE_EAST, 45.01));
        assertOutside(box(8.60 - 120 / METRES_PER_DEGREE_EAST, 45.0, 8.61, 45.01));
        assertOutside(box(8.65, 45.04, 8.66, 45.05 + 120 / METRES_PER_DEGREE_NORTH));
        assertDoesNotThrow(() -> check(box(8.65, 45.04, 8.66, 45.05 + 99 / METRES_PER_DEGREE_NORTH)));
    }

    @Test
    void aSecondCheckAgainstTheSameTerritoryGivesTheSameAnswer() {
        Geometry inside = box(8.69, 45.0, 8.70 + 80 / METRES_PER_DEGREE_EAST, 45.01);
        assertDoesNotThrow(() -> check(inside));
        assertDoesNotThrow(() -> check(inside));
        assertOutside(box(8.69, 45.0, 8.70 + 120 / METRES_PER_DEGREE_EAST, 45.01));
    }

    private void check(Geometry area) {
        remit.check(publisher, EventKind.POWER_OUTAGE, "/properties/kind", new OutageArea(area, 1, List.of()),
                "/geometry");
    }

    private void assertOutside(Geometry area) {
        var refused = assertThrows(ProblemException.class, () -> check(area));
        assertEquals("urn:allerta:problem:outside-territory", refused.problem().type());
    }

    private static Geometry box(double west, double south, double east, double north) {
        return GEOMETRY.createPolygon(new Coordinate[] {new Coordinate(west, south), new Coordinate(east, south),
                new Coordinate(east, north), new Coordinate(west, north), new Coordinate(west, south)});
    }
}
