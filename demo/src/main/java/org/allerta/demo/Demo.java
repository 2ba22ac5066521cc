package org.allerta.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.allerta.contracts.Json;
import org.locationtech.jts.geom.Geometry;

/**
 * The city scenario of {@code ./allerta demo}, played through the public APIs against running services: citizens
 * registered by the city's app, then what a grid operator, a snow crew and civil protection publish. Each step waits
 * until it is complete (the dispatcher's statistics name the last revision whose matching and dispatch finished, and
 * the senders' backlog is empty), then prints what citizens received, counted at the SMTP server and the SMSC, beside
 * the event's statistics. Exits non-zero when the two disagree.
 */
public final class Demo {

    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(5);
    private static final String CONSENT = "Allerta demo: synthetic citizen, consent recorded by the city's app";

    private final Api api = new Api();
    private final Api.Endpoints at;
    private final String publisherKey;
    private final String adminKey;
    private final Options options;
    private final String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(ZonedDateTime.now());
    private final List<String> disagreements = new ArrayList<>();
    private final List<String> eventIds = new ArrayList<>();

    /** Command-line options. */
    record Options(Path register, String city, int citizens, long seed, String first, String next, String snow,
                   String cap) {

        static Options parse(String[] args) {
            Path register = Path.of("data/italy/alessandria-numeri-civici-EPSG3003.csv");
            String city = "Alessandria";
            int citizens = 3000;
            long seed = 2026;
            String first = "Orti";
            String next = "Galimberti";
            String snow = "Cristo";
            String cap = "Spinetta Marengo";
            for (int i = 0; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--register" -> register = Path.of(args[i + 1]);
                    case "--city" -> city = args[i + 1];
                    case "--citizens" -> citizens = Integer.parseInt(args[i + 1]);
                    case "--seed" -> seed = Long.parseLong(args[i + 1]);
                    case "--district" -> first = args[i + 1];
                    case "--next-district" -> next = args[i + 1];
                    case "--snow-district" -> snow = args[i + 1];
                    case "--cap-district" -> cap = args[i + 1];
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Options(register, city, citizens, seed, first, next, snow, cap);
        }
    }

    Demo(Api.Endpoints at, String publisherKey, String adminKey, Options options) {
        this.at = at;
        this.publisherKey = publisherKey;
        this.adminKey = adminKey;
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        String publisherKey = required("ALLERTA_PUBLISHER_KEY");
        String adminKey = required("ALLERTA_ADMIN_KEY");
        Demo demo = new Demo(Api.Endpoints.fromEnvironment(), publisherKey, adminKey, Options.parse(args));
        System.exit(demo.run() ? 0 : 1);
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            System.err.println(name + " is not set (./allerta demo sets it from .allerta/dev-credentials.env)");
            System.exit(2);
        }
        return value;
    }

    boolean run() throws Exception {
        register();
        Geometry first = districtArea(options.first());
        Geometry next = districtArea(options.next());

        title("Reach preview: a blackout over " + options.first() + " (POST /v1/reach, nothing is sent)");
        JsonNode reach = api.postJson(at.matcher() + "/v1/reach", publisherKey, Map.of("kind", "POWER_OUTAGE",
                "severity", "MODERATE", "geometry", Areas.write(first))).expect(200);
        line("would reach %s subscribers (%s places, %s prioritised) following power outages%s",
                count(reach, "subscribers"), count(reach, "places"), count(reach, "prioritised"),
                reach.has("withheldBelow") ? " (rounded down to a multiple of " + reach.get("withheldBelow").asInt()
                        + ", as a publisher's key is shown them)" : "");

        String blackout = "blackout-" + stamp;
        Instant eta = Instant.now().plus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MINUTES);
        ObjectNode event = outage(blackout, first, "ACTIVE", eta, options.first());
        Step step = publish("Blackout over " + options.first() + " (grid operator, POST /v1/events)", event);
        show(step);

