package org.allerta.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Bad input for fuzzing, made from a valid example: random bytes, a truncation, flipped bytes, an inserted JSON or
 * XML token, numbers replaced by extreme ones, a repeated slice, a renamed field.
 */
public final class FuzzBodies {

    private FuzzBodies() {
    }

    /** One mutation of {@code valid}, chosen by {@code random}. */
    public static byte[] mutate(byte[] valid, Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> {
                byte[] noise = new byte[random.nextInt(300)];
                random.nextBytes(noise);
                yield noise;
            }
            case 1 -> Arrays.copyOf(valid, random.nextInt(valid.length));
            case 2 -> {
                byte[] copy = valid.clone();
                for (int i = 0; i < 1 + random.nextInt(5); i++) {
                    copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
                }
                yield copy;
            }
            case 3 -> {
                String text = new String(valid, StandardCharsets.UTF_8);
                int at = random.nextInt(text.length());
                String insert = List.of("\"", "{", "[", "]", "}", "<", ">", "&", "\\u0000", "1e999", "-0", "null",
                        "\"x\":", "<![CDATA[", "]]>", "&amp;", "\uD83D\uDE00").get(random.nextInt(17));
                yield (text.substring(0, at) + insert + text.substring(at)).getBytes(StandardCharsets.UTF_8);
            }
            case 4 -> new String(valid, StandardCharsets.UTF_8).replaceAll("[0-9]+(\\.[0-9]+)?",
                    List.of("1e308", "99999999999999999999", "-1", "NaN", "0").get(random.nextInt(5)))
                    .getBytes(StandardCharsets.UTF_8);
            case 5 -> {
                String text = new String(valid, StandardCharsets.UTF_8);
                int from = random.nextInt(text.length());
                int to = Math.min(text.length(), from + random.nextInt(40));
                yield (text + text.substring(from, to)).getBytes(StandardCharsets.UTF_8);
            }
            default -> {
                String text = new String(valid, StandardCharsets.UTF_8);
                String key = List.of("\"kind\"", "\"severity\"", "\"coordinates\"", "\"status\"", "<polygon>",
                        "<msgType>", "\"name\"").get(random.nextInt(7));
                yield text.replace(key, key.replace("\"", "\"x")).getBytes(StandardCharsets.UTF_8);
            }
        };
    }
}
