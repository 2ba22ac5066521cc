package org.allerta.matcher.gazetteer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Normalises Italian addresses as people write them, so that "V. Dazio 90/H", "via dazio 90 h" and "VIA DAZIO 90H"
 * meet the register's "Via" "Dazio" "90" "H": lower case, no accents or apostrophes, street types and their
 * abbreviations spelt out, house-number suffixes glued to the number ("90h", "12bis"). Pure and thread-safe.
 */
public final class AddressNormaliser {

    /** Street types (DUG) and their abbreviations, longest first when matched. */
    static final Map<String, String> STREET_TYPES = streetTypes();
    /**
     * A house number: digits, then a numeric suffix after a slash ("24/1", as registers write a subdivided number)
     * or a letter or word suffix ("90/H", "90 h", "12 bis"). Groups: the number, the numeric suffix, the other.
     */
    private static final String HOUSE_NUMBER =
            "(\\d{1,5})(?:\\s*[/\\-]\\s*(\\d{1,3})(?![\\p{L}\\d])|\\s*(?:[/\\-]\\s*)?(bis|ter|quater|[a-z]))?";
    private static final Pattern NUMBER = Pattern.compile(
            "(?<![\\p{L}\\d])" + HOUSE_NUMBER + "(?![\\p{L}\\d])");
    private static final Pattern ONLY_NUMBER = Pattern.compile(HOUSE_NUMBER);
    /** A house number at the start of a text, as a whole word ("10 alessandria" is 10, not 10a). */
    private static final Pattern LEADING_NUMBER = Pattern.compile("^" + HOUSE_NUMBER + "(?![\\p{L}\\d])");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    private static final Pattern POSTCODE = Pattern.compile("(?<!\\d)(\\d{5})(?!\\d)");
    /**
     * What follows a house number inside the building: "int. 3", "interno 3", "scala B", "sc. A", "piano 2", "app. 4".
     * Cut before the number is looked for, so that "Via Dazio 90 int. 3" is number 90, not 3.
     */
    private static final Pattern UNIT = Pattern.compile(
            "(?<=\\d|\\d[a-z]|\\d [a-z]|\\d/[a-z]|\\dbis|\\d bis|\\dter|\\d ter)(?:\\s*-)?"
                    + "\\s+(?:int|interno|scala|sc|piano|app|appartamento|pal|palazzina)(?![\\p{L}]).*$");
    /** "Fraz. Spinetta Marengo", "Loc. Cascinagrossa": the word before a hamlet's name, which is not part of it. */
    private static final Pattern HAMLET_WORD = Pattern.compile("^(?:fraz|frazione|loc|localita)\\s+(?=\\p{L})");
    /** "n. 90", "n° 90", "civ. 90", "civico 90": the word before a number that says it is one. */
    private static final Pattern NUMBER_WORD = Pattern.compile(
            "(?<![\\p{L}\\d])(?:n|nr|num|numero|civ|civico)\\s+(?=\\d)");
    /** A floor written before the word ("3° piano", "primo piano"): no house number ("piano 3" is {@link #UNIT}). */
    private static final Pattern FLOOR = Pattern.compile("(?<![\\p{L}\\d])(?:\\d{1,2}|primo|secondo|terzo|quarto|quinto"
            + "|sesto|settimo|ottavo|nono|decimo|ultimo)\\s+piano(?![\\p{L}\\d])");
    /** A part of the address about the inside of the building ("scala B", "piano 2", "int. 4"): no number, no city. */
    private static final Pattern UNIT_PART = Pattern.compile(
            "^(?:int|interno|scala|sc|piano|app|appartamento|pal|palazzina|edificio|lotto|ingresso|citofono)(?![\\p{L}])");
    /** "snc", "s.n.c." (senza numero civico): a building with no house number. */
    private static final Pattern NO_NUMBER = Pattern.compile("(?<![\\p{L}\\d])(?:snc|s n c)(?![\\p{L}\\d])");
    /**
     * "km 3", "km 3,5", "Km. 12+300": a position along a road, not a house number (the comma of "3,5" would otherwise
     * start a part of its own, read as the number 5).
     */
    private static final Pattern KILOMETRE = Pattern.compile(
            "(?iu)(?<![\\p{L}\\d])km\\.?\\s*\\d+(?:\\s*[.,+]\\s*\\d+)?(?!\\d)");
    /** The initials of the Italian provinces, as people add them after the city ("Alessandria, AL"). */
    private static final java.util.Set<String> PROVINCES = java.util.Set.of(("ag al an ao ap aq ar at av ba bg bi bl bn"
            + " bo br bs bt bz ca cb ce ch ci cl cn co cr cs ct cz en fc fe fg fi fm fr ge go gr im is kr lc le li lo lt"
            + " lu mb mc me mi mn mo ms mt na no nu og or ot pa pc pd pe pg pi pn po pr pt pu pv pz ra rc re rg ri rm rn"
            + " ro sa si so sp sr ss su sv ta te tn to tp tr ts tv ud va vb vc ve vi vr vs vt vv").split(" "));