        ((ObjectNode) event.get("properties")).put("expectedRestorationAt", eta.plus(90, ChronoUnit.MINUTES).toString());
        show(publish("The estimate changes: power back 90 minutes later (same publisherEventId, revision 2)", event));

        Geometry grown = Areas.union(first, next);
        event.set("geometry", Areas.write(grown));
        ((ObjectNode) event.get("properties")).put("areaDescription", options.first() + " e " + options.next());
        show(publish("The blackout grows to " + options.next() + " (revision 3)", event));

        ((ObjectNode) event.get("properties")).put("status", "RESOLVED");
        show(publish("Power is back (status RESOLVED)", event));

        snow();
        civilProtection();
        finish();
        return disagreements.isEmpty();
    }

    // ---------------------------------------------------------------- citizens

    private void register() throws Exception {
        title("Citizens: " + options.citizens() + " synthetic people at real " + options.city()
                + " addresses, registered through POST /v1/subscribers");
        var register = Citizens.register(options.register());
        var citizens = Citizens.generate(register, options.city(), options.citizens(), options.seed(),
                options.first(), 0.30, options.next(), 0.12, CONSENT, ZonedDateTime.now(Citizens.zone()));
        AtomicInteger created = new AtomicInteger();
        AtomicInteger existing = new AtomicInteger();
        List<String> refused = new ArrayList<>();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (Citizens.Citizen citizen : citizens) {
                work.add(pool.submit(() -> {
                    Api.Answer answer = api.postJson(at.dispatcher() + "/v1/subscribers", adminKey,
                            citizen.registration());
                    switch (answer.status()) {
                        case 201 -> created.incrementAndGet();
                        case 409 -> {
                            // registered by an earlier run, with quiet hours set around that run's moment: the
                            // registration says something else now, and a PUT moves them to now
                            existing.incrementAndGet();
                            String where = answer.location().orElse("");
                            Api.Answer moved = where.isEmpty() ? answer : api.put(
                                    (where.startsWith("http") ? "" : at.dispatcher()) + where, adminKey,
                                    "application/json", Json.toString(citizen.registration()));
                            if (moved.status() != 200) {
                                synchronized (refused) {
                                    refused.add(citizen.externalId() + ": registration not updated, HTTP "
                                            + moved.status() + " " + moved.text());
                                }
                            }
                        }
                        case 200 -> {
                            existing.incrementAndGet();
                            // registered by an earlier run: quiet hours are set around the moment of each run,
                            // so a later run moves them to now, as the line below says them
                            JsonNode quiet = citizen.registration().path("quietHours");
                            if (!quiet.isMissingNode() && !quiet.equals(answer.body().path("quietHours"))) {
                                Api.Answer moved = api.put(at.dispatcher() + "/v1/subscribers/"
                                        + answer.body().path("id").asText(), adminKey, "application/json",
                                        Json.toString(citizen.registration()));
                                if (moved.status() != 200) {
                                    synchronized (refused) {
                                        refused.add(citizen.externalId() + ": quiet hours not moved, HTTP "
                                                + moved.status() + " " + moved.text());
                                    }
                                }
                            }
                        }
                        default -> {
                            synchronized (refused) {
                                refused.add(citizen.externalId() + ": HTTP " + answer.status() + " " + answer.text());
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        line("%,d registered, %,d already registered (idempotent by externalId), %d refused, in %.1f s",
                created.get(), existing.get(), refused.size(), (System.nanoTime() - started) / 1e9);
        refused.stream().limit(5).forEach(r -> line("  refused %s", r));
        Map<String, Integer> channels = new TreeMap<>();
        Map<String, Integer> languages = new TreeMap<>();
        int quiet = 0;
        int prioritised = 0;
        int twoPlaces = 0;
        for (Citizens.Citizen c : citizens) {
            c.registration().get("channels").forEach(ch -> channels.merge(ch.get("type").asText(), 1, Integer::sum));
            languages.merge(c.registration().get("language").asText(), 1, Integer::sum);
            quiet += c.registration().has("quietHours") ? 1 : 0;
            prioritised += c.registration().has("priority") ? 1 : 0;
            twoPlaces += c.registration().get("places").size() > 1 ? 1 : 0;
        }
        line("channels %s; languages %s; %d with quiet hours now, %d prioritised, %d with two places",
                channels, languages, quiet, prioritised, twoPlaces);

        // geocoding is asynchronous: the matcher answers every place on places.geocoded
        String summaryUrl = at.dispatcher() + "/v1/subscribers/summary";
        await("the matcher to geocode every place", () -> api.get(summaryUrl, adminKey).expect(200)
                .path("places").path("PENDING").asLong() == 0);
        JsonNode summary = api.get(summaryUrl, adminKey).expect(200);
        line("registry: %,d subscribers; places %s; unresolved %s (GET /v1/subscribers/summary)",
                summary.get("subscribers").asLong(), summary.get("places"), summary.get("unresolved"));
        int shown = 0;
        for (Citizens.Citizen c : citizens) {
            if ((c.misspelt() && shown < 3) || c.unfindable()) {
                shown += c.misspelt() ? 1 : 0;
                String written = c.registration().get("places").get(0).get("address").asText();
                JsonNode geocoding = awaitGeocoding(c.externalId());
                line("  \"%s\" -> %s", written, geocoding.path("status").asText().equals("UNRESOLVED")
                        ? "UNRESOLVED (" + geocoding.path("reason").asText() + "): the app tells the citizen"
                        : geocoding.path("matchedAddress").asText() + " (" + geocoding.path("status").asText()
                        + ", confidence " + geocoding.path("confidence").asText() + ")");
            }
        }
    }

    private JsonNode awaitGeocoding(String externalId) throws InterruptedException {
        String url = at.dispatcher() + "/v1/subscribers?externalId=" + externalId;
        JsonNode[] geocoding = new JsonNode[1];
        await("the geocoding of " + externalId, () -> {
            JsonNode body = api.get(url, adminKey).expect(200);
            JsonNode subscriber = body.isArray() ? body.get(0) : body.has("items") ? body.get("items").get(0) : body;
            geocoding[0] = subscriber.get("places").get(0).path("geocoding");
            return geocoding[0].has("status");
        });
        return geocoding[0];
    }

    // ---------------------------------------------------------------- publishing

    private Geometry districtArea(String district) {
        JsonNode feature = api.get(at.matcher() + "/v1/gazetteer/districts/"
                + URLEncoder.encode(district, StandardCharsets.UTF_8).replace("+", "%20") + "/area", publisherKey)
                .expect(200);
        return Areas.read(feature.get("geometry"));
    }

    private ObjectNode outage(String id, Geometry area, String status, Instant eta, String where) {
        ObjectNode feature = Json.mapper().createObjectNode();
        feature.put("type", "Feature");
        feature.set("geometry", Areas.write(area));
        ObjectNode p = feature.putObject("properties");
        p.put("publisherEventId", id);
        p.put("kind", "POWER_OUTAGE");
        p.put("status", status);
        p.put("severity", "MODERATE");
        p.put("urgency", "IMMEDIATE");
        p.putObject("headline").put("it", "Interruzione di corrente a " + where)
                .put("en", "Power outage in " + where);
        p.putObject("description").put("it", "Guasto sulla rete di media tensione; le squadre sono al lavoro.")
                .put("en", "Fault on the medium-voltage network; crews are working on it.");
        p.put("areaDescription", where);
        p.put("startedAt", Instant.now().truncatedTo(ChronoUnit.MINUTES).toString());
        p.put("expectedRestorationAt", eta.toString());
        return feature;
    }

    /** One published revision and the statistics of its event before it. */
    private record Step(String title, String eventId, long revision, JsonNode before, long postedAt,
                        JsonNode peersBefore) {
    }

    private Step publish(String title, ObjectNode feature) {
        title(title);
        Before before = before();
        long postedAt = System.nanoTime();
        Api.Answer answer = api.post(at.intake() + "/v1/events", publisherKey, "application/geo+json",
                Json.toString(feature));
        JsonNode accepted = answer.expect(202);
        return accepted(title, accepted, answer, postedAt, before);
    }

    /**
     * Where the peers and the statistics of every event shown so far stood before a step was posted: the step's
     * figures are differences from it. Taken before the request, since the first notices may follow its answer at
     * once; an event the step creates starts from nothing.
     */
    private record Before(JsonNode peers, Map<String, JsonNode> stats) {
    }

    private Before before() {
        Map<String, JsonNode> stats = new java.util.HashMap<>();
        for (String eventId : eventIds) {
            stats(eventId).ifPresent(s -> stats.put(eventId, s));
        }
        return new Before(peerCounts(), stats);
    }

    private Step accepted(String title, JsonNode accepted, Api.Answer answer, long postedAt, Before before) {
        String eventId = accepted.get("eventId").asText();
        if (!eventIds.contains(eventId)) {
            eventIds.add(eventId);
        }
        line("%d %s: event %s revision %d (%s)", answer.status(), answer.status() == 202 ? "Accepted" : "OK",
                eventId, accepted.get("revision").asLong(), accepted.get("status").asText());
        return new Step(title, eventId, accepted.get("revision").asLong(), before.stats().get(eventId), postedAt,
                before.peers());
    }

    private void snow() {
        String zone = "demo-" + options.snow().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        Geometry area = districtArea(options.snow());
        title("Snow crews: zone " + zone + " (" + options.snow() + ") registered once with PUT /v1/zones/" + zone);
        ObjectNode feature = Json.mapper().createObjectNode();
        feature.put("type", "Feature");
        feature.putObject("properties").put("name", "Zona " + options.snow());
        feature.set("geometry", Areas.write(area));
        JsonNode registered = api.put(at.intake() + "/v1/zones/" + zone, publisherKey, "application/geo+json",
                Json.toString(feature)).expect(200, 201);
        line("zone registered");
        // an earlier run stopped midway may have left the zone's event open: the next status revises it, and its
        // figures so far are the baseline of this run's steps, as for the events this run started
        JsonNode open = registered.path("openEventId");
        if (open.isTextual() && !eventIds.contains(open.asText())) {
            eventIds.add(open.asText());
            line("the zone's event %s is still open from an earlier run: this run goes on with it", open.asText());
        }
        String[][] statuses = {
            {"NOT_STARTED", "Neve: strade non ancora pulite", "2"},
            {"IN_PROGRESS", "Spazzaneve al lavoro nella zona", "1"},
            {"CLEARED", "Strade pulite", "0"}};
        for (String[] s : statuses) {
            title("Snow zone " + options.snow() + " -> " + s[0] + " (POST /v1/zones/" + zone + "/status)");
            Before before = before();
            long postedAt = System.nanoTime();
            ObjectNode change = Json.mapper().createObjectNode().put("status", s[0]).put("note", s[1]);
            if (!s[2].equals("0")) {
                change.put("expectedAt", Instant.now().plus(Long.parseLong(s[2]), ChronoUnit.HOURS)
                        .truncatedTo(ChronoUnit.MINUTES).toString());
            }
            Api.Answer answer = api.postJson(at.intake() + "/v1/zones/" + zone + "/status", publisherKey, change);
            show(accepted("snow zone " + s[0], answer.expect(200, 202), answer, postedAt, before));
        }
    }

    private void civilProtection() {
        Geometry area = districtArea(options.cap());
        String identifier = "allerta-demo-" + stamp + "-piena";
        String sent = ZonedDateTime.now(Citizens.zone()).truncatedTo(ChronoUnit.SECONDS)
                .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String cap = """
                <?xml version="1.0" encoding="UTF-8"?>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
                  <identifier>%s</identifier>
                  <sender>protezione.civile@alessandria.example</sender>
                  <sent>%s</sent>
                  <status>Actual</status>
                  <msgType>Alert</msgType>
                  <scope>Public</scope>
                  <info>
                    <language>it-IT</language>
                    <category>Met</category>
                    <event>Piena del fiume Bormida</event>
                    <urgency>Immediate</urgency>
                    <severity>Severe</severity>
                    <certainty>Likely</certainty>
                    <headline>Allerta piena del Bormida a %s</headline>
                    <description>Il livello del fiume Bormida supera la soglia di guardia.</description>
                    <instruction>Non sostare sui ponti e negli scantinati; raggiungete i piani alti.</instruction>
                    <area><areaDesc>%s</areaDesc><polygon>%s</polygon></area>
                  </info>
                  <info>
                    <language>en-GB</language>
                    <category>Met</category>
                    <event>Bormida river flood</event>
                    <urgency>Immediate</urgency>
                    <severity>Severe</severity>
                    <certainty>Likely</certainty>
                    <headline>Bormida flood warning in %s</headline>
                    <description>The Bormida river is above its warning level.</description>
                    <instruction>Keep off bridges and out of basements; go to upper floors.</instruction>
                    <area><areaDesc>%s</areaDesc><polygon>%s</polygon></area>
                  </info>
                </alert>
                """.formatted(identifier, sent, options.cap(), options.cap(), Areas.capPolygon(area), options.cap(),
                options.cap(), Areas.capPolygon(area));
        String title = "Civil protection: a CAP 1.2 flood alert over " + options.cap() + " (POST /v1/cap)";
        title(title);
        Before before = before();
        long postedAt = System.nanoTime();
        Api.Answer answer = api.post(at.intake() + "/v1/cap", publisherKey, "application/cap+xml", cap);
        show(accepted(title, answer.expect(202), answer, postedAt, before));
    }

    // ---------------------------------------------------------------- waiting and showing

    private java.util.Optional<JsonNode> stats(String eventId) {
        Api.Answer answer = api.get(at.dispatcher() + "/v1/events/" + eventId + "/stats", publisherKey);
        return answer.status() == 200 ? java.util.Optional.of(answer.body()) : java.util.Optional.empty();
    }

    private JsonNode peerCounts() {
        return api.get(at.peers() + "/counts", null).expect(200);
    }

    private void show(Step step) {
        JsonNode[] plan = new JsonNode[1];
        long firstJob = -1;
        Instant deadline = Instant.now().plus(STEP_TIMEOUT);
        JsonNode now;
        while (true) {
            now = stats(step.eventId()).orElse(null);
            if (now != null) {
                if (firstJob < 0 && total(now.get("notified")) > total(step.before() == null ? null
                        : step.before().get("notified"))) {
                    firstJob = System.nanoTime();
                }
                if (total(now.get("backlog")) > (plan[0] == null ? 0 : total(plan[0].get("backlog")))) {
                    plan[0] = now;
                }
                if (now.get("lastRevisionComplete").asLong() >= step.revision() && total(now.get("backlog")) == 0) {
                    break;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("step not complete after " + STEP_TIMEOUT + ": " + now);
            }
            pause();
        }
        double seconds = (System.nanoTime() - step.postedAt()) / 1e9;
        JsonNode before = step.before();
        // SMS delivery receipts follow the submission by a moment: wait for them too
        long smsNotified = delta(now, before, "notified", "SMS");
        JsonNode last = now;
        Instant dlrDeadline = Instant.now().plusSeconds(20);
        while (last.get("delivered").asLong() - value(before, "delivered") < smsNotified
                - (last.get("failed").asLong() - value(before, "failed"))
                - (last.path("superseded").asLong() - value(before, "superseded"))
                && Instant.now().isBefore(dlrDeadline)) {
            pause();
            last = stats(step.eventId()).orElse(last);
        }
        now = last;
        JsonNode peers = peerCounts();

        line("complete in %.1f s%s: %,d subscribers matched so far", seconds, firstJob < 0 ? ""
                : String.format(Locale.ROOT, " (first notice emitted after %.2f s)",
                (firstJob - step.postedAt()) / 1e9), now.get("matched").asLong());
        line("notices this step: %s", perKey(now.get("notifiedPerChange"), before, "notifiedPerChange"));
        line("  per channel:      %s", perKey(now.get("notified"), before, "notified"));
        line("held for quiet hours now, for this event (sent when they end): %,d", now.get("held").asLong());
        if (plan[0] != null) {
            StringBuilder text = new StringBuilder();
            plan[0].get("backlog").fields().forEachRemaining(e -> {
                if (e.getValue().asLong() > 0) {
                    JsonNode drain = plan[0].path("estimatedDrainSeconds").path(e.getKey());
                    // not yet confirmed: emitted, and no SENT or FAILED receipt back yet (the sender may be done
                    // with them already, its receipts on their way: then the last one is out in ~0 s)
                    text.append(String.format(Locale.ROOT, "%s %,d not yet confirmed sent, %s; ", e.getKey(),
                            e.getValue().asLong(), drain.isNumber()
                                    ? String.format(Locale.ROOT, "the last out in ~%.1f s", drain.asDouble())
                                    : "no estimate yet"));
                }
            });
            line("send plan at its longest: %s", text);
        }
        line("senders: sent %,d, delivered %,d (SMS receipts), failed %,d, superseded %,d",
                delta(now, before, "sent"), delta(now, before, "delivered"), delta(now, before, "failed"),
                delta(now, before, "superseded"));
        long sms = peers.get("sms").asLong() - step.peersBefore().get("sms").asLong();
        long mail = peers.get("mail").asLong() - step.peersBefore().get("mail").asLong();
        long push = hook(peers, step.peersBefore(), "push");
        long whatsapp = hook(peers, step.peersBefore(), "whatsapp");
        long telegram = hook(peers, step.peersBefore(), "telegram");
        line("received by the peers: SMSC %,d SMS, mailbox %,d e-mails, push %,d, WhatsApp %,d, Telegram %,d",
                sms, mail, push, whatsapp, telegram);
        check(step, "SMS", sms, now, before);
        check(step, "EMAIL", mail, now, before);
        check(step, "PUSH", push, now, before);
        check(step, "WHATSAPP", whatsapp, now, before);
        check(step, "TELEGRAM", telegram, now, before);
        samples(step.peersBefore());
    }

    private void check(Step step, String channel, long received, JsonNode now, JsonNode before) {
        long notified = delta(now, before, "notified", channel);
        if (notified != received) {
            String text = String.format(Locale.ROOT, "%s: %s notices %d, received %d", step.title(), channel,
                    notified, received);
            disagreements.add(text);
            line("  DISAGREEMENT %s", text);
        }
    }

    private void samples(JsonNode peersBefore) {
        JsonNode sms = api.get(at.peers() + "/sms?from=" + peersBefore.get("sms").asLong(), null).expect(200);
        JsonNode mail = api.get(at.peers() + "/mail?from=" + peersBefore.get("mail").asLong(), null).expect(200);
        line("as received:");
        int shown = 0;
        for (JsonNode m : sms) {
            if (shown++ >= 2) {
                break;
            }
            line("  SMS to %s (%s, %d part%s):", m.get("destination").asText(), m.get("encoding").asText(),
                    m.get("segments").asInt(), m.get("segments").asInt() == 1 ? "" : "s");
            line("    %s", m.get("text").asText().replace("\n", "\n    "));
        }
        shown = 0;
        for (JsonNode m : mail) {
            if (shown++ >= 1) {
                break;
            }
            line("  E-mail to %s, subject \"%s\":", m.get("to").asText(), m.get("subject").asText());
            String text = m.path("text").asText();
            String[] lines = text.split("\r?\n");
            for (int i = 0; i < Math.min(lines.length, 8); i++) {
                line("    %s", lines[i]);
            }
        }
    }

    private void finish() {
        title("Summary");
        for (String eventId : eventIds) {
            JsonNode s = stats(eventId).orElse(null);
            if (s != null) {
                line("event %s: matched %,d, notices %,d %s, sent %,d, delivered %,d, failed %,d, read %,d,"
                        + " clicked %,d", eventId, s.get("matched").asLong(), total(s.get("notified")),
                        s.get("notifiedPerChange"), s.get("sent").asLong(), s.get("delivered").asLong(),
                        s.get("failed").asLong(), s.get("read").asLong(), s.get("clicked").asLong());
            }
        }
        if (disagreements.isEmpty()) {
            line("Every step: the notices in GET /v1/events/{id}/stats are exactly what the SMSC, the mailbox"
                    + " and the webhook peer received.");
        } else {
            line("%d disagreement(s) between the statistics and the peers:", disagreements.size());
            disagreements.forEach(d -> line("  %s", d));
        }
        if (!eventIds.isEmpty()) {
            String id = eventIds.get(0);
            line("");
            line("Statistics:  curl -H \"Authorization: Bearer $ALLERTA_PUBLISHER_KEY\" %s/v1/events/%s/stats",
                    at.dispatcher(), id);
            line("Public page: %s/e/%s", at.dispatcher(), id);
        }
    }

    // ---------------------------------------------------------------- small things

    private static long hook(JsonNode now, JsonNode before, String channel) {
        return now.path("webhook").path(channel).asLong() - before.path("webhook").path(channel).asLong();
    }

    private static long total(JsonNode map) {
        long sum = 0;
        if (map != null) {
            for (JsonNode v : map) {
                sum += v.asLong();
            }
        }
        return sum;
    }

    private static long value(JsonNode stats, String field) {
        return stats == null ? 0 : stats.path(field).asLong();
    }

    private static long delta(JsonNode now, JsonNode before, String field) {
        return now.path(field).asLong() - value(before, field);
    }

    private static long delta(JsonNode now, JsonNode before, String field, String key) {
        return now.path(field).path(key).asLong() - (before == null ? 0 : before.path(field).path(key).asLong());
    }

    private static String perKey(JsonNode now, JsonNode before, String field) {
        StringBuilder text = new StringBuilder();
        now.fields().forEachRemaining(e -> {
            long d = e.getValue().asLong() - (before == null ? 0 : before.path(field).path(e.getKey()).asLong());
            if (d != 0) {
                text.append(text.isEmpty() ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%,d", d));
            }
        });
        return text.isEmpty() ? "none" : text.toString();
    }

    /** A condition the demo waits for. */
    interface Condition {
        boolean met() throws Exception;
    }

    private static void await(String what, Condition condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(STEP_TIMEOUT);
        while (true) {
            try {
                if (condition.met()) {
                    return;
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("waiting for " + what + ": " + e.getMessage(), e);
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("gave up waiting for " + what + " after " + STEP_TIMEOUT);
            }
            Thread.sleep(250);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void title(String text) {
        System.out.println();
        System.out.println("== " + text + " ==");
    }

    private static void line(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    /** A count of the reach preview; one too small to be shown to a publisher's key is said to be so. */
    private static String count(JsonNode reach, String field) {
        JsonNode n = reach.get(field);
        return n != null && n.isNumber() ? String.format("%,d", n.asLong())
                : "fewer than " + reach.path("withheldBelow").asInt();
    }
}
