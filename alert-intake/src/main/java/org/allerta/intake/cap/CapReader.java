package org.allerta.intake.cap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Timestamps;
import org.allerta.contracts.Urgency;
import org.allerta.intake.event.EventInput;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.operation.overlayng.OverlayNGRobust;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Maps an OASIS CAP 1.2 {@code <alert>} to an {@link EventInput}. Every {@code <info>}'s {@code <area>}s count:
 * {@code <polygon>} ("lat,lon lat,lon ...", note the order) and {@code <circle>} ("lat,lon radius_km"; radius 0 becomes
 * a small circle of {@code allerta.cap.zero-radius-m}) are united into one area. {@code <geocode>} alone is not
 * supported (no geocode scheme is known to Allerta), so an alert without polygon or circle is refused. CAP 1.0 and
 * 1.1 are refused with the reason. The kind comes from an {@code <eventCode>} named {@code allerta:kind}, else from
 * {@code <category>} (see docs/publishers.md for the table). Status Test and Exercise mark the event as a test.
 */
public final class CapReader {

    public static final String CAP_12 = "urn:oasis:names:tc:emergency:cap:1.2";
    private static final Map<String, String> OLD_VERSIONS = Map.of(
            "urn:oasis:names:tc:emergency:cap:1.1", "1.1",
            "http://www.incident.com/cap/1.0", "1.0",
            "urn:oasis:names:tc:emergency:cap:1.0", "1.0");
    private static final int CIRCLE_SEGMENTS = 64;
    private static final double EARTH_RADIUS_KM = 6371.0088;

    private final AreaValidator areas;
    private final double zeroRadiusKm;

    public CapReader(AreaValidator areas, double zeroRadiusMetres) {
        this.areas = areas;
        this.zeroRadiusKm = zeroRadiusMetres / 1000.0;
    }

    /** Reads a parsed document; throws a 422 problem listing every issue. */
    public CapAlert read(Document document) {
        var issues = new ArrayList<Issue>();
        CapAlert alert = read(document, issues);
        if (!issues.isEmpty() || alert == null) {
            throw ProblemException.invalid("The CAP alert cannot be accepted: " + issues.get(0).why(), issues);
        }
        return alert;
    }

