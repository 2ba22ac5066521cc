package org.allerta.intake.publisher;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.util.AffineTransformation;

/**
 * What a publisher may publish: its allowed kinds (403), its service territory with a small tolerance (403), its
 * area limit (422).
 *
 * <p>The tolerance is a distance on the ground in every direction: the territory is widened in a local frame where a
 * degree of longitude counts its length at the territory's middle latitude (about 79 km at 45°N, against 111 km for a
 * degree of latitude). Widened in degrees, 100 m would have been 71 m east and west in northern Italy. Each territory
 * is widened once, while its publisher's record is in use.
 */
@ApplicationScoped
public class Remit {

    private static final double METRES_PER_DEGREE = 111_320;
    private final double toleranceM;
    private final Map<Geometry, Geometry> widened = Collections.synchronizedMap(new WeakHashMap<>());

    Remit(@ConfigProperty(name = "allerta.intake.territory-tolerance-m", defaultValue = "100") double toleranceM) {
        this.toleranceM = toleranceM;
    }

    /**
     * Throws the problem that refuses {@code area} of kind {@code kind} for {@code publisher}, if any; {@code kindWhere}
     * and {@code where} point at what chose the kind and at the area in the input.
     */
    public void check(PublisherRecord publisher, org.allerta.contracts.EventKind kind, String kindWhere,
                      OutageArea area, String where) {
        if (!publisher.allowedKinds().contains(kind)) {
            throw ProblemException.forbidden("kind-not-allowed", "Publisher " + publisher.publisherId()
                    + " may not publish " + kind + " events; it may publish " + publisher.allowedKinds() + ".",
                    List.of(Issue.of("kind-not-allowed", kindWhere, kind + " is not allowed.")));
        }
        if (area.areaKm2() > publisher.areaLimitKm2()) {
            throw ProblemException.invalid("The area is too large.", List.of(Issue.of("area-too-large", where,
                    String.format(java.util.Locale.ROOT, "The area covers %.1f km²; this publisher's limit is %.1f km².",
                            area.areaKm2(), publisher.areaLimitKm2()))));
        }
        Geometry territory = publisher.territory() == null ? null
                : widened.computeIfAbsent(publisher.territory(), this::widen);
        if (territory != null && !territory.covers(area.geometry())) {
            Geometry swapped = swapped(area.geometry());
            String hint = swapped != null && territory.covers(swapped)
                    ? " With longitude and latitude swapped it would be inside: GeoJSON writes [longitude, latitude]."
                    : "";
            throw ProblemException.forbidden("outside-territory", "The area leaves publisher "
                    + publisher.publisherId() + "'s service territory." + hint,
                    List.of(Issue.of("outside-territory", where, "The area is not inside the service territory." + hint)));
        }
    }

    /** The territory and every point within the tolerance of it, on the ground. */
    Geometry widen(Geometry territory) {
        Envelope box = territory.getEnvelopeInternal();
        // metres per degree of longitude at the middle latitude; never zero, even at a pole
        double xScale = METRES_PER_DEGREE * Math.max(0.01, Math.cos(Math.toRadians((box.getMinY() + box.getMaxY()) / 2)));
        Geometry local = scaled(territory, xScale, METRES_PER_DEGREE);
        return scaled(local.buffer(toleranceM), 1 / xScale, 1 / METRES_PER_DEGREE);
    }

    private static Geometry scaled(Geometry geometry, double xScale, double yScale) {
        Geometry copy = geometry.copy();
        copy.apply(AffineTransformation.scaleInstance(xScale, yScale));
        copy.geometryChanged();
        return copy;
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
