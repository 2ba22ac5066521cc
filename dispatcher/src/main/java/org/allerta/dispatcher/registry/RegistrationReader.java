package org.allerta.dispatcher.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.Timestamps;
import org.allerta.contracts.rules.QuietHours;
import org.allerta.dispatcher.registry.Registration.ChannelInput;
import org.allerta.dispatcher.registry.Registration.PlaceInput;
import org.allerta.dispatcher.registry.Registration.PriorityConsent;
import org.allerta.dispatcher.registry.Registration.Profile;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;

/**
 * Reads a subscriber registration (JSON, see {@code schemas/Subscriber.schema.json}) and reports every problem at
 * once, each with where it is and why, so that the city's app can show the citizen what to fix.
 */
public final class RegistrationReader {

    /** Languages messages are written in. */
    public static final Set<String> LANGUAGES = Set.of("it", "en");
    static final int MAX_CHANNELS = 10;
    static final int MAX_PLACES = 10;
    private static final java.util.regex.Pattern HH_MM = java.util.regex.Pattern.compile("\\d{2}:\\d{2}");
    private static final Set<String> FIELDS = Set.of("externalId", "name", "language", "channels", "places",
            "interests", "profile", "priority", "quietHours");
    private static final Set<String> CHANNEL_FIELDS = Set.of("type", "address", "kinds", "verified",
            "consentSource");
    private static final Set<String> PLACE_FIELDS = Set.of("label", "category", "address", "lon", "lat");
    private static final Set<String> PRIORITY_FIELDS = Set.of("medicallyDependent", "consent");
    private static final Set<String> CONSENT_FIELDS = Set.of("at", "wording");
    private static final Set<String> QUIET_FIELDS = Set.of("from", "to", "zone");

    /**
     * What a GET answers beside what a person registered: a replacement (PUT) may carry them back, as an app that reads,
     * changes a field and writes the whole back does, and they are ignored.
     */
    private static final Set<String> READ_ONLY = Set.of("id", "createdAt", "updatedAt");
    private static final Set<String> CHANNEL_READ_ONLY = Set.of("id", "verifiedAt", "unsubscribedAt");
    private static final Set<String> PLACE_READ_ONLY = Set.of("id", "geocoding");

    private final String defaultCountryCode;
    private final boolean replacing;
    private final List<Issue> issues = new ArrayList<>();

    private RegistrationReader(String defaultCountryCode, boolean replacing) {
        this.defaultCountryCode = defaultCountryCode;
        this.replacing = replacing;
    }

    /**
     * Reads {@code body}; throws a 422 problem listing every issue.
     *
     * @param admin whether the caller holds the admin key (which may register channels as already verified)
     */
    public static Registration read(JsonNode body, boolean admin, String defaultCountryCode) {
        return read(body, admin, defaultCountryCode, false);
    }

    /**
     * Reads {@code body}; throws a 422 problem listing every issue. A replacement ({@code replacing}) accepts what a
     * GET answers and ignores its read-only fields; there a channel's {@code verified} is what the GET said (kept for
     * an unchanged address, a new address getting its code), unless the admin key declares it with a
     * {@code consentSource} and no {@code verifiedAt} (which only an echo of a GET carries).
     */
    public static Registration read(JsonNode body, boolean admin, String defaultCountryCode, boolean replacing) {
        var reader = new RegistrationReader(defaultCountryCode, replacing);
        Registration registration = reader.registration(body, admin);
        if (!reader.issues.isEmpty()) {
            throw ProblemException.invalid("The registration has " + reader.issues.size() + " problem(s).",
                    reader.issues);
        }
        return registration;
    }

