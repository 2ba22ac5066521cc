package org.allerta.intake.event;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Timestamps;
import org.allerta.contracts.Urgency;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;

/**
 * Reads a GeoJSON Feature (RFC 7946) describing an event into an {@link EventInput}, collecting every problem with
 * its JSON pointer. Unknown properties are refused (a misspelt "expectedRestoration" must not pass silently).
 * Bounded: nesting depth, number and string lengths are limited before anything is built.
 */
public final class FeatureReader {

    /** The JSON parser for publishers' input: strict limits, duplicates refused. */
    public static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxNumberLength(64).maxStringLength(200_000).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static final Set<String> PROPERTIES = Set.of("publisherEventId", "kind", "status", "severity", "urgency",
            "headline", "description", "areaDescription", "startedAt", "expectedRestorationAt", "expiresAt", "sentAt");
    /** The event ids Allerta gives a zone's events ({@code zone:<zone>:<n>}) and CAP alerts (sender,identifier,sent). */
    private static final java.util.regex.Pattern RESERVED_ID = java.util.regex.Pattern.compile(
            "zone:.*|[^,\\s]+,[^,\\s]+,\\d{4}-\\d{2}-\\d{2}T.*");
    private static final String LANGUAGE = "[a-z]{2,3}(-[A-Za-z0-9]{2,8})*";

    private final AreaValidator areas;

    public FeatureReader(AreaValidator areas) {
        this.areas = areas;
    }