    private AddressNormaliser() {
    }

    /**
     * An address split into its parts, normalised.
     *
     * @param streetType e.g. "via", or "" when none was recognised
     * @param street     the street's name without its type, e.g. "dazio"
     * @param number     e.g. "90h", or "" when none
     * @param postcode   5 digits, or ""
     * @param city       e.g. "alessandria", or ""
     */
    public record Parsed(String streetType, String street, String number, String postcode, String city) {

        /** Type and name together, the form stored for lookups: "via dazio". */
        public String fullStreet() {
            return streetType.isEmpty() ? street : streetType + " " + street;
        }
    }

    private static Map<String, String> streetTypes() {
        var map = new LinkedHashMap<String, String>();
        for (String[] entry : new String[][] {
                {"strada provinciale", "strada provinciale"}, {"s p", "strada provinciale"}, {"sp", "strada provinciale"},
                {"strada comunale", "strada comunale"}, {"strada vicinale", "strada vicinale"},
                {"strada vecchia", "strada vecchia"}, {"via vecchia", "via vecchia"},
                {"viale", "viale"}, {"v le", "viale"}, {"vle", "viale"},
                {"via", "via"}, {"v", "via"},
                {"piazzale", "piazzale"}, {"p le", "piazzale"}, {"ple", "piazzale"},
                {"piazzetta", "piazzetta"}, {"p tta", "piazzetta"},
                {"piazza", "piazza"}, {"p zza", "piazza"}, {"p za", "piazza"}, {"pzza", "piazza"}, {"pza", "piazza"},
                {"p", "piazza"},
                {"corso", "corso"}, {"c so", "corso"}, {"cso", "corso"},
                {"largo", "largo"}, {"l go", "largo"}, {"lgo", "largo"},
                {"strada", "strada"}, {"str", "strada"},
                {"vicolo", "vicolo"}, {"vic", "vicolo"}, {"v lo", "vicolo"},
                {"spalto", "spalto"}, {"lungo", "lungo"}, {"borgo", "borgo"}, {"salita", "salita"},
                {"localita", "localita"}, {"loc", "localita"}, {"frazione", "frazione"}, {"fraz", "frazione"},
                {"passeggiata", "passeggiata"}, {"case sparse", "case sparse"}, {"vicoletto", "vicoletto"}}) {
            map.put(entry[0], entry[1]);
        }
        // the longest forms are tried first: "v lo" (vicolo) before "v" (via), "p tta" before "p"
        var longestFirst = new LinkedHashMap<String, String>();
        map.entrySet().stream().sorted((a, b) -> Integer.compare(b.getKey().length(), a.getKey().length()))
                .forEach(e -> longestFirst.put(e.getKey(), e.getValue()));
        return longestFirst;
    }

    /**
     * Lower case, no accents, apostrophes and punctuation become spaces, single spaces. Letters, the digits 0-9, '/'
     * and '-' are kept. One pass over the text (a gazetteer import calls this several times per row); accents are
     * taken off only when the text has a character beyond ASCII.
     */
    public static String clean(String text) {
        return squeeze(text, false);
    }

    /** Like {@link #clean}, with '/' and '-' also turned into spaces. */
    private static String words(String text) {
        return squeeze(text, true);
    }