    private Registration registration(JsonNode body, boolean admin) {
        if (body == null || !body.isObject()) {
            issue("invalid-value", "", "a JSON object is required");
            return null;
        }
        known(body, FIELDS, READ_ONLY, "", "a subscriber");
        String externalId = text(body, "externalId", 200, false);
        String name = text(body, "name", 200, true);
        String language = text(body, "language", 10, true);
        if (language != null) {
            // a device's locale ("it-IT", "en_GB") names its language first
            language = language.toLowerCase(Locale.ROOT).replace('_', '-');
            if (language.matches("[a-z]{2,3}-[a-z0-9-]+")) {
                language = language.substring(0, language.indexOf('-'));
            }
            if (!LANGUAGES.contains(language)) {
                issue("unknown-language", "language", "must be one of " + new java.util.TreeSet<>(LANGUAGES));
            }
        }
        List<ChannelInput> channels = channels(body.get("channels"), admin);
        List<PlaceInput> places = places(body.get("places"));
        Set<EventKind> interests = body.has("interests")
                ? enums(body.get("interests"), "interests", EventKind.class, EventKind::valueOf)
                : EnumSet.allOf(EventKind.class);
        if (interests.isEmpty() && body.has("interests") && body.get("interests").isArray()) {
            issue("invalid-value", "interests", "at least one kind, or leave it out to follow every kind");
        }
        Set<Profile> profile = body.has("profile")
                ? enums(body.get("profile"), "profile", Profile.class, Profile::valueOf) : Set.of();
        PriorityConsent priority = priority(body.get("priority"));
        if (profile.contains(Profile.VULNERABLE) && priority == null
                && !body.path("priority").path("medicallyDependent").asBoolean(false)) {
            // health data (GDPR art. 9): kept only with the person's explicit consent, the one recorded for priority
            issue("consent-required", "profile", "VULNERABLE says something of the person's health: it is stored only"
                    + " with their consent, recorded as priority.consent (with medicallyDependent: true)");
        }
        QuietHours quiet = quietHours(body.get("quietHours"));
        return new Registration(externalId, name, language, channels, places, interests, profile, priority, quiet);
    }

