package org.allerta.intake.publisher;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;

/**
 * What a publisher may publish: its allowed kinds (403), its service territory with a small tolerance (403), its
 * area limit (422).
 */
@ApplicationScoped
public class Remit {

    private static final double METRES_PER_DEGREE = 111_320;
    private final double toleranceDegrees;

    Remit(@ConfigProperty(name = "allerta.intake.territory-tolerance-m", defaultValue = "100") double toleranceM) {
        this.toleranceDegrees = toleranceM / METRES_PER_DEGREE;
    }

    /** Throws the problem that refuses {@code area} of kind {@code kind} for {@code publisher}, if any. */
    public void check(PublisherRecord publisher, org.allerta.contracts.EventKind kind, OutageArea area, String where) {
        if (!publisher.allowedKinds().contains(kind)) {
            throw ProblemException.forbidden("kind-not-allowed", "Publisher " + publisher.publisherId()
                    + " may not publish " + kind + " events; it may publish " + publisher.allowedKinds() + ".",
                    List.of(Issue.of("kind-not-allowed", "/properties/kind", kind + " is not allowed.")));
        }
        if (area.areaKm2() > publisher.areaLimitKm2()) {
            throw ProblemException.invalid("The area is too large.", List.of(Issue.of("area-too-large", where,
                    String.format(java.util.Locale.ROOT, "The area covers %.1f km²; this publisher's limit is %.1f km².",
                            area.areaKm2(), publisher.areaLimitKm2()))));
        }
        Geometry territory = publisher.territory();
        if (territory != null && !territory.buffer(toleranceDegrees).covers(area.geometry())) {
            String hint = swapped(area.geometry()) != null && territory.buffer(toleranceDegrees).covers(
                    swapped(area.geometry())) ? " With longitude and latitude swapped it would be inside: GeoJSON"
                    + " writes [longitude, latitude]." : "";
            throw ProblemException.forbidden("outside-territory", "The area leaves publisher "
                    + publisher.publisherId() + "'s service territory." + hint,
                    List.of(Issue.of("outside-territory", where, "The area is not inside the service territory." + hint)));
        }
    }

    private static Geometry swapped(Geometry geometry) {
        Geometry copy = geometry.copy();
        for (Coordinate c : copy.getCoordinates()) {
            double x = c.x;
            c.x = c.y;
            c.y = x;
        }
        copy.geometryChanged();
        return copy.isValid() ? copy : null;
    }
}