    private CapAlert read(Document document, List<Issue> issues) {
        Element root = document.getDocumentElement();
        String namespace = root.getNamespaceURI();
        if (!"alert".equals(root.getLocalName())) {
            issues.add(Issue.of("not-cap", "/" + root.getNodeName(), "The root element must be a CAP <alert>."));
            return null;
        }
        if (namespace != null && OLD_VERSIONS.containsKey(namespace)) {
            issues.add(Issue.of("cap-version-unsupported", "/alert/@xmlns", "CAP " + OLD_VERSIONS.get(namespace)
                    + " is not accepted; send CAP 1.2 (" + CAP_12 + ")."));
            return null;
        }
        if (!CAP_12.equals(namespace)) {
            issues.add(Issue.of("cap-version-unsupported", "/alert/@xmlns",
                    "The alert must be in the CAP 1.2 namespace " + CAP_12 + "."));
            return null;
        }
        String identifier = name(bounded(required(root, "identifier", "/alert", issues), "/alert/identifier",
                issues), "/alert/identifier", issues);
        String sender = name(bounded(required(root, "sender", "/alert", issues), "/alert/sender", issues),
                "/alert/sender", issues);
        String sentText = required(root, "sent", "/alert", issues);
        Instant sent = sentText == null ? null : timestamp(sentText, "/alert/sent", issues);
        String status = required(root, "status", "/alert", issues);
        String msgType = required(root, "msgType", "/alert", issues);
        boolean test = false;
        if (status != null) {
            switch (status) {
                case "Actual" -> test = false;
                case "Test", "Exercise" -> test = true;
                default -> issues.add(Issue.of("cap-status-not-publishable", "/alert/status",
                        "Status '" + status + "' is not published; Actual, Test and Exercise are."));
            }
        }
        // CAP 1.2 <scope>: Allerta tells the public; a Restricted or Private alert is for its addressees alone
        String scope = text(root, "scope").map(String::strip).orElse(null);
        if (scope != null && !"Public".equals(scope)) {
            issues.add(Issue.of("cap-scope-not-public", "/alert/scope", "Scope '" + scope + "' is not published:"
                    + " Allerta tells every citizen inside the area, so it takes Public alerts only. Send a"
                    + " Restricted or Private alert to its addressees by other means."));
        }
        if (msgType != null && !List.of("Alert", "Update", "Cancel").contains(msgType)) {
            issues.add(Issue.of("cap-msgtype-unsupported", "/alert/msgType",
                    "msgType '" + msgType + "' is not handled; Alert, Update and Cancel are."));
        }
        List<String> references = new ArrayList<>();
        text(root, "references").ifPresent(refs -> {
            for (String ref : refs.trim().split("\\s+")) {
                if (ref.split(",").length != 3) {
                    issues.add(Issue.of("cap-invalid-reference", "/alert/references",
                            "A reference is 'sender,identifier,sent'; '" + ref + "' is not."));
                } else {
                    references.add(ref);
                }
            }
        });
        if (("Update".equals(msgType) || "Cancel".equals(msgType)) && references.isEmpty() && issues.isEmpty()) {
            issues.add(Issue.of("cap-missing-references", "/alert/references",
                    "An " + msgType + " must reference the alert it follows."));
        }
        List<Element> infos = children(root, "info");
        boolean anyShape = infos.stream().flatMap(info -> children(info, "area").stream())
                .anyMatch(area -> !children(area, "polygon").isEmpty() || !children(area, "circle").isEmpty());
        if ("Cancel".equals(msgType) && !anyShape) {
            // a Cancel may name only what it cancels (an <area> with its description or geocodes alone, or none at
            // all): the event stays as it is, cancelled
            String key = sender + "," + identifier + "," + sentText;
            return issues.isEmpty() ? new CapAlert(key, msgType, references, null, sent, test) : null;
        }
        if (infos.isEmpty()) {
            issues.add(Issue.of("cap-missing-info", "/alert/info", "The alert has no <info> block."));
            return null;
        }
        EventKind kind = null;
        Severity severity = null;
        Urgency urgency = null;
        Instant onset = null;
        Instant expires = null;
        boolean expiresAlways = true;
        // CAP 1.2 <responseType>AllClear</responseType>: "the subject event no longer poses a threat"
        boolean allClear = true;
        var headline = new LinkedHashMap<String, String>();
        // the headline of each language comes from its most severe <info> (a smaller ordinal is more severe)
        var headlineRank = new java.util.HashMap<String, Integer>();
        var description = new LinkedHashMap<String, String>();
        var descriptions = new ArrayList<String>();
        List<Geometry> parts = new ArrayList<>();
        long vertices = 0;
        var shapes = new java.util.HashSet<String>();
        for (int i = 0; i < infos.size(); i++) {
            Element info = infos.get(i);
            String at = "/alert/info[" + i + "]";
            String language = text(info, "language").map(l -> languageOf(l, at + "/language", issues)).orElse("en");
            if (i == 0) {
                kind = kind(info, at, issues);
            }
            // the blocks of one alert (areas of different gravity, say) make one event as grave and as urgent as
            // its gravest block, from the earliest onset to the latest expiry
            Severity infoSeverity = severity(info, at, issues);
            if (infoSeverity != null && (severity == null || infoSeverity.ordinal() < severity.ordinal())) {
                severity = infoSeverity;
            }
            Urgency infoUrgency = urgency(info, at, issues);
            if (infoUrgency != null && (urgency == null || infoUrgency.ordinal() < urgency.ordinal())) {
                urgency = infoUrgency;
            }
            Instant infoOnset = text(info, "onset").or(() -> text(info, "effective"))
                    .map(t -> timestamp(t, at + "/onset", issues)).orElse(null);
            if (infoOnset != null && (onset == null || infoOnset.isBefore(onset))) {
                onset = infoOnset;
            }
            allClear &= children(info, "responseType").stream()
                    .anyMatch(r -> "AllClear".equals(r.getTextContent().trim()));
            Instant infoExpires = text(info, "expires").map(t -> timestamp(t, at + "/expires", issues)).orElse(null);
            expiresAlways &= infoExpires != null;
            if (infoExpires != null && (expires == null || infoExpires.isAfter(expires))) {
                expires = infoExpires;
            }
            int rank = infoSeverity == null ? Integer.MAX_VALUE : infoSeverity.ordinal();
            String event = text(info, "event").filter(t -> !t.isBlank()).orElse(null);
            text(info, "headline").filter(t -> !t.isBlank()).or(() -> Optional.ofNullable(event))
                    .map(h -> printable(cut(h, 300), at + "/headline", issues))
                    .ifPresent(h -> {
                        if (!headline.containsKey(language) || rank < headlineRank.get(language)) {
                            headline.put(language, h);
                            headlineRank.put(language, rank);
                        }
                    });
            String text = String.join("\n\n", text(info, "description").orElse(""),
                    text(info, "instruction").orElse("")).trim();
            if (!text.isEmpty()) {
                // each block's text is kept: a second block of one language speaks of another area or gravity
                // each cut to what is kept in the end before it is compared, so that many long blocks cost no more
                // than short ones
                String kept = printable(cut(text, 5000), at + "/description", issues);
                description.merge(language, kept, (before, more) -> before.length() >= 5000 || before.contains(more)
                        ? before : before + "\n\n" + more);
            }
            List<Element> areaElements = children(info, "area");
            for (int a = 0; a < areaElements.size(); a++) {
                Element area = areaElements.get(a);
                String areaPath = at + "/area[" + a + "]";
                text(area, "areaDesc").map(d -> printable(d, areaPath + "/areaDesc", issues)).ifPresent(d -> {
                    if (!descriptions.contains(d)) {
                        descriptions.add(d);
                    }
                });
                List<Element> polygons = children(area, "polygon");
                List<Element> circles = children(area, "circle");
                // counted before any shape is made or joined: an alert of thousands of circles is refused unread;
                // a shape repeated in each language's <info> counts once, as the union will keep it once
                var newPolygons = new ArrayList<Integer>();
                var newCircles = new ArrayList<Integer>();
                for (int p = 0; p < polygons.size(); p++) {
                    String coordinates = polygons.get(p).getTextContent().trim();
                    if (shapes.add("p " + coordinates)) {
                        vertices += coordinates.split("\\s+").length;
                        newPolygons.add(p);
                    }
                }
                for (int c = 0; c < circles.size(); c++) {
                    if (shapes.add("c " + circles.get(c).getTextContent().trim())) {
                        vertices += CIRCLE_SEGMENTS + 1;
                        newCircles.add(c);
                    }
                }
                if (vertices > (long) areas.maxVertices() + 2L * shapes.size()) {
                    issues.add(Issue.of("too-many-vertices", "/alert/info/area", "The alert's areas have more than "
                            + areas.maxVertices() + " vertices in all; at most " + areas.maxVertices()
                            + " are accepted. Simplify them."));
                    return null;
                }
                // each distinct shape is made once: its copies add nothing to the union
                for (int p : newPolygons) {
                    Geometry polygon = polygon(polygons.get(p).getTextContent(), areaPath + "/polygon[" + p + "]",
                            issues);
                    if (polygon != null) {
                        parts.add(polygon);
                    }
                }
                for (int c : newCircles) {
                    Geometry circle = circle(circles.get(c).getTextContent(), areaPath + "/circle[" + c + "]", issues);
                    if (circle != null) {
                        parts.add(circle);
                    }
                }
            }
        }
        if (!expiresAlways) {
            // a block without <expires> does not expire: neither does the event
            expires = null;
        }
        description.replaceAll((language, text) -> cut(text, 5000));
        if (parts.isEmpty() && issues.isEmpty()) {
            issues.add(Issue.of("cap-no-area", "/alert/info/area", "No <polygon> or <circle> in any <area>: Allerta"
                    + " needs the area's shape (<geocode> alone is not supported)."));
        }
        if (headline.isEmpty()) {
            issues.add(Issue.of("cap-missing-headline", "/alert/info[0]/headline",
                    "The alert needs a <headline> or an <event> to tell people what happened."));
        }
        if (!issues.isEmpty()) {
            return null;
        }
        Geometry union;
        try {
            union = OverlayNGRobust.union(parts);
        } catch (RuntimeException e) {
            // shapes so nearly coincident that no overlay can merge them
            issues.add(Issue.of("invalid-geometry", "/alert/info/area", "The areas of the alert could not be merged"
                    + " into one shape; send them as one <polygon>."));
            return null;
        }
        OutageArea area = areas.check(union, "/alert/info/area", issues);
        if (area == null) {
            return null;
        }
        String key = sender + "," + identifier + "," + sentText;
        String areaDescription = String.join("; ", descriptions);
        // an Update whose every block says all clear ends the event it follows: those told hear that it is over
        EventStatus eventStatus = "Cancel".equals(msgType) ? EventStatus.CANCELLED
                : "Update".equals(msgType) && allClear ? EventStatus.RESOLVED : EventStatus.ACTIVE;
        var input = new EventInput(key, kind, eventStatus, severity, urgency, test, area, cut(areaDescription, 500),
                headline, description, onset, null, expires, sent, references, null);
        return new CapAlert(key, msgType, references, input, sent, test);
    }

