package org.allerta.contracts.sms;

/**
 * SMS encoding arithmetic (3GPP TS 23.038): a text is GSM-7 when every character is in the default alphabet or its
 * extension table (which counts twice), otherwise UCS-2. One segment carries 160 GSM-7 septets or 70 UCS-2 units;
 * a concatenated message 153 or 67 per segment.
 */
public final class Sms {

    /** The encoding a text needs. */
    public enum Encoding { GSM7, UCS2 }

    private Sms() {
    }

    /** GSM-7 when every character fits the default alphabet or its extension, else UCS-2. */
    public static Encoding encoding(String text) {
        return Gsm7.encodable(text) ? Encoding.GSM7 : Encoding.UCS2;
    }

    /** Septets (GSM-7) or UTF-16 units (UCS-2) the text takes. */
    public static int units(String text) {
        int septets = septets(text);
        return septets < 0 ? text.length() : septets;
    }

    /** Septets of the text in GSM-7, or -1 when it needs UCS-2: one pass. */
    private static int septets(String text) {
        int septets = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (Gsm7.basic(ch)) {
                septets++;
            } else if (Gsm7.extended(ch)) {
                septets += 2;
            } else {
                return -1;
            }
        }
        return septets;
    }

    /** How many segments the text is sent as. */
    public static int segments(String text) {
        if (text.length() <= 70) {
            return 1;
        }
        int septets = septets(text);
        if (septets < 0) {
            return (text.length() + 66) / 67;
        }
        return septets <= 160 ? 1 : (septets + 152) / 153;
    }

    /**
     * The text cut into the parts of a concatenated message: at most 153 septets (GSM-7) or 67 UTF-16 units (UCS-2)
     * each, never splitting an extension character's two septets or a surrogate pair. A text that fits one segment
     * is one part.
     */
    public static java.util.List<String> parts(String text) {
        if (segments(text) == 1) {
            return java.util.List.of(text);
        }
        boolean gsm = encoding(text) == Encoding.GSM7;
        int limit = gsm ? 153 : 67;
        var parts = new java.util.ArrayList<String>();
        int start = 0;
        int used = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            int size = gsm ? (Gsm7.extended(ch) ? 2 : 1) : (Character.isHighSurrogate(ch) ? 2 : 1);
            if (used + size > limit) {
                parts.add(text.substring(start, i));
                start = i;
                used = 0;
            }
            used += size;
            if (!gsm && Character.isHighSurrogate(ch)) {
                i++;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    /**
     * Replaces typographic characters that would force UCS-2 (curly quotes and primes, dashes and hyphens, bullets,
     * ellipsis, non-breaking and thin spaces, accented capitals without a GSM-7 form; invisible characters such as a
     * soft hyphen or a zero-width space go) with their plain equivalents, writes Latin letters whose accent
     * GSM-7 lacks without it (Zoë, Mădălina, Łukasz: Zoe, Madalina, Lukasz, as phones do), and turns line breaks and
     * tabs into spaces: the text stays readable and fits 160 characters per segment instead of 70.
     */
    public static String plain(String text) {
        return alreadyPlain(text) ? text : rewrite(text);
    }

    /** {@link #plain}'s rules, applied character by character to a copy of the text. */
    static String rewrite(String text) {
        var out = new StringBuilder(text.length() + 8);
        char last = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == ' ' && last == ' ') {
                continue;
            }
            switch (ch) {
                case '\u2018', '\u2019', '\u201a', '\u201b', '\u2032', '\u2039', '\u203a', '\u00b4', '`' ->
                        out.append('\'');
                case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033', '\u00ab', '\u00bb' -> out.append('"');
                case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\u2022', '\u00b7' ->
                        out.append('-');
                case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff' -> {
                    // invisible: a soft hyphen, zero-width spaces and joiners, a byte-order mark pasted with the text
                }
                case '\u2026' -> out.append("...");
                case '\u00a0', '\t', '\n', '\r', '\u2028', '\u2029' -> out.append(' ');
                case '\u00c8' -> out.append("E'");
                case '\u00c0' -> out.append("A'");
                case '\u00cc' -> out.append("I'");
                case '\u00d2' -> out.append("O'");
                case '\u00d9' -> out.append("U'");
                case '\u00e1' -> out.append('a');
                case '\u00ed' -> out.append('i');
                case '\u00f3' -> out.append('o');
                case '\u00fa' -> out.append('u');
                default -> {
                    String folded = ch < 0x80 ? null : fold(ch);
                    if (folded != null) {
                        out.append(folded);
                    } else {
                        out.append(ch);
                    }
                }
            }
            last = out.isEmpty() ? 0 : out.charAt(out.length() - 1);
        }
        return out.toString().strip();
    }

    /**
     * True when {@link #plain} would return the text unchanged: no character it replaces, no two spaces in a row,
     * nothing to strip at either end. Most notices are, and are then not copied.
     */
    private static boolean alreadyPlain(String text) {
        int n = text.length();
        if (n == 0) {
            return true;
        }
        if (Character.isWhitespace(text.charAt(0)) || Character.isWhitespace(text.charAt(n - 1))
                || Character.isSpaceChar(text.charAt(0)) || Character.isSpaceChar(text.charAt(n - 1))) {
            return false;
        }
        char previous = 0;
        for (int i = 0; i < n; i++) {
            char ch = text.charAt(i);
            if (ch < 0x80) {
                if ((ch == ' ' && previous == ' ') || ch == '`' || ch == '\t' || ch == '\n' || ch == '\r') {
                    return false;
                }
            } else if (ch <= 0xFF ? CHANGED_LATIN1.indexOf(ch) >= 0 : CHANGED_OTHER.indexOf(ch) >= 0) {
                return false;
            } else if (fold(ch) != null) {
                return false;
            }
            previous = ch;
        }
        return true;
    }

    /**
     * The GSM-7 spelling of a character above ASCII that has none of its own: a space for other spaces, the letter
     * without its accent for a Latin letter (a few by hand: ł, đ, œ, ı); null when it is in GSM-7 already or has no
     * such spelling (a Cyrillic or Greek letter, a symbol), and stays as it is.
     */
    static String fold(char ch) {
        if (Gsm7.basic(ch) || Gsm7.extended(ch)) {
            return null;
        }
        if (Character.isSpaceChar(ch)) {
            return " ";
        }
        switch (ch) {
            case '\u0142': return "l";
            case '\u0141': return "L";
            case '\u0111': return "d";
            case '\u0110': return "D";
            case '\u0153': return "oe";
            case '\u0152': return "OE";
            case '\u0131': return "i";
            default: break;
        }
        if (!Character.isLetter(ch) || Character.UnicodeScript.of(ch) != Character.UnicodeScript.LATIN) {
            return null;
        }
        String bare = MARKS.matcher(java.text.Normalizer.normalize(String.valueOf(ch),
                java.text.Normalizer.Form.NFD)).replaceAll("");
        if (bare.isEmpty() || bare.equals(String.valueOf(ch))) {
            return null;
        }
        for (int i = 0; i < bare.length(); i++) {
            if (!Gsm7.basic(bare.charAt(i))) {
                return null;
            }
        }
        return bare;
    }

    private static final java.util.regex.Pattern MARKS = java.util.regex.Pattern.compile("\\p{M}+");

    /** The characters above ASCII that {@link #plain} replaces. */
    private static final String CHANGED_LATIN1 = "\u00b4\u00ab\u00bb\u00a0\u00c8\u00c0\u00cc\u00d2\u00d9\u00e1\u00ed\u00f3\u00fa"
            + "\u00ad\u00b7";
    private static final String CHANGED_OTHER = "\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u201c\u201d\u201e\u201f\u2033"
            + "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022\u2026\u2028\u2029\u200b\u200c\u200d\u2060\ufeff";
}
