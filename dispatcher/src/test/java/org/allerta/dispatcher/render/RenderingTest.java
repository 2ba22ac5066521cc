package org.allerta.dispatcher.render;

import org.allerta.contracts.sms.Sms;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.ZoneStatus;
import org.allerta.dispatcher.render.NoticeInput.PlaceRef;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/** Golden notices (read and judged as a citizen would) and properties over every kind, change, language, channel. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class RenderingTest {

    @Inject
    Renderer renderer;

    private static final List<PlaceRef> SCHOOL = List.of(new PlaceRef(PlaceCategory.SCHOOL, "Scuola di Luca", null));
    private static final List<PlaceRef> TWO = List.of(new PlaceRef(PlaceCategory.HOME, "Casa", "Via Dazio 90/H"),
            new PlaceRef(PlaceCategory.WORK, null, "Corso Roma 10"));

    private String render(String lang, EventKind kind, EventStatus status, ZoneStatus zone, Change change,
                          List<PlaceRef> places, Channel channel) {
        Rendered r = renderer.notice(Samples.input("Giulia", lang, Samples.event(kind, status, zone), change, places),
                channel);
        return (r.subject() == null ? "" : r.subject() + " || ") + r.text().replace("\n", "\\n");
    }

    private Map<String, String> rendered(String l) {
        var m = new HashMap<String, String>();
        m.put("sms power affected", render(l, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null, Change.AFFECTED,
                Samples.home(), Channel.SMS));
        m.put("sms power updated", render(l, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null, Change.UPDATED,
                Samples.home(), Channel.SMS));
        m.put("sms power left", render(l, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null,
                Change.NO_LONGER_AFFECTED, Samples.home(), Channel.SMS));
        m.put("sms power resolved", render(l, EventKind.POWER_OUTAGE, EventStatus.RESOLVED, null, Change.RESOLVED,
                Samples.home(), Channel.SMS));
        m.put("sms water cancelled", render(l, EventKind.WATER_OUTAGE, EventStatus.CANCELLED, null, Change.RESOLVED,
                Samples.home(), Channel.SMS));
        m.put("sms snow not started", render(l, EventKind.ROAD_CLEARING, EventStatus.ACTIVE, ZoneStatus.NOT_STARTED,
                Change.AFFECTED, Samples.home(), Channel.SMS));
        m.put("sms snow in progress", render(l, EventKind.ROAD_CLEARING, EventStatus.ACTIVE, ZoneStatus.IN_PROGRESS,
                Change.UPDATED, Samples.home(), Channel.SMS));
        m.put("sms snow left", render(l, EventKind.ROAD_CLEARING, EventStatus.ACTIVE, ZoneStatus.NOT_STARTED,
                Change.NO_LONGER_AFFECTED, Samples.home(), Channel.SMS));
        // its heading names the notice, not the state of the roads the person left
        m.put("push snow left", render(l, EventKind.ROAD_CLEARING, EventStatus.ACTIVE, ZoneStatus.NOT_STARTED,
                Change.NO_LONGER_AFFECTED, Samples.home(), Channel.PUSH));
        m.put("sms school", render(l, EventKind.SCHOOL_CLOSURE, EventStatus.ACTIVE, null, Change.AFFECTED, SCHOOL,
                Channel.SMS));
        m.put("whatsapp gas two places", render(l, EventKind.GAS_OUTAGE, EventStatus.ACTIVE, null, Change.AFFECTED,
                TWO, Channel.WHATSAPP));
        m.put("sms civil", render(l, EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, null, Change.AFFECTED,
                Samples.home(), Channel.SMS));
        m.put("push civil", render(l, EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, null, Change.AFFECTED,
                Samples.home(), Channel.PUSH));
        m.put("email resolved", render(l, EventKind.POWER_OUTAGE, EventStatus.RESOLVED, null, Change.RESOLVED,
                Samples.home(), Channel.EMAIL));
        // what to do is not repeated once the alert is over; a heading says what the notice tells
        m.put("sms civil resolved", render(l, EventKind.CIVIL_PROTECTION, EventStatus.RESOLVED, null,
                Change.RESOLVED, Samples.home(), Channel.SMS));
        m.put("push power resolved", render(l, EventKind.POWER_OUTAGE, EventStatus.RESOLVED, null, Change.RESOLVED,
                Samples.home(), Channel.PUSH));
        m.put("sms school resolved", render(l, EventKind.SCHOOL_CLOSURE, EventStatus.RESOLVED, null,
                Change.RESOLVED, SCHOOL, Channel.SMS));
        m.put("email power left", render(l, EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null,
                Change.NO_LONGER_AFFECTED, Samples.home(), Channel.EMAIL));
        return m;
    }

    @Test
    void goldenNoticesInItalianAndEnglish() throws IOException {
        var expected = new HashMap<String, String>();
        try (InputStream in = getClass().getResourceAsStream("/golden/notices.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\|", 3);
                expected.put(parts[0] + "|" + parts[1], parts[2]);
            }
        }
        // what was rendered, in the golden file's form, for a reader to judge a change of wording
        var actual = new StringBuilder();
        for (String lang : List.of("it", "en")) {
            new java.util.TreeMap<>(rendered(lang)).forEach((label, text) ->
                    actual.append(lang).append('|').append(label).append('|').append(text).append('\n'));
        }
        java.nio.file.Files.createDirectories(java.nio.file.Path.of("target"));
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "notices.rendered.txt"), actual);
        assertThat(expected).hasSize(36);
        for (String lang : List.of("it", "en")) {
            rendered(lang).forEach((label, text) ->
                    assertThat(text).as(lang + " " + label).isEqualTo(expected.get(lang + "|" + label)));
        }
    }

    /** A civil-protection headline that is a question or an exclamation keeps its own mark, and gets no full stop. */
    @Test
    void anInstructionKeepsItsOwnFinalMark() {
        for (String headline : List.of("Evacuare i piani bassi?", "Evacuare i piani bassi!", "Evacuare i piani bassi")) {
            AlertEvent base = Samples.event(EventKind.CIVIL_PROTECTION, EventStatus.ACTIVE, null);
            AlertEvent event = new AlertEvent(base.eventId(), base.revision(), base.publisherId(),
                    base.publisherEventId(), base.kind(), base.status(), base.severity(), base.urgency(), base.test(),
                    base.area(), base.areaDescription(), Map.of("it", headline), base.description(), base.startedAt(),
                    base.expectedRestorationAt(), base.expiresAt(), base.sentAt(), base.receivedAt(), base.references(),
                    base.zone());
            String sms = renderer.notice(Samples.input("Giulia", "it", event, Change.AFFECTED, Samples.home()),
                    Channel.SMS).text();
            String expected = headline.endsWith("bassi") ? headline + ". " : headline + " ";
            assertThat(sms).as(headline).contains(expected).doesNotContain("?.").doesNotContain("!.");
        }
    }

    @Test
    void everyKindChangeLanguageAndChannelIsComplete() {
        String hostile = "<script>alert(1)</script> {m.name} {#if true}x{/if} & \"quotes\"";
        String escapedHostile = "&lt;script&gt;alert(1)&lt;/script&gt; {m.name} {#if true}x{/if} &amp; &quot;quotes&quot;";
        for (EventKind kind : EventKind.values()) {
            for (Change change : Change.values()) {
                for (String lang : List.of("it", "en")) {
                    for (Channel channel : Channel.values()) {
                        for (boolean cancelled : List.of(false, true)) {
                            EventStatus status = change == Change.RESOLVED
                                    ? (cancelled ? EventStatus.CANCELLED : EventStatus.RESOLVED) : EventStatus.ACTIVE;
                            ZoneStatus zone = kind == EventKind.ROAD_CLEARING ? ZoneStatus.IN_PROGRESS : null;
                            AlertEvent event = new AlertEvent("ev-p", 3, "pub", "x", kind, status, Severity.SEVERE,
                                    Urgency.IMMEDIATE, false, null, hostile, Map.of("it", hostile, "en", hostile),
                                    Map.of("it", hostile), Instant.parse("2026-11-27T06:00:00Z"),
                                    Instant.parse("2026-11-29T20:30:00Z"), null, Samples.NOW, Samples.NOW, List.of(),
                                    zone == null ? null : new org.allerta.contracts.ZoneRef("z", "Z", zone, null,
                                            null));
                            var input = new NoticeInput("Anna Maria", lang, java.time.ZoneId.of("Europe/Rome"), event,
                                    change, Samples.home(), hostile, Samples.BASE + "/r/" + Samples.TOKEN,
                                    Samples.BASE + "/u/" + Samples.TOKEN, Samples.BASE + "/o/x.gif", Samples.NOW);
                            Rendered r = renderer.notice(input, channel);
                            var shortLinks = new NoticeInput(input.name(), lang, input.zone(), event, change,
                                    input.places(), input.publisher(), "https://alr.it/r/" + Samples.TOKEN,
                                    input.unsubscribe(), input.pixel(), input.now());
                            String where = kind + " " + change + " " + lang + " " + channel + " " + cancelled;
                            for (String part : new String[] {r.subject(), r.text(), r.html()}) {
                                if (part == null) {
                                    continue;
                                }
                                // publisher text is printed as it is (escaped in HTML), never evaluated
                                String ours = part.replace(hostile, "").replace(escapedHostile, "")
                                        .replace(Sms.plain(hostile), "");
                                assertThat(ours).as(where).doesNotContainPattern("\\bnull\\b").doesNotContain("NOT_FOUND")
                                        .doesNotContain("{").doesNotContain("}").doesNotContain("<script>");
                            }
                            assertThat(r.text()).as(where).startsWith("Anna Maria, ");
                            if (channel != Channel.PUSH) {
                                assertThat(r.text()).as(where).contains(Samples.BASE + "/r/" + Samples.TOKEN);
                            }
                            if (channel == Channel.SMS) {
                                assertThat(Sms.encoding(r.text())).as(where).isEqualTo(Sms.Encoding.GSM7);
                                if (kind != EventKind.CIVIL_PROTECTION) {
                                    String text = renderer.notice(shortLinks, channel).text();
                                    assertThat(Sms.segments(text)).as(where + ": " + text).isEqualTo(1);
                                }
                            }
                            if (channel == Channel.EMAIL) {
                                assertThat(r.html()).as(where).doesNotContain("<script>").contains("&lt;script&gt;");
                                assertThat(r.html()).contains(Samples.BASE + "/u/" + Samples.TOKEN);
                                assertThat(r.headers()).containsEntry("List-Unsubscribe-Post",
                                        "List-Unsubscribe=One-Click");
                                assertThat(r.headers().get("List-Unsubscribe")).isEqualTo(
                                        "<" + Samples.BASE + "/u/" + Samples.TOKEN + ">");
                                assertThat(r.text()).as(where).contains(Samples.BASE + "/u/" + Samples.TOKEN);
                            }
                            if (change == Change.AFFECTED && channel != Channel.PUSH) {
                                assertThat(r.text()).as(where).contains("29/11");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void smsTellsALongAddressShorterButNeverCutsAWord() {
        var places = List.of(new PlaceRef(PlaceCategory.HOME, "Casa",
                "Spalto Borgoglio angolo Via Giacomo Matteotti 129 scala B interno 14"));
        for (String lang : List.of("it", "en")) {
            for (Change change : Change.values()) {
                Rendered r = renderer.notice(Samples.input("Maria Giovanna", lang, Samples.event(EventKind.POWER_OUTAGE,
                        change == Change.RESOLVED ? EventStatus.RESOLVED : EventStatus.ACTIVE, null), change, places),
                        Channel.SMS);
                assertThat(Sms.segments(r.text())).as(r.text()).isLessThanOrEqualTo(2);
                assertThat(r.text()).endsWith(Samples.TOKEN).contains("Maria Giovanna, ");
                assertThat(r.text()).doesNotContain("Spalto Borgoglio angolo");
            }
        }
    }

    @Test
    void peopleToldInTheSameWordsEachGetTheirOwnNamePlaceAndLinks() {
        var event = Samples.event(EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null);
        var marta = new NoticeInput("Marta & <Zoë>", "it", java.time.ZoneId.of("Europe/Rome"), event,
                Change.AFFECTED, List.of(new PlaceRef(PlaceCategory.HOME, "Casa", "Via Milano 3")),
                "Distribuzione Elettrica Alessandria", "https://a.example/r/tokenMartaAAAAAAAAAAA",
                "https://a.example/u/tokenMartaAAAAAAAAAAA", "https://a.example/o/tokenMartaAAAAAAAAAAA.gif",
                Samples.NOW);
        for (Channel channel : Channel.values()) {
            Rendered giulia = renderer.notice(Samples.input("Giulia", "it", event, Change.AFFECTED, Samples.home()),
                    channel);
            Rendered first = renderer.notice(marta, channel);
            Rendered again = renderer.notice(marta, channel);
            assertThat(again).as(channel + ": the same person, the same message").isEqualTo(first);
            assertThat(first.text()).as(channel.name()).doesNotContain("Giulia").doesNotContain(Samples.TOKEN)
                    .doesNotContain("Dazio").doesNotContainPattern("[\\u0001-\\u0005]");
            assertThat(giulia.text()).as(channel.name()).doesNotContain("Marta").doesNotContain("tokenMarta");
            if (channel != Channel.PUSH) {
                assertThat(first.text()).as(channel.name()).contains("tokenMartaAAAAAAAAAAA");
            }
            if (channel != Channel.PUSH && channel != Channel.EMAIL) {
                // the SMS writes Zoë as Zoe (GSM-7 has no ë): one segment of GSM-7, with room for the address
                assertThat(first.text()).as(channel.name()).contains("Marta & <Zo")
                        .contains("la tua casa in Via Milano 3");
            }
            if (channel == Channel.SMS) {
                assertThat(first.text()).contains("Marta & <Zoe>");
                assertThat(org.allerta.contracts.sms.Sms.encoding(first.text()))
                        .isEqualTo(org.allerta.contracts.sms.Sms.Encoding.GSM7);
                assertThat(org.allerta.contracts.sms.Sms.segments(first.text())).isEqualTo(1);
            }
            if (channel == Channel.EMAIL) {
                assertThat(first.html()).contains("Marta &amp; &lt;Zoë&gt;").doesNotContain("Giulia");
                assertThat(first.headers().get("List-Unsubscribe")).contains("tokenMarta");
            }
        }
    }

    /**
     * A notice held through the night and sent in the morning does not quote an estimate that has already passed
     * ("expected back at 02:00" read at 07:00); while the estimate is ahead, it is told.
     */
    @Test
    void anEstimateAlreadyPastIsNotToldAsExpected() {
        for (String lang : List.of("it", "en")) {
            AlertEvent event = Samples.event(EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null);
            for (Channel channel : List.of(Channel.SMS, Channel.EMAIL)) {
                Rendered ahead = renderer.notice(Samples.input("Giulia", lang, event, Change.AFFECTED, Samples.home()),
                        channel);
                var late = Samples.input("Giulia", lang, event, Change.AFFECTED, Samples.home());
                late = new NoticeInput(late.name(), lang, late.zone(), event, late.change(), late.places(),
                        late.publisher(), late.link(), late.unsubscribe(), late.pixel(),
                        event.expectedRestorationAt().plusSeconds(3600));
                Rendered past = renderer.notice(late, channel);
                String expected = Phrases.expected(lang, EventKind.POWER_OUTAGE);
                assertThat(ahead.text()).as(lang + " " + channel).contains("18:00").contains(expected);
                assertThat(past.text()).as(lang + " " + channel).doesNotContain("18:00").doesNotContain(expected);
                if (past.html() != null) {
                    assertThat(past.html()).doesNotContain("18:00");
                }
            }
        }
    }

    /** The verb agrees with the places named; a withdrawn snow-clearing notice names the clearing. */
    @Test
    void severalPlacesTakeThePluralAndAWithdrawnClearingIsNamedAsSuch() {
        var two = List.of(new PlaceRef(PlaceCategory.HOME, "Casa", "Via Dazio 90/H"),
                new PlaceRef(PlaceCategory.WORK, "Ufficio", "Via Roma 1"));
        var event = Samples.event(EventKind.POWER_OUTAGE, EventStatus.ACTIVE, null);
        assertThat(renderer.notice(Samples.input("Giulia", "it", event, Change.NO_LONGER_AFFECTED, two),
                Channel.TELEGRAM).text()).contains("e un altro tuo luogo non sono più nella zona");
        assertThat(renderer.notice(Samples.input("Giulia", "en", event, Change.NO_LONGER_AFFECTED, two),
                Channel.TELEGRAM).text()).contains("and one more of your places are no longer in the area");
        assertThat(renderer.notice(Samples.input("Giulia", "it", event, Change.NO_LONGER_AFFECTED, Samples.home()),
                Channel.TELEGRAM).text()).contains("non è più nella zona");

        var withdrawn = Samples.event(EventKind.ROAD_CLEARING, EventStatus.CANCELLED,
                org.allerta.contracts.ZoneStatus.NOT_STARTED);
        Rendered it = renderer.notice(Samples.input("Giulia", "it", withdrawn, Change.RESOLVED, Samples.home()),
                Channel.EMAIL);
        assertThat(it.text()).contains("l'avviso di sgombero neve").doesNotContain("non ancora");
        assertThat(it.subject()).startsWith("Avviso annullato: sgombero neve");
        Rendered en = renderer.notice(Samples.input("Giulia", "en", withdrawn, Change.RESOLVED, Samples.home()),
                Channel.EMAIL);
        assertThat(en.text()).contains("the snow clearing notice");
        assertThat(en.subject()).startsWith("Withdrawn: snow clearing");
    }

    @Test
    void verificationCodesAreShortAndLocalised() {
        Rendered it = renderer.verification("it", Channel.SMS, "042137");
        Rendered en = renderer.verification("en", Channel.EMAIL, "042137");
        assertThat(it.text()).isEqualTo("Allerta: il tuo codice di verifica è 042137. Vale 24 ore. "
                + "Se non l'hai chiesto tu, ignora questo messaggio.");
        assertThat(Sms.segments(it.text())).isEqualTo(1);
        assertThat(en.subject()).isEqualTo("Your Allerta verification code");
        assertThat(en.text()).contains("042137");
    }
}