    /** At most {@code max} characters, never half of a surrogate pair. */
    static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        return text.substring(0, Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }

    /** The text, or an issue when it holds control characters, as a Feature's text would be refused. */
    private static String printable(String text, String at, List<Issue> issues) {
        if (org.allerta.intake.event.FeatureReader.hasControlCharacters(text)) {
            issues.add(Issue.of("invalid-characters", at, "The text contains control characters."));
        }
        return text;
    }

    /**
     * A CAP language tag as citizens choose their language: "en-US" → "en", "it_IT" → "it", "ita" → "it". A tag that
     * names no language is refused (its texts would reach readers of another language).
     */
    static String languageOf(String capLanguage, String at, List<Issue> issues) {
        String tag = capLanguage.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        int dash = tag.indexOf('-');
        String language = dash > 0 ? tag.substring(0, dash) : tag;
        if (language.matches("[a-z]{3}") && TWO_LETTERS.containsKey(language)) {
            return TWO_LETTERS.get(language);
        }
        if (language.matches("[a-z]{2,3}")) {
            return language;
        }
        issues.add(Issue.of("invalid-language", at, "'" + capLanguage.trim() + "' is not a language tag (\"it-IT\","
                + " \"en-US\")."));
        return "en";
    }

    /** ISO 639-2 codes (terminology and bibliographic) of the languages that have an ISO 639-1 code. */
    private static final Map<String, String> TWO_LETTERS = twoLetters();

