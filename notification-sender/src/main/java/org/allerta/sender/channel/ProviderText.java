package org.allerta.sender.channel;

import java.util.regex.Pattern;

/**
 * A provider's own words about a failure, made fit for {@code notifications.receipts}, which carries no contact:
 * e-mail addresses, phone numbers and device tokens the text quotes are replaced, control characters and runs of white space become
 * one space, and the text is cut at 200 characters.
 */
public final class ProviderText {

    /** Anything shaped like an e-mail address, with its angle brackets if any. */
    private static final Pattern ADDRESS = Pattern.compile("<?[^\\s<>@]+@[^\\s<>]+>?");

    /**
     * A push token or a long opaque id as providers quote them: twenty characters or more of letters, digits and
     * {@code - _ : . = / +}, with a digit and a letter among them (words and status codes are shorter or lack one).
     */
    private static final Pattern TOKEN = Pattern.compile(
            "(?=[A-Za-z0-9_:.=/+\\-]*\\d)(?=[A-Za-z0-9_:.=/+\\-]*[A-Za-z])[A-Za-z0-9_:.=/+\\-]{20,}");

    /** Seven digits or more, perhaps after a +, perhaps grouped by spaces, dots, dashes or brackets. */
    private static final Pattern NUMBER = Pattern.compile("\\+?\\d[\\d .()\\-]{5,}\\d");

    private ProviderText() {
    }

    /** The text without addresses, tokens, numbers or control characters, at most 200 characters. */
    public static String redacted(String text) {
        String plain = ADDRESS.matcher(String.valueOf(text)).replaceAll("<address>");
        plain = TOKEN.matcher(plain).replaceAll("<token>");
        plain = NUMBER.matcher(plain).replaceAll(m -> digits(m.group()) >= 7 ? "<number>"
                : java.util.regex.Matcher.quoteReplacement(m.group()));
        plain = plain.replaceAll("[\\p{Cc}\\s]+", " ").strip();
        return plain.length() > 200 ? plain.substring(0, 200) : plain;
    }

    private static int digits(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            n += Character.isDigit(text.charAt(i)) ? 1 : 0;
        }
        return n;
    }
}