    private static String squeeze(String text, boolean slashesAreSpaces) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        String lower = (ascii(text) ? text : MARKS.matcher(Normalizer.normalize(text, Normalizer.Form.NFD))
                .replaceAll("")).toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        boolean space = false;
        for (int i = 0; i < lower.length(); ) {
            int ch = lower.codePointAt(i);
            i += Character.charCount(ch);
            boolean keep = (ch >= '0' && ch <= '9') || Character.isLetter(ch)
                    || (!slashesAreSpaces && (ch == '/' || ch == '-'));
            if (keep) {
                if (space && out.length() > 0) {
                    out.append(' ');
                }
                out.appendCodePoint(ch);
                space = false;
            } else {
                space = true;
            }
        }
        return out.toString();
    }

    private static boolean ascii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * A street written with its type in its name, as OpenAddresses writes it ("Via Garibaldi", "P.zza Duomo", "V.le
     * Medaglie d'Oro"): the type and the name, each as written ("P.zza", "Duomo"); null when it begins with no type.
     */
    public static String[] splitType(String street) {
        String[] tokens = street.trim().split("\\s+");
        String norm = words(street);
        for (String key : STREET_TYPES.keySet()) {
            if (!norm.startsWith(key + " ")) {
                continue;
            }
            var prefix = new StringBuilder();
            for (int n = 1; n < tokens.length; n++) {
                prefix.append(n > 1 ? " " : "").append(tokens[n - 1]);
                String typed = words(prefix.toString());
                if (typed.equals(key)) {
                    String name = String.join(" ", java.util.Arrays.copyOfRange(tokens, n, tokens.length));
                    return words(name).isEmpty() ? null : new String[] {prefix.toString(), name};
                }
                if (typed.length() >= key.length()) {
                    break;
                }
            }
        }
        return null;
    }

    /** A street type as the register writes it ("Via", "Strada Provinciale", "V.le") in its normal form. */
    public static String streetType(String type) {
        String cleaned = words(type);
        return STREET_TYPES.getOrDefault(cleaned, cleaned);
    }

    /** A street name without its type, normalised ("Roberto Ardigo'" → "roberto ardigo"). */
    public static String streetName(String name) {
        return words(name);
    }

    /**
     * A house number with its suffix: a letter or word is glued ("90", "H" → "90h"; "12 bis" → "12bis"), a numeric
     * suffix keeps its slash ("1", "1" → "1/1", which is not "11").
     */
    public static String number(String number, String suffix) {
        String s = words(suffix).replace(" ", "");
        if (s.isEmpty()) {
            // one field with both, as OpenAddresses writes them ("24/1", "90/H"): read as an address's number is,
            // so that "24/1" stays apart from "241" and "1/1" from "11"
            Matcher whole = ONLY_NUMBER.matcher(number.strip().toLowerCase(Locale.ROOT));
            if (whole.matches()) {
                return houseNumber(whole);
            }
        }
        String n = words(number).replace(" ", "");
        return s.isEmpty() ? n : Character.isDigit(s.charAt(0)) ? n + "/" + s : n + s;
    }

    /** Splits free text ("V. Dazio 90/H, 15121 Alessandria") into normalised parts. */
    public static Parsed parse(String text) {
        return parse(text, false);
    }

    /**
     * The other reading of an address whose street is written with a number in its name and whose house number
     * follows after a comma: "Via 28 Marzo 1921, 12" is number 12 of Via 28 Marzo 1921, where {@link #parse} reads
     * number 1921 of "Via 28 Marzo" (and the 12 as a flat's, as in "Via Dazio 90, 3"). Empty when the address has no
     * such second reading. The geocoder tries it when the first reading finds no house.
     */
    public static Optional<Parsed> wholeFirstPart(String text) {
        return wholeFirstPart(text, parse(text, false));
    }

    /** {@link #wholeFirstPart(String)}, the first reading ({@link #parse}) already made. */
    public static Optional<Parsed> wholeFirstPart(String text, Parsed first) {
        Parsed whole = parse(text, true);
        return first.number().isEmpty() || whole.number().isEmpty() || whole.equals(first) ? Optional.empty()
                : Optional.of(whole);
    }

    /**
     * The digits that begin the number of a street's name in {@code matched}, the address an answer names ("Via 28
     * Marzo 1921 12, 15121" holds 1921 as a word): how a second reading shows it found the street it read.
     */
    public static boolean namesNumber(String matched, String number) {
        Matcher digits = Pattern.compile("^\\d+").matcher(number);
        if (matched == null || !digits.find()) {
            return false;
        }
        String street = matched.split(",", 2)[0].trim();
        street = street.substring(0, Math.max(0, street.lastIndexOf(' ')));
        return Pattern.compile("(?<![\\p{L}\\d])" + digits.group() + "(?![\\p{L}\\d])").matcher(street).find();
    }

    private static boolean startsWithType(String text) {
        for (String type : STREET_TYPES.keySet()) {
            if (text.startsWith(type + " ")) {
                return true;
            }
        }
        return false;
    }

    /** {@code wholeFirstPart}: the first part is the street as written, numbers and all. */
    private static Parsed parse(String text, boolean wholeFirstPart) {
        String[] segments = text == null ? new String[0] : KILOMETRE.matcher(text).replaceAll(" ").split(",");
        String first = segments.length > 1 ? POSTCODE.matcher(clean(segments[0])).replaceAll(" ").trim() : "";
        if (!first.isEmpty() && !first.matches(".*\\d.*") && startsWithType(clean(segments[1]))
                && (HAMLET_WORD.matcher(first).find() || !startsWithType(first))) {
            // "Fraz. Spinetta Marengo, Via Genova 10", "15121 Alessandria, Via Dazio 90/H": the hamlet or the city
            // written first is read where the city goes (not "Località Cascinali Stampa, 12", a street whose type is
            // Località, nor "Via Dazio, Via ...")
            // right after the street, before a city written after it ("Fraz. Litta Parodi, Via Genova 10,
            // Alessandria": the hamlet says more than the city)
            String moved = segments[0];
            segments[0] = segments[1];
            segments[1] = moved;
        }
        String postcode = "";
        String city = "";
        String number = "";
        String street = "";
        for (int i = 0; i < segments.length; i++) {
            String segment = clean(segments[i]);
            Matcher postcodeMatcher = POSTCODE.matcher(segment);
            if (postcodeMatcher.find()) {
                postcode = postcodeMatcher.group(1);
                segment = segment.substring(0, postcodeMatcher.start()) + " " + segment.substring(postcodeMatcher.end());
            }
            segment = NO_NUMBER.matcher(FLOOR.matcher(segment).replaceAll(" ")).replaceAll(" ")
                    .replaceAll("\\s+", " ").trim();
            segment = NUMBER_WORD.matcher(UNIT.matcher(segment).replaceFirst("")).replaceAll("").trim();
            if (segment.isEmpty()) {
                continue;
            }
            if (i == 0) {
                // the street, and the number written with it: a number after a comma is then a flat's ("Via Dazio
                // 90, 3"), not the house's
                String[] split = wholeFirstPart ? new String[] {segment, "", ""} : numberOf(segment);
                street = split[0];
                number = split[1];
                city = split[2];
                continue;
            }
            if (UNIT_PART.matcher(segment).find() || PROVINCES.contains(segment)) {
                // "scala B", "piano terra", "AL": about the building or the province, neither number nor city
                continue;
            }
            Matcher leading = LEADING_NUMBER.matcher(segment);
            if (leading.lookingAt()) {
                if (number.isEmpty()) {
                    // "Via Dazio, 90/H" or "Via Dazio, 90/H Alessandria": the number, then perhaps the city
                    number = houseNumber(leading);
                }
                segment = segment.substring(leading.end()).trim();
            }
            if (city.isEmpty() && !segment.isEmpty() && !segment.matches(".*\\d.*")) {
                city = segment;
            }
        }
        street = street.replace('/', ' ').replace('-', ' ').replaceAll("\\s+", " ").trim();
        // "Via Dazio 90/H - Alessandria": a dash standing between words is no part of the city's name (the one in
        // "Saint-Vincent" or the slash of "Bolzano/Bozen" is, as the register keeps them)
        city = city.replaceAll("(^|\\s)[-/]+(?=\\s|$)", " ").replaceAll("\\s+", " ").trim();
        city = HAMLET_WORD.matcher(city).replaceFirst("");
        String type = "";
        for (Map.Entry<String, String> entry : STREET_TYPES.entrySet()) {
            String prefix = entry.getKey() + " ";
            if (street.startsWith(prefix) && street.length() > prefix.length()) {
                type = entry.getValue();
                street = street.substring(prefix.length()).trim();
                break;
            }
        }
        return new Parsed(type, street, number, postcode, city);
    }

    /**
     * The street, the house number written in it (or "") and the words after that number that name the city (or ""):
     * "via dazio 90 h alessandria" is "via dazio", "90h", "alessandria". The last number is the house's; but when
     * the street has no name before it ("via 20 settembre", "strada provinciale 10"), the number is the name, and no
     * house number was given.
     */
    private static String[] numberOf(String street) {
        Matcher numberMatcher = NUMBER.matcher(street);
        int start = -1;
        int end = -1;
        String number = "";
        while (numberMatcher.find()) {
            number = houseNumber(numberMatcher);
            start = numberMatcher.start();
            end = numberMatcher.end();
        }
        if (start < 0) {
            return new String[] {street, "", ""};
        }
        String before = street.substring(0, start).trim();
        String after = street.substring(end).trim();
        if (!hasName(before)) {
            return new String[] {street, "", ""};
        }
        boolean wordsAfter = !after.isEmpty() && !after.matches(".*\\d.*");
        if (wordsAfter) {
            return new String[] {before, number, after};
        }
        return new String[] {(before + " " + after).trim(), number, ""};
    }

    /** The number as the register stores it: "24/1", "90h", "12bis", "7". */
    private static String houseNumber(Matcher m) {
        return m.group(2) != null ? m.group(1) + "/" + m.group(2)
                : m.group(1) + Optional.ofNullable(m.group(3)).orElse("");
    }

    private static final String[] UNITS = {"", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove",
            "dieci", "undici", "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto",
            "diciannove"};
    private static final String[] TENS = {"", "", "venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta",
            "ottanta", "novanta"};
    private static final String[] ORDINALS = {"", "primo", "secondo", "terzo", "quarto", "quinto", "sesto", "settimo",
            "ottavo", "nono", "decimo", "undicesimo", "dodicesimo", "tredicesimo", "quattordicesimo", "quindicesimo",
            "sedicesimo", "diciassettesimo", "diciottesimo", "diciannovesimo", "ventesimo"};
    private static final java.util.Set<String> MONTHS = java.util.Set.of("gennaio", "febbraio", "marzo", "aprile",
            "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre");
    private static final Pattern ROMAN = Pattern.compile("x{0,3}(?:ix|iv|v?i{0,3})");

    /** An Italian number from 1 to 99 in words, without accents: "venticinque", "ventitre", "ventotto". */
    static String inWords(int n) {
        if (n < 20) {
            return UNITS[n];
        }
        String tens = TENS[n / 10];
        int unit = n % 10;
        if (unit == 1 || unit == 8) {
            tens = tens.substring(0, tens.length() - 1);
        }
        return tens + UNITS[unit];
    }

    /** The value of a Roman numeral from I to XXXIX, or 0 when the word is not one. */
    static int roman(String word) {
        if (word.isEmpty() || !ROMAN.matcher(word).matches()) {
            return 0;
        }
        int total = 0;
        for (int i = 0; i < word.length(); i++) {
            int value = switch (word.charAt(i)) {
                case 'x' -> 10;
                case 'v' -> 5;
                default -> 1;
            };
            boolean subtract = i + 1 < word.length() && value == 1 && word.charAt(i + 1) != 'i';
            total += subtract ? -value : value;
        }
        return total;
    }

    /**
     * Other ways a register may spell this street's name, when it has a number in it: a date in words ("25 aprile",
     * "xxv aprile": "venticinque aprile"; the first of the month "primo"), a Roman numeral after a name as an ordinal
     * ("pio v": "pio quinto", "alessandro iii": "alessandro terzo"), and a saint's "s" spelt out ("s ubaldo": "san
     * ubaldo", "santa", "santo", "sant"). Empty when there is none.
     */
    public static List<String> spellings(String street) {
        String[] words = street.split(" ");
        var variants = new ArrayList<String>();
        boolean changed = false;
        var spelt = new String[words.length];
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            spelt[i] = word;
            boolean beforeMonth = i + 1 < words.length && MONTHS.contains(words[i + 1]);
            int value = word.matches("\\d{1,2}") ? Integer.parseInt(word) : 0;
            boolean isRoman = value == 0 && i > 0 && roman(word) > 0;
            if (value == 0 && (beforeMonth || isRoman)) {
                value = roman(word);
            }
            if (value <= 0 || value > 99) {
                continue;
            }
            if (beforeMonth) {
                spelt[i] = value == 1 ? "primo" : inWords(value);
            } else if (isRoman && value < ORDINALS.length) {
                spelt[i] = ORDINALS[value];
            } else if (value < 100 && !isRoman) {
                spelt[i] = inWords(value);
            }
            changed |= !spelt[i].equals(word);
        }
        if (changed) {
            variants.add(String.join(" ", spelt));
        }
        int saint = java.util.Arrays.asList(words).indexOf("s");
        if (saint >= 0 && saint + 1 < words.length) {
            for (String form : new String[] {"san", "santa", "santo", "sant"}) {
                String[] named = words.clone();
                named[saint] = form;
                variants.add(String.join(" ", named));
            }
        }
        return variants;
    }

    /** True when the text names a street beyond its type: "via dazio" and "dazio", not "via" alone. */
    private static boolean hasName(String street) {
        String words = street.replace('/', ' ').replace('-', ' ').replaceAll("\\s+", " ").trim();
        return !words.isEmpty() && !STREET_TYPES.containsKey(words);
    }
}