    private static Map<String, String> twoLetters() {
        var map = new java.util.HashMap<String, String>();
        for (String two : Locale.getISOLanguages()) {
            try {
                map.put(Locale.forLanguageTag(two).getISO3Language(), two);
            } catch (java.util.MissingResourceException e) {
                // no three-letter code known
            }
        }
        String[][] bibliographic = {{"alb", "sq"}, {"arm", "hy"}, {"baq", "eu"}, {"bur", "my"}, {"chi", "zh"},
            {"cze", "cs"}, {"dut", "nl"}, {"fre", "fr"}, {"geo", "ka"}, {"ger", "de"}, {"gre", "el"}, {"ice", "is"},
            {"mac", "mk"}, {"mao", "mi"}, {"may", "ms"}, {"per", "fa"}, {"rum", "ro"}, {"slo", "sk"}, {"tib", "bo"},
            {"wel", "cy"}};
        for (String[] pair : bibliographic) {
            map.put(pair[0], pair[1]);
        }
        return Map.copyOf(map);
    }

    private static EventKind kind(Element info, String at, List<Issue> issues) {
        for (Element code : children(info, "eventCode")) {
            String name = text(code, "valueName").orElse("").trim().toLowerCase(Locale.ROOT);
            if (name.equals("allerta:kind") || name.equals("allerta-kind")) {
                String value = text(code, "value").orElse("").trim().toUpperCase(Locale.ROOT);
                try {
                    return EventKind.valueOf(value);
                } catch (IllegalArgumentException e) {
                    issues.add(Issue.of("invalid-kind", at + "/eventCode", "'" + value + "' is not an Allerta kind; one"
                            + " of " + List.of(EventKind.values()) + "."));
                    return null;
                }
            }
        }
        List<String> categories = children(info, "category").stream().map(Element::getTextContent)
                .map(String::trim).toList();
        if (categories.isEmpty()) {
            issues.add(Issue.of("cap-missing-category", at + "/category", "The <info> needs a <category>."));
            return null;
        }
        String event = text(info, "event").orElse("").toLowerCase(Locale.ROOT);
        if (categories.contains("Transport")) {
            return EventKind.TRANSPORT_DISRUPTION;
        }
        if (categories.contains("Infra")) {
            if (event.matches(".*\\b(water|acqua|idric\\w*)\\b.*")) {
                return EventKind.WATER_OUTAGE;
            }
            if (event.matches(".*\\bgas\\b.*")) {
                return EventKind.GAS_OUTAGE;
            }
            if (event.matches(".*\\b(power|electric\\w*|elettric\\w*|blackout|corrente|energia)\\b.*")) {
                return EventKind.POWER_OUTAGE;
            }
        }
        return EventKind.CIVIL_PROTECTION;
    }