    private List<ChannelInput> channels(JsonNode node, boolean admin) {
        var result = new ArrayList<ChannelInput>();
        if (node == null || !node.isArray() || node.isEmpty()) {
            issue("invalid-value", "channels", "at least one channel is required");
            return result;
        }
        if (node.size() > MAX_CHANNELS) {
            issue("too-many", "channels", "at most " + MAX_CHANNELS + " channels");
            return result;
        }
        var seen = new HashSet<String>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode c = node.get(i);
            String where = "channels[" + i + "]";
            if (!c.isObject()) {
                issue("invalid-value", where, "a channel is an object");
                continue;
            }
            known(c, CHANNEL_FIELDS, CHANNEL_READ_ONLY, where + ".", "a channel");
            Channel type = enumValue(c.get("type"), where + ".type", Channel.class, Channel::valueOf);
            String raw = c.path("address").isTextual() ? c.get("address").asText() : null;
            String address = null;
            if (type != null) {
                Contacts.Checked checked = Contacts.check(type, raw, defaultCountryCode);
                if (checked.ok()) {
                    address = checked.address();
                    if (!seen.add(type.name())) {
                        issue("duplicate", where + ".type", "one channel of each type");
                    }
                } else {
                    issue("invalid-address", where + ".address", checked.problem());
                }
            }
            Set<EventKind> kinds = c.has("kinds")
                    ? enums(c.get("kinds"), where + ".kinds", EventKind.class, EventKind::valueOf) : Set.of();
            boolean verified = bool(c, "verified", where + ".verified");
            String consentSource = c.path("consentSource").isTextual() ? c.get("consentSource").asText().strip() : null;
            if (admin && verified && SubscriberService.DOUBLE_OPT_IN.equalsIgnoreCase(consentSource)) {
                // what Allerta records once the person confirmed a code, echoed back (a GET's channel, its read-only
                // verifiedAt dropped by a client): it declares no consent, so an address not verified gets its code
                verified = false;
                consentSource = null;
            }
            if (replacing && verified && (!admin || consentSource == null || c.has("verifiedAt"))) {
                // as a GET said it (its verifiedAt with it): an unchanged address stays verified, a new one gets its
                // code; only the admin key declaring a channel verified, with its source and without a verifiedAt
                // echoed, makes a new address verified
                verified = false;
                consentSource = null;
            }
            if (verified && !admin) {
                issue("admin-key-required", where + ".verified",
                        "only the admin key registers a channel as already verified");
            } else if (verified && (consentSource == null || consentSource.isEmpty() || consentSource.length() > 300)) {
                issue("consent-source-required", where + ".consentSource",
                        "an already verified channel records where the consent came from (up to 300 characters)");
            }
            result.add(new ChannelInput(type, address, kinds, verified, verified ? consentSource : null));
        }
        return result;
    }

    private List<PlaceInput> places(JsonNode node) {
        var result = new ArrayList<PlaceInput>();
        if (node == null || !node.isArray() || node.isEmpty()) {
            issue("invalid-value", "places", "at least one place is required");
            return result;
        }
        if (node.size() > MAX_PLACES) {
            issue("too-many", "places", "at most " + MAX_PLACES + " places");
            return result;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode p = node.get(i);
            String where = "places[" + i + "]";
            if (!p.isObject()) {
                issue("invalid-value", where, "a place is an object");
                continue;
            }
            known(p, PLACE_FIELDS, PLACE_READ_ONLY, where + ".", "a place");
            String label = text(p, "label", 100, false, where + ".label");
            PlaceCategory category = p.has("category")
                    ? enumValue(p.get("category"), where + ".category", PlaceCategory.class, PlaceCategory::valueOf)
                    : PlaceCategory.HOME;
            String address = text(p, "address", 300, false, where + ".address");
            LonLat point = null;
            boolean hasLon = p.has("lon");
            boolean hasLat = p.has("lat");
            if (hasLon || hasLat) {
                if (!p.path("lon").isNumber() || !p.path("lat").isNumber()) {
                    issue("invalid-value", where, "lon and lat are both numbers");
                } else {
                    double lon = p.get("lon").asDouble();
                    double lat = p.get("lat").asDouble();
                    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) { // also NaN
                        issue("out-of-range", where, "lon within -180..180 and lat within -90..90");
                    } else {
                        point = new LonLat(lon, lat);
                    }
                }
            } else if (address == null) {
                issue("invalid-value", where, "an address or lon and lat are required");
            }
            result.add(new PlaceInput(label, category, address, point));
        }
        return result;
    }

    private PriorityConsent priority(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            issue("invalid-value", "priority", "an object: {\"medicallyDependent\": true, \"consent\": {...}}");
            return null;
        }
        known(node, PRIORITY_FIELDS, "priority.", "the priority");
        if (node.path("consent").isObject()) {
            known(node.get("consent"), CONSENT_FIELDS, "priority.consent.", "a consent");
        }
        if (!bool(node, "medicallyDependent", "priority.medicallyDependent")) {
            return null;
        }
        JsonNode consent = node.path("consent");
        Timestamps.Reading reading = consent.path("at").isTextual() ? Timestamps.read(consent.get("at").asText())
                : new Timestamps.Reading(null, Timestamps.Refusal.INVALID);
        if (reading.refusal() == Timestamps.Refusal.OUT_OF_RANGE) {
            issue(reading.refusal().type(), "priority.consent.at", reading.refusal().reason("the time of the consent"));
            return null;
        }
        Instant at = reading.instant();
        if (at != null && at.isAfter(Instant.now().plus(java.time.Duration.ofDays(1)))) {
            // a consent is given before it is recorded (a day's leeway for clocks and time zones)
            issue("invalid-value", "priority.consent.at", "the time the person gave their consent, not a future one");
            return null;
        }
        String wording = consent.path("wording").isTextual() ? consent.get("wording").asText().strip() : "";
        if (at == null || wording.isEmpty() || wording.length() > 50) {
            issue("consent-required", "priority.consent",
                    "being prioritised is stored only with the person's consent: its time (ISO-8601) and wording version");
            return null;
        }
        return new PriorityConsent(at, wording);
    }

    private QuietHours quietHours(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        known(node, QUIET_FIELDS, "quietHours.", "the quiet hours");
        try {
            String fromText = node.path("from").asText("");
            String toText = node.path("to").asText("");
            if (!HH_MM.matcher(fromText).matches() || !HH_MM.matcher(toText).matches()) {
                // "22:00:30" would lose its seconds unsaid
                throw new DateTimeException("not HH:mm");
            }
            LocalTime from = LocalTime.parse(fromText);
            LocalTime to = LocalTime.parse(toText);
            if (from.equals(to)) {
                // an empty span would be stored and shown, and keep nothing quiet
                issue("invalid-value", "quietHours", "from and to are the same time: quiet hours need a span of at"
                        + " least a minute (22:00 to 07:00)");
                return null;
            }
            ZoneId zone = ZoneId.of(node.path("zone").asText("Europe/Rome"));
            if (zone.getRules().isFixedOffset() && !zone.normalized().equals(java.time.ZoneOffset.UTC)) {
                // "+01:00" or "GMT+1" is an hour off in Rome half the year: the times in messages too
                issue("invalid-value", "quietHours.zone", "a region such as Europe/Rome, whose clock changes with"
                        + " the seasons, not a fixed offset");
                return null;
            }
            return new QuietHours(from, to, zone);
        } catch (DateTimeException e) {
            issue("invalid-value", "quietHours", "from and to as HH:mm and zone as a time-zone id (Europe/Rome)");
            return null;
        }
    }

    /**
     * Every field of {@code node} is one of {@code fields}: a misspelt one ("medicallyDependant", "kind" for "kinds",
     * "verifed") is refused, never ignored, since ignoring it would register something else than what was meant.
     */
    private void known(JsonNode node, Set<String> fields, String prefix, String what) {
        known(node, fields, Set.of(), prefix, what);
    }

    /** Refuses unknown fields; {@code readOnly} ones are accepted, and ignored, in a replacement. */
    private void known(JsonNode node, Set<String> fields, Set<String> readOnly, String prefix, String what) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!fields.contains(field) && !(replacing && readOnly.contains(field))) {
                issue("unknown-field", prefix + field, "not a field of " + what);
            }
        }
    }

    /** A JSON boolean, false when absent; anything else ("yes", 1) is refused rather than read as false. */
    private boolean bool(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            issue("invalid-value", where, "true or false");
            return false;
        }
        return value.booleanValue();
    }

    private String text(JsonNode node, String field, int max, boolean required) {
        return text(node, field, max, required, field);
    }

    private String text(JsonNode node, String field, int max, boolean required, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                issue("required", where, "required");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            issue("invalid-value", where, "a non-empty string");
            return null;
        }
        String text = value.asText().strip();
        if (text.length() > max) {
            issue("too-long", where, "at most " + max + " characters");
            return null;
        }
        if (text.chars().anyMatch(ch -> Character.isISOControl(ch))) {
            issue("invalid-value", where, "control characters are not allowed");
            return null;
        }
        return text;
    }

    private <E extends Enum<E>> Set<E> enums(JsonNode node, String where, Class<E> type, Function<String, E> parse) {
        var result = new LinkedHashSet<E>();
        if (node == null || !node.isArray()) {
            issue("invalid-value", where, "an array of " + names(type));
            return result;
        }
        for (int i = 0; i < node.size(); i++) {
            E value = enumValue(node.get(i), where + "[" + i + "]", type, parse);
            if (value != null) {
                result.add(value);
            }
        }
        return result;
    }

    private <E extends Enum<E>> E enumValue(JsonNode node, String where, Class<E> type, Function<String, E> parse) {
        if (node == null || !node.isTextual()) {
            issue("invalid-value", where, "one of " + names(type));
            return null;
        }
        try {
            return parse.apply(node.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            issue("unknown-value", where, "one of " + names(type));
            return null;
        }
    }

    private static String names(Class<? extends Enum<?>> type) {
        return java.util.Arrays.toString(type.getEnumConstants());
    }

    private void issue(String slug, String where, String why) {
        issues.add(Issue.of(slug, where, why));
    }
}
