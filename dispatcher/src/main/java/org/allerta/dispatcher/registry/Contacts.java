package org.allerta.dispatcher.registry;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.allerta.contracts.Channel;

/**
 * Normalises and checks the address of a channel: E.164 numbers for SMS and WhatsApp, e-mail addresses, push tokens
 * and Telegram chat ids. A valid address comes back normalised; an invalid one as the reason.
 */
public final class Contacts {

    private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{7,14}");
    private static final Pattern EMAIL = Pattern.compile(
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
    private static final Pattern PUSH_TOKEN = Pattern.compile("[A-Za-z0-9:_\\-.]{16,4096}");
    private static final Pattern CHAT_ID = Pattern.compile("-?[0-9]{1,20}");

    /** A normalised address, or why it was refused. */
    public record Checked(String address, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    private Contacts() {
    }

    /** Checks and normalises {@code raw} for {@code channel}; national numbers get {@code defaultCountryCode}. */
    public static Checked check(Channel channel, String raw, String defaultCountryCode) {
        if (raw == null || raw.isBlank()) {
            return new Checked(null, "an address is required");
        }
        String value = raw.strip();
        return switch (channel) {
            case SMS, WHATSAPP -> phone(value, defaultCountryCode)
                    .map(p -> new Checked(p, null))
                    .orElseGet(() -> new Checked(null, "not a phone number in E.164 form (+393331234567)"));
            case EMAIL -> email(value).map(e -> new Checked(e, null))
                    .orElseGet(() -> new Checked(null, "not an e-mail address"));
            case PUSH -> PUSH_TOKEN.matcher(value).matches()
                    ? new Checked(value, null)
                    : new Checked(null, "not a push token (16 to 4096 letters, digits, ':', '_', '-', '.')");
            case TELEGRAM -> CHAT_ID.matcher(value).matches()
                    ? new Checked(value, null)
                    : new Checked(null, "not a Telegram chat id (an integer)");
        };
    }

    /**
     * E.164: spaces (non-breaking ones too), dots, dashes and brackets are dropped, a leading 00 becomes +, and a
     * national number (no prefix) gets the default country code. A number that already starts with the default
     * country code and has ten digits after it ("393331234567", as wa.me links write it) is taken as international:
     * no national number is that long, and adding the code again would send the code to a number that is not the
     * person's.
     */
    static Optional<String> phone(String raw, String defaultCountryCode) {
        // "+44 (0)20 ...": the trunk zero some write in brackets after the country code is not dialled, except in
        // Italy, whose numbers keep it ("+39 (0)131 ..." is +390131...)
        String bare = raw.strip();
        if (!bare.startsWith("+39") && !bare.startsWith("0039") && (bare.startsWith("+") || bare.startsWith("00"))) {
            bare = bare.replace("(0)", "");
        }
        String digits = bare.replaceAll("[\\s\\u00A0\\u2007\\u202F().\\-/]", "");
        if (digits.startsWith("00")) {
            digits = "+" + digits.substring(2);
        } else if (!digits.startsWith("+")) {
            boolean international = digits.matches("[0-9]{11,15}") && digits.startsWith(defaultCountryCode)
                    && digits.length() >= defaultCountryCode.length() + 10;
            if (!international && !digits.matches("[0-9]{6,12}")) {
                return Optional.empty();
            }
            digits = "+" + (international ? "" : defaultCountryCode) + digits;
        }
        if (!E164.matcher(digits).matches() || (digits.startsWith("+39") && !ITALIAN.matcher(digits).matches())) {
            return Optional.empty();
        }
        return Optional.of(digits);
    }

    /**
     * An Italian number as the numbering plan has them: a mobile (3 and 8 or 9 more digits) or a landline (0 and 5 to
     * 10 more). A landline's leading 0 dropped by a spreadsheet, or a digit too many, is refused rather than sent a
     * code that reaches somebody else or nobody.
     */
    private static final Pattern ITALIAN = Pattern.compile("\\+39(?:3[0-9]{8,9}|0[0-9]{5,10})");

    /**
     * An e-mail address as mail servers take it: the domain in lower case, in its ASCII (punycode) form when it is
     * internationalised ("comunità.it"); a local part of ASCII characters, not beginning or ending with a dot.
     */
    static Optional<String> email(String value) {
        int at = value.lastIndexOf('@');
        if (at <= 0 || at == value.length() - 1) {
            return Optional.empty();
        }
        String local = value.substring(0, at);
        String domain;
        try {
            domain = java.net.IDN.toASCII(value.substring(at + 1), java.net.IDN.USE_STD3_ASCII_RULES)
                    .toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String address = local + "@" + domain;
        if (address.length() > 254 || !EMAIL.matcher(address).matches() || address.contains("..")
                || local.startsWith(".") || local.endsWith(".")) {
            return Optional.empty();
        }
        return Optional.of(address);
    }

    /**
     * Whether two addresses of a channel type reach the same recipient as written: one mailbox whatever the case it
     * is written in, one Telegram chat whatever zeros lead its id. A channel whose address changed only so stays the
     * channel it was, verified if it was.
     */
    public static boolean sameAddress(Channel type, String a, String b) {
        return recipient(type, a).equals(recipient(type, b));
    }

    private static String recipient(Channel type, String address) {
        return switch (type) {
            case SMS, WHATSAPP, PUSH -> address;
            case EMAIL -> address.toLowerCase(Locale.ROOT);
            case TELEGRAM -> address.startsWith("-") ? "-" + address.substring(1).replaceFirst("^0+(?=.)", "")
                    : address.replaceFirst("^0+(?=.)", "");
        };
    }

    /**
     * The form under which an address's codes are counted: one mailbox whatever the case it is written in and
     * whatever sub-address it is given ("giulia+1@" is giulia's mailbox, RFC 5233), one phone whether it is reached by
     * SMS or WhatsApp, one Telegram chat whatever zeros lead its id.
     */
    public static String counted(Channel type, String address) {
        return switch (type) {
            case SMS, WHATSAPP -> "PHONE:" + address;
            case EMAIL -> "EMAIL:" + withoutSubAddress(address.toLowerCase(Locale.ROOT));
            case TELEGRAM -> "TELEGRAM:" + recipient(type, address);
            case PUSH -> "PUSH:" + address;
        };
    }

    /** An e-mail address without the "+tag" of its local part. */
    private static String withoutSubAddress(String address) {
        int at = address.lastIndexOf('@');
        int plus = address.indexOf('+');
        return plus > 0 && plus < at ? address.substring(0, plus) + address.substring(at) : address;
    }

}