    private static Severity severity(Element info, String at, List<Issue> issues) {
        String value = text(info, "severity").orElse(null);
        if (value == null) {
            issues.add(Issue.of("cap-missing-element", at + "/severity", "The <info> needs a <severity>."));
            return null;
        }
        return switch (value.trim()) {
            case "Extreme" -> Severity.EXTREME;
            case "Severe" -> Severity.SEVERE;
            case "Moderate", "Unknown" -> Severity.MODERATE;
            case "Minor" -> Severity.MINOR;
            default -> {
                issues.add(Issue.of("invalid-severity", at + "/severity", "'" + value + "' is not a CAP severity."));
                yield null;
            }
        };
    }

    private static Urgency urgency(Element info, String at, List<Issue> issues) {
        String value = text(info, "urgency").orElse("Unknown").trim();
        try {
            return Urgency.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            issues.add(Issue.of("invalid-urgency", at + "/urgency", "'" + value + "' is not a CAP urgency."));
            return null;
        }
    }

    private Geometry polygon(String text, String at, List<Issue> issues) {
        String[] pairs = text.trim().split("\\s+");
        Coordinate[] coordinates = new Coordinate[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            Coordinate c = latLon(pairs[i], at, issues);
            if (c == null) {
                return null;
            }
            coordinates[i] = c;
        }
        if (coordinates.length < 4) {
            issues.add(Issue.of("ring-too-short", at, "A CAP polygon needs at least 4 'lat,lon' pairs, the first"
                    + " repeated as the last."));
            return null;
        }
        if (!coordinates[0].equals2D(coordinates[coordinates.length - 1])) {
            issues.add(Issue.of("ring-not-closed", at, "The polygon is not closed: its last pair must equal its first."));
            return null;
        }
        Polygon polygon = AreaValidator.FACTORY.createPolygon(coordinates);
        var own = new ArrayList<Issue>();
        OutageArea checked = areas.check(polygon, at, own);
        issues.addAll(own);
        return checked == null ? null : checked.geometry();
    }

