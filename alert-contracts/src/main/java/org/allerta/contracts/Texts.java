package org.allerta.contracts;

import java.util.Map;
import java.util.TreeMap;

/** Which text of a language map ({@code {"it": "...", "en": "..."}}) a reader gets. */
public final class Texts {

    private Texts() {
    }

    /**
     * The text in {@code language} (or a regional form of it, {@code it-ch}); else Italian, else English, else the
     * first language in alphabetical order, the same on every run whatever the map's own order. Null for an empty map.
     *
     * @return the language the text is in, and the text
     */
    public static Map.Entry<String, String> pick(Map<String, String> texts, String language) {
        if (texts == null || texts.isEmpty()) {
            return null;
        }
        var sorted = new TreeMap<>(texts);
        for (String wanted : new String[] {language, "it", "en"}) {
            if (wanted == null) {
                continue;
            }
            if (sorted.containsKey(wanted)) {
                return Map.entry(wanted, sorted.get(wanted));
            }
            for (var entry : sorted.entrySet()) {
                if (entry.getKey().startsWith(wanted + "-")) {
                    return entry;
                }
            }
        }
        return sorted.firstEntry();
    }
}