    /** Parses JSON bytes; 400 when they are not JSON at all. */
    public static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw ProblemException.unparseable("The request body is empty.");
        }
        try {
            JsonNode node = STRICT.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ProblemException.unparseable("The request body is empty.");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw ProblemException.unparseable("The body is not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ProblemException.unparseable("The body cannot be read: " + e.getMessage());
        }
    }

    /** Reads a Feature; throws a 422 problem listing every issue. */
    public EventInput read(JsonNode feature) {
        var issues = new ArrayList<Issue>();
        EventInput input = read(feature, issues);
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The event is invalid: " + issues.get(0).why(), issues);
        }
        return input;
    }

    EventInput read(JsonNode feature, List<Issue> issues) {
        if (!feature.isObject()) {
            issues.add(Issue.of("not-a-feature", "", "The body must be a GeoJSON Feature object."));
            return null;
        }
        if (!"Feature".equals(feature.path("type").asText(null))) {
            issues.add(Issue.of("not-a-feature", "/type", "The body must be a GeoJSON Feature (\"type\": \"Feature\")."));
        }
        JsonNode properties = feature.path("properties");
        if (!properties.isObject()) {
            issues.add(Issue.of("missing-property", "/properties", "The Feature needs a properties object."));
            areas.read(feature.get("geometry"), "/geometry", issues);
            return null;
        }
        properties.fieldNames().forEachRemaining(name -> {
            if (!PROPERTIES.contains(name)) {
                issues.add(Issue.of("unknown-property", "/properties/" + pointerEscape(name),
                        "Unknown property '" + name + "'. Known: " + new java.util.TreeSet<>(PROPERTIES) + "."));
            }
        });
        String publisherEventId = text(properties, "publisherEventId", true, 200, issues);
        if (publisherEventId != null && publisherEventId.isBlank()) {
            issues.add(Issue.of("missing-property", "/properties/publisherEventId", "publisherEventId is empty."));
        } else if (publisherEventId != null && RESERVED_ID.matcher(publisherEventId.trim()).matches()) {
            // the ids Allerta gives a zone's events and a CAP alert's: taken here, the zone's or the alert's own
            // event could never be stored under it
            issues.add(Issue.of("reserved-publisher-event-id", "/properties/publisherEventId", "'zone:...' and"
                    + " 'sender,identifier,sent' name the events of snow zones and CAP alerts; choose another id."));
        }
        EventKind kind = enumValue(properties, "kind", EventKind.class, null, issues);
        EventStatus status = enumValue(properties, "status", EventStatus.class, EventStatus.ACTIVE, issues);
        Severity severity = enumValue(properties, "severity", Severity.class, null, issues);
        Urgency urgency = enumValue(properties, "urgency", Urgency.class, Urgency.UNKNOWN, issues);
        Map<String, String> headline = languages(properties, "headline", true, 300, issues);
        Map<String, String> description = languages(properties, "description", false, 5000, issues);
        String areaDescription = text(properties, "areaDescription", false, 500, issues);
        Instant startedAt = instant(properties, "startedAt", issues);
        Instant restoration = instant(properties, "expectedRestorationAt", issues);
        Instant expiresAt = instant(properties, "expiresAt", issues);
        Instant sentAt = instant(properties, "sentAt", issues);
        OutageArea area = areas.read(feature.get("geometry"), "/geometry", issues);
        if (!issues.isEmpty()) {
            return null;
        }
        return new EventInput(publisherEventId.trim(), kind, status, severity, urgency, false, area, areaDescription,
                headline, description, startedAt, restoration, expiresAt, sentAt, List.of(), null);
    }

    /**
     * True when {@code text} holds a control character other than tab, line feed or carriage return (C0, DEL, C1), or
     * half of a surrogate pair, which no SMS, e-mail or page can show.
     */
    public static boolean hasControlCharacters(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0x7f && c <= 0x9f) {
                return true;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static String pointerEscape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static String text(JsonNode properties, String name, boolean required, int max, List<Issue> issues) {
        JsonNode node = properties.get(name);
        String where = "/properties/" + name;
        if (node == null || node.isNull()) {
            if (required) {
                issues.add(Issue.of("missing-property", where, name + " is required."));
            }
            return null;
        }
        if (!node.isTextual()) {
            issues.add(Issue.of("invalid-property", where, name + " must be a string."));
            return null;
        }
        if (node.asText().length() > max) {
            issues.add(Issue.of("text-too-long", where, name + " is longer than " + max + " characters."));
            return null;
        }
        if (hasControlCharacters(node.asText())) {
            issues.add(Issue.of("invalid-characters", where, name + " contains control characters."));
            return null;
        }
        return node.asText();
    }

    private static <E extends Enum<E>> E enumValue(JsonNode properties, String name, Class<E> type, E fallback,
                                                   List<Issue> issues) {
        JsonNode node = properties.get(name);
        String where = "/properties/" + name;
        if (node == null || node.isNull()) {
            if (fallback == null) {
                issues.add(Issue.of("missing-property", where, name + " is required: one of "
                        + List.of(type.getEnumConstants()) + "."));
            }
            return fallback;
        }
        if (node.isTextual()) {
            try {
                return Enum.valueOf(type, node.asText().trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // reported below
            }
        }
        issues.add(Issue.of("invalid-" + name.toLowerCase(Locale.ROOT), where, "'" + node.asText() + "' is not a "
                + name + "; one of " + List.of(type.getEnumConstants()) + "."));
        return null;
    }

    private static Map<String, String> languages(JsonNode properties, String name, boolean required, int max,
                                                 List<Issue> issues) {
        JsonNode node = properties.get(name);
        String where = "/properties/" + name;
        if (node == null || node.isNull()) {
            if (required) {
                issues.add(Issue.of("missing-property", where, name
                        + " is required, as a map of language to text: {\"it\": \"...\", \"en\": \"...\"}."));
            }
            return Map.of();
        }
        if (!node.isObject() || node.isEmpty()) {
            issues.add(Issue.of("invalid-language-map", where, name
                    + " must be a non-empty map of language to text: {\"it\": \"...\", \"en\": \"...\"}."));
            return Map.of();
        }
        var map = new LinkedHashMap<String, String>();
        node.fields().forEachRemaining(entry -> {
            String language = entry.getKey();
            String at = where + "/" + pointerEscape(language);
            if (language.length() > 35) {
                // checked before the pattern, whose repeated group a very long key would make recurse too deep
                issues.add(Issue.of("invalid-language", where, "'" + language.substring(0, 35)
                        + "...' is not a language tag (\"it\", \"en\")."));
            } else if (!language.matches(LANGUAGE)) {
                issues.add(Issue.of("invalid-language", at, "'" + language + "' is not a language tag (\"it\", \"en\")."));
            } else if (!entry.getValue().isTextual() || entry.getValue().asText().isBlank()) {
                issues.add(Issue.of("invalid-language-map", at, "The text must be a non-empty string."));
            } else if (entry.getValue().asText().length() > max) {
                issues.add(Issue.of("text-too-long", at, "The text is longer than " + max + " characters."));
            } else if (hasControlCharacters(entry.getValue().asText())) {
                issues.add(Issue.of("invalid-characters", at, "The text contains control characters."));
            } else if (map.putIfAbsent(primary(language), entry.getValue().asText()) != null) {
                issues.add(Issue.of("duplicate-language", at, "'" + language + "' names a language the map already"
                        + " has (" + primary(language) + "); give each language one text."));
            }
        });
        return map;
    }

    /**
     * A tag's language alone, as citizens choose theirs ({@code it-IT} is {@code it}): a text kept under a regional
     * tag would reach nobody who reads that language.
     */
    private static String primary(String tag) {
        int dash = tag.indexOf('-');
        return (dash > 0 ? tag.substring(0, dash) : tag).toLowerCase(Locale.ROOT);
    }

    static Instant instant(JsonNode properties, String name, List<Issue> issues) {
        JsonNode node = properties.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        String where = "/properties/" + name;
        Timestamps.Reading reading = node.isTextual() ? Timestamps.read(node.asText())
                : new Timestamps.Reading(null, Timestamps.Refusal.INVALID);
        if (reading.refusal() != null) {
            issues.add(Issue.of(reading.refusal().type(), where, reading.refusal().reason(name)));
        }
        return reading.instant();
    }
}
