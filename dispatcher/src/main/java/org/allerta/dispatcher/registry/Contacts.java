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
            case EMAIL -> value.length() <= 254 && EMAIL.matcher(value).matches() && !value.contains("..")
                    ? new Checked(lowerDomain(value), null)
                    : new Checked(null, "not an e-mail address");
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
        String digits = raw.replaceAll("[\\s\\u00A0\\u2007\\u202F().\\-/]", "");
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
        return E164.matcher(digits).matches() ? Optional.of(digits) : Optional.empty();
    }

    private static String lowerDomain(String email) {
        int at = email.lastIndexOf('@');
        return email.substring(0, at + 1) + email.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
