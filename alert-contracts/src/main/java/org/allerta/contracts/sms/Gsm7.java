package org.allerta.contracts.sms;

import java.io.ByteArrayOutputStream;

/**
 * The GSM 03.38 default alphabet and its extension table, unpacked (one septet per byte, as SMPP carries data coding
 * 0): {@link #encode} and {@link #decode}. A character of the extension table takes two septets (ESC, code).
 */
public final class Gsm7 {

    /** The default alphabet by code; 0x1B is the escape to the extension table (no character). */
    static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\uFFFFÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    static final int ESCAPE = 0x1B;
    /** Extension characters and their codes after ESC. */
    static final String EXTENDED_CHARS = "\f^{}\\[~]|€";
    static final byte[] EXTENDED_CODES = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};

    private static final int[] CODE = new int[Character.MAX_VALUE + 1];
    private static final int[] EXTENDED = new int[Character.MAX_VALUE + 1];

    static {
        java.util.Arrays.fill(CODE, -1);
        java.util.Arrays.fill(EXTENDED, -1);
        if (BASIC.length() != 128) {
            throw new IllegalStateException("the GSM default alphabet has 128 codes, not " + BASIC.length());
        }
        for (int i = 0; i < BASIC.length(); i++) {
            if (i != ESCAPE) {
                CODE[BASIC.charAt(i)] = i;
            }
        }
        for (int i = 0; i < EXTENDED_CHARS.length(); i++) {
            EXTENDED[EXTENDED_CHARS.charAt(i)] = EXTENDED_CODES[i];
        }
    }

    private Gsm7() {
    }

    /** True when {@code ch} is in the default alphabet. */
    public static boolean basic(char ch) {
        return CODE[ch] >= 0;
    }

    /** True when {@code ch} is in the extension table (two septets). */
    public static boolean extended(char ch) {
        return EXTENDED[ch] >= 0;
    }

    /** True when every character of {@code text} can be sent in GSM-7. */
    public static boolean encodable(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (!basic(ch) && !extended(ch)) {
                return false;
            }
        }
        return true;
    }

    /** Unpacked septets of {@code text}; throws when a character has no GSM-7 form. */
    public static byte[] encode(CharSequence text) {
        var out = new ByteArrayOutputStream(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (basic(ch)) {
                out.write(CODE[ch]);
            } else if (extended(ch)) {
                out.write(ESCAPE);
                out.write(EXTENDED[ch]);
            } else {
                throw new IllegalArgumentException("no GSM-7 form for U+" + Integer.toHexString(ch));
            }
        }
        return out.toByteArray();
    }

    /** The text of unpacked septets. An unknown extension code reads as a space. */
    public static String decode(byte[] septets) {
        var out = new StringBuilder(septets.length);
        for (int i = 0; i < septets.length; i++) {
            int code = septets[i] & 0x7F;
            if (code == ESCAPE && i + 1 < septets.length) {
                int next = septets[++i] & 0x7F;
                int index = -1;
                for (int k = 0; k < EXTENDED_CODES.length; k++) {
                    if (EXTENDED_CODES[k] == next) {
                        index = k;
                    }
                }
                out.append(index >= 0 ? EXTENDED_CHARS.charAt(index) : ' ');
            } else {
                out.append(BASIC.charAt(code));
            }
        }
        return out.toString();
    }
}
