package org.allerta.dispatcher.render;

import org.allerta.contracts.sms.Sms;

import io.quarkus.qute.Engine;
import io.quarkus.qute.Template;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.ZoneStatus;
import org.allerta.dispatcher.render.NoticeInput.PlaceRef;

/**
 * Renders personal messages with the Qute templates of {@code templates/notice} and {@code templates/verification}:
 * SMS (also WhatsApp and Telegram), push (title and body) and e-mail (subject, plain text, HTML with one-click
 * unsubscribe). An SMS aims at one 160-character GSM-7 segment: when the full wording does not fit, the same
 * sentence is told shorter (no "since", no thanks, the place without its address); words are never cut.
 */
@ApplicationScoped
public class Renderer {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("dd/MM");

    private final Engine engine;

    Renderer(Engine engine) {
        this.engine = engine;
    }

    /** The notice for one channel. */
    public Rendered notice(NoticeInput input, Channel channel) {
        String language = language(input.language());
        NoticeModel model = model(input, language);
        return switch (channel) {
            case SMS -> sms(model, language, input);
            case WHATSAPP, TELEGRAM -> new Rendered(null, render("notice/sms", language, model), null, Map.of());
            case PUSH -> new Rendered(model.title(), render("notice/push", language, model), null, Map.of());
            case EMAIL -> new Rendered(render("notice/subject", language, model),
                    render("notice/email", language, model), renderHtml(language, model), Map.of(
                    "List-Unsubscribe", "<" + input.unsubscribe() + ">",
                    "List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
        };
    }

    /** The one-time code message that verifies a new channel. */
    public Rendered verification(String language, Channel channel, String code) {
        String lang = language(language);
        String text = engine.getTemplate("verification/text." + lang + ".txt").data("code", code).render().strip();
        String subject = channel == Channel.EMAIL || channel == Channel.PUSH
                ? engine.getTemplate("verification/subject." + lang + ".txt").render().strip() : null;
        return new Rendered(subject, channel == Channel.SMS ? Sms.plain(text) : text, null, Map.of());
    }

    /**
     * The SMS: the full wording when it fits one segment, else shorter wordings in turn (brief, without "since
     * when", the place named more briefly), each rendered only when the one before did not fit; the last one is
     * sent whatever its length.
     */
    private Rendered sms(NoticeModel model, String language, NoticeInput input) {
        String text = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            NoticeModel candidate = switch (attempt) {
                case 0 -> model;
                case 1 -> model.brief();
                case 2 -> model.withoutSince();
                default -> model.withPlace(placePhrase(language, input.places(), false));
            };
            text = Sms.plain(render("notice/sms", language, candidate));
            if (Sms.segments(text) == 1) {
                break;
            }
        }
        return new Rendered(null, text, null, Map.of());
    }

    /**
     * A plain-text notice. Everyone told of the same event in the same words shares the rendering but for their
     * name, place and links: the template runs once for them with markers in those places (control characters, which
     * no value can hold), and each person's text is that skeleton with their values put in. Plain text is not escaped,
     * so the result is what the template itself would give.
     */
    private String render(String name, String language, NoticeModel model) {
        NoticeModel marked = model.marked(String.valueOf(NAME_MARK), String.valueOf(PLACE_MARK),
                String.valueOf(LINK_MARK), String.valueOf(UNSUBSCRIBE_MARK), String.valueOf(PIXEL_MARK));
        var key = new Skeleton(name, language, marked);
        String skeleton = skeletons.get(key);
        if (skeleton == null) {
            if (skeletons.size() >= MAX_SKELETONS) {
                skeletons.clear();
            }
            skeleton = renderText(name, language, marked);
            skeletons.put(key, skeleton);
        }
        return fill(skeleton, model);
    }

    private String renderText(String name, String language, NoticeModel model) {
        String sentence = template("notice/sentence", language, "txt").data("m", model).render().strip();
        return template(name, language, "txt").data("m", model).data("sentence", sentence).data("nl", "\n").render()
                .strip();
    }

    private static final char NAME_MARK = '\u0001';
    private static final char PLACE_MARK = '\u0002';
    private static final char LINK_MARK = '\u0003';
    private static final char UNSUBSCRIBE_MARK = '\u0004';
    private static final char PIXEL_MARK = '\u0005';
    /** Skeletons kept: a few per event, change, language, channel and wording; dropped together when full. */
    private static final int MAX_SKELETONS = 4096;

    private record Skeleton(String template, String language, NoticeModel marked) {
    }

    private final Map<Skeleton, String> skeletons = new ConcurrentHashMap<>();

    private static String fill(String skeleton, NoticeModel model) {
        var text = new StringBuilder(skeleton.length() + 96);
        for (int i = 0; i < skeleton.length(); i++) {
            char ch = skeleton.charAt(i);
            switch (ch) {
                case NAME_MARK -> text.append(model.name());
                case PLACE_MARK -> text.append(model.place());
                case LINK_MARK -> text.append(model.link());
                case UNSUBSCRIBE_MARK -> text.append(model.unsubscribe());
                case PIXEL_MARK -> text.append(model.pixel());
                default -> text.append(ch);
            }
        }
        return text.toString();
    }

    private String renderHtml(String language, NoticeModel model) {
        String sentence = template("notice/sentence", language, "txt").data("m", model).render().strip();
        return template("notice/email", language, "html").data("m", model).data("sentence", sentence).render();
    }

    private Template template(String name, String language, String suffix) {
        return Objects.requireNonNull(engine.getTemplate(name + "." + language + "." + suffix), name);
    }

    /** What the expected end of an event of this kind is called ("Riapertura prevista"), for the event's page. */
    public static String expectedLabel(String language, EventKind kind) {
        return Phrases.expected(language(language), kind);
    }

    static String language(String language) {
        return "en".equals(language) ? "en" : "it";
    }

    private static NoticeModel model(NoticeInput input, String language) {
        AlertEvent event = input.event();
        ZoneStatus zone = event.zone() == null ? null : event.zone().status();
        // a withdrawn snow-clearing notice names the clearing, not the state the roads were last said to be in
        String what = Phrases.what(language, event.kind(), event.status() == EventStatus.CANCELLED ? null : zone);
        String since = event.startedAt() == null ? null : when(language, event.startedAt(), input, true);
        // someone no longer in the area is not told when it ends there; an estimate already past when the notice
        // leaves (held through the night, the publisher's estimate not renewed) would be wrong, and is left out
        boolean restoring = event.expectedRestorationAt() != null && !event.status().ended()
                && input.change() != Change.NO_LONGER_AFFECTED && event.expectedRestorationAt().isAfter(input.now());
        boolean cancelled = event.status() == EventStatus.CANCELLED;
        // what to do is told while it applies, never once the alert is over or the person out of it
        boolean applies = (input.change() == Change.AFFECTED || input.change() == Change.UPDATED) && !cancelled;
        String over = Phrases.over(language, event.kind());
        String expected = restoring ? Phrases.expected(language, event.kind()) + " "
                + when(language, event.expectedRestorationAt(), input, false) : null;
        return new NoticeModel(
                oneLine(input.name()),
                input.change(),
                cancelled,
                what,
                Phrases.ofWhat(language, event.kind()),
                over,
                // leaving a snow zone is told by the notice's name, not by the state of the roads the person left
                Phrases.heading(language, input.change(), cancelled, input.change() == Change.NO_LONGER_AFFECTED
                        ? Phrases.noticeName(language, event.kind()) : what, over),
                placePhrase(language, input.places(), true),
                since,
                event.startedAt() == null ? null : time(event.startedAt(), input),
                expected,
                Phrases.expected(language, event.kind()),
                restoring ? time(event.expectedRestorationAt(), input) : null,
                oneLine(pick(event.headline(), language)),
                event.kind() == EventKind.CIVIL_PROTECTION && applies
                        ? asSentence(oneLine(pick(event.headline(), language))) : null,
                withoutMarks(pick(event.description(), language)),
                oneLine(event.areaDescription()),
                input.publisher() == null ? "Allerta" : oneLine(input.publisher()),
                input.link(),
                input.unsubscribe(),
                input.pixel(),
                true,
                input.places().size() > 1,
                Phrases.concernsAnArea(event.kind()));
    }

    /** "la tua casa in Via Dazio 90/H", "Scuola di Luca", "... e altri 2 tuoi luoghi". */
    static String placePhrase(String language, List<PlaceRef> places, boolean withAddress) {
        if (places.isEmpty()) {
            return Phrases.place(language, PlaceCategory.OTHER);
        }
        PlaceRef first = places.get(0);
        String label = oneLine(first.label());
        // the citizen's own name for a school or another place, quoted: "presso “Scuola di Luca”"
        String phrase = (first.category() == PlaceCategory.SCHOOL || first.category() == PlaceCategory.OTHER)
                && label != null ? "\u201c" + label + "\u201d" : Phrases.place(language, first.category());
        String address = oneLine(first.address());
        if (withAddress && address != null) {
            phrase = phrase + " in " + address;
        }
        int others = places.size() - 1;
        if (others > 0) {
            phrase = phrase + ("it".equals(language)
                    ? (others == 1 ? " e un altro tuo luogo" : " e altri " + others + " tuoi luoghi")
                    : (others == 1 ? " and one more of your places" : " and " + others + " more of your places"));
        }
        return phrase;
    }

    /**
     * "dalle 14:05" / "since 14:05" today, "dal 27/11 alle 14:05" / "since 27/11 at 14:05" another day; a start still
     * to come is "from" in English ("from 28/11 at 00:00": a school closure announced the day before).
     */
    private static String when(String language, Instant instant, NoticeInput input, boolean since) {
        ZonedDateTime at = instant.atZone(input.zone());
        LocalDate today = input.now().atZone(input.zone()).toLocalDate();
        String time = TIME.format(at);
        boolean sameDay = at.toLocalDate().equals(today);
        if (since && "en".equals(language) && instant.isAfter(input.now())) {
            return sameDay ? "from " + time : "from " + DAY.format(at) + " at " + time;
        }
        if ("it".equals(language)) {
            if (since) {
                return sameDay ? "dalle " + time : "dal " + DAY.format(at) + " alle " + time;
            }
            return sameDay ? "alle " + time : "il " + DAY.format(at) + " alle " + time;
        }
        if (since) {
            return sameDay ? "since " + time : "since " + DAY.format(at) + " at " + time;
        }
        return sameDay ? "at " + time : "on " + DAY.format(at) + " at " + time;
    }

    /** "14:05" today, "27/11 14:05" another day. */
    private static String time(Instant instant, NoticeInput input) {
        ZonedDateTime at = instant.atZone(input.zone());
        boolean sameDay = at.toLocalDate().equals(input.now().atZone(input.zone()).toLocalDate());
        return sameDay ? TIME.format(at) : DAY.format(at) + " " + TIME.format(at);
    }

    private static String pick(Map<String, String> texts, String language) {
        if (texts.isEmpty()) {
            return null;
        }
        String text = org.allerta.contracts.Texts.pick(texts, language).getValue();
        return text == null || text.isBlank() ? null : text.strip();
    }

    private static final java.util.regex.Pattern BREAKS = java.util.regex.Pattern.compile(
            "[\\p{Cntrl}\\u2028\\u2029]+");
    private static final java.util.regex.Pattern SPACES = java.util.regex.Pattern.compile(" {2,}");

    private static String oneLine(String text) {
        if (text == null) {
            return null;
        }
        if (alreadyOneLine(text)) {
            return text;
        }
        String line = text;
        if (BREAKS.matcher(line).find()) {
            line = BREAKS.matcher(line).replaceAll(" ");
        }
        if (line.contains("  ")) {
            line = SPACES.matcher(line).replaceAll(" ");
        }
        line = line.strip();
        return line.isEmpty() ? null : line;
    }

    /**
     * True when {@link #oneLine} would return the text as it is: not empty, no control character or line separator,
     * no two spaces in a row, nothing to strip at either end (names and addresses, nearly always).
     */
    private static boolean alreadyOneLine(String text) {
        int n = text.length();
        if (n == 0 || Character.isWhitespace(text.charAt(0)) || Character.isWhitespace(text.charAt(n - 1))) {
            return false;
        }
        char previous = 0;
        for (int i = 0; i < n; i++) {
            char ch = text.charAt(i);
            if (Character.isISOControl(ch) || ch == '\u2028' || ch == '\u2029' || (ch == ' ' && previous == ' ')) {
                return false;
            }
            previous = ch;
        }
        return true;
    }

    /** The description keeps its line breaks, but not the control characters that mark a person's values. */
    private static String withoutMarks(String text) {
        if (text == null) {
            return null;
        }
        var kept = new StringBuilder(text.length());
        text.chars().filter(ch -> ch < NAME_MARK || ch > PIXEL_MARK).forEach(ch -> kept.append((char) ch));
        return kept.toString();
    }

    /**
     * The text as a sentence of its own: ending in one full stop, or in its own question or exclamation mark
     * ("Evacuare i piani bassi?" stays as it is, not "bassi?.").
     */
    private static String asSentence(String text) {
        if (text == null) {
            return null;
        }
        String bare = text.replaceAll("[.;:,\\s]+$", "");
        if (bare.isEmpty()) {
            return null;
        }
        return bare.endsWith("?") || bare.endsWith("!") ? bare : bare + ".";
    }
}