    private Geometry circle(String text, String at, List<Issue> issues) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            issues.add(Issue.of("invalid-circle", at, "A CAP circle is 'lat,lon radius_km'."));
            return null;
        }
        Coordinate centre = latLon(parts[0], at, issues);
        double radiusKm;
        try {
            radiusKm = Double.parseDouble(parts[1]);
        } catch (NumberFormatException e) {
            issues.add(Issue.of("invalid-circle", at, "The radius '" + parts[1] + "' is not a number of km."));
            return null;
        }
        if (centre == null) {
            return null;
        }
        if (!Double.isFinite(radiusKm) || radiusKm < 0 || radiusKm > 1000) {
            issues.add(Issue.of("invalid-circle", at, "The radius must be 0 to 1000 km."));
            return null;
        }
        Polygon circle = circlePolygon(centre, radiusKm == 0 ? zeroRadiusKm : radiusKm);
        var box = circle.getEnvelopeInternal();
        if (box.getMinX() < -180 || box.getMaxX() > 180 || box.getMinY() < -90 || box.getMaxY() > 90) {
            // GeoJSON (RFC 7946) has no area across the antimeridian or a pole in one ring
            issues.add(Issue.of("coordinate-out-of-range", at, "The circle crosses the 180th meridian or a pole;"
                    + " send it as polygons on either side."));
            return null;
        }
        return circle;
    }

    /** A 64-gon approximating a circle on the sphere, counter-clockwise. */
    static Polygon circlePolygon(Coordinate centre, double radiusKm) {
        double lat1 = Math.toRadians(centre.y);
        double lon1 = Math.toRadians(centre.x);
        double angular = radiusKm / EARTH_RADIUS_KM;
        Coordinate[] ring = new Coordinate[CIRCLE_SEGMENTS + 1];
        for (int i = 0; i < CIRCLE_SEGMENTS; i++) {
            double bearing = -2 * Math.PI * i / CIRCLE_SEGMENTS;
            double lat2 = Math.asin(Math.sin(lat1) * Math.cos(angular)
                    + Math.cos(lat1) * Math.sin(angular) * Math.cos(bearing));
            double lon2 = lon1 + Math.atan2(Math.sin(bearing) * Math.sin(angular) * Math.cos(lat1),
                    Math.cos(angular) - Math.sin(lat1) * Math.sin(lat2));
            ring[i] = new Coordinate(Math.toDegrees(lon2), Math.toDegrees(lat2));
        }
        ring[CIRCLE_SEGMENTS] = ring[0].copy();
        return AreaValidator.FACTORY.createPolygon(ring);
    }

    /** CAP writes "latitude,longitude". */
    private static Coordinate latLon(String pair, String at, List<Issue> issues) {
        String[] parts = pair.split(",");
        if (parts.length != 2) {
            issues.add(Issue.of("invalid-position", at, "'" + pair + "' is not a 'lat,lon' pair."));
            return null;
        }
        try {
            double lat = Double.parseDouble(parts[0]);
            double lon = Double.parseDouble(parts[1]);
            if (!Double.isFinite(lat) || !Double.isFinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
                issues.add(Issue.of("coordinate-out-of-range", at, "'" + pair + "' is out of range (CAP writes"
                        + " latitude first: -90..90, then longitude: -180..180)."));
                return null;
            }
            return new Coordinate(lon, lat);
        } catch (NumberFormatException e) {
            issues.add(Issue.of("invalid-position", at, "'" + pair + "' is not a 'lat,lon' pair of numbers."));
            return null;
        }
    }

    /** An identifier or sender longer than Allerta keeps (they name the event, with the sent time) is refused. */
    private static String bounded(String value, String at, List<Issue> issues) {
        if (value != null && value.length() > MAX_NAME) {
            issues.add(Issue.of("text-too-long", at, "At most " + MAX_NAME + " characters."));
            return null;
        }
        return value;
    }

    static final int MAX_NAME = 200;

    /**
     * An identifier or a sender as CAP 1.2 allows them, without spaces or commas: references name a message as
     * "sender,identifier,sent" separated by spaces, so one with either could be published and never be updated or
     * cancelled.
     */
    private static String name(String value, String at, List<Issue> issues) {
        if (value != null && (value.isEmpty()
                || value.chars().anyMatch(ch -> ch == ',' || Character.isWhitespace(ch)))) {
            issues.add(Issue.of("cap-invalid-name", at, "'" + value + "' has a space or a comma (or is empty):"
                    + " CAP 1.2 forbids them, since references could not name this alert."));
            return null;
        }
        return value;
    }

    private static Instant timestamp(String text, String at, List<Issue> issues) {
        Timestamps.Reading reading = Timestamps.read(text);
        if (reading.refusal() != null) {
            issues.add(Issue.of(reading.refusal().type(), at, reading.refusal().reason("'" + text + "'")));
        }
        return reading.instant();
    }

    private static String required(Element parent, String name, String at, List<Issue> issues) {
        Optional<String> value = text(parent, name);
        if (value.isEmpty() || value.get().isBlank()) {
            issues.add(Issue.of("cap-missing-element", at + "/" + name, "The <" + name + "> element is required."));
            return null;
        }
        return value.get().trim();
    }

    private static Optional<String> text(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0).getTextContent().trim());
    }

    private static List<Element> children(Element parent, String name) {
        var list = new ArrayList<Element>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName()) && CAP_12.equals(e.getNamespaceURI())) {
                list.add(e);
            }
        }
        return list;
    }
}
