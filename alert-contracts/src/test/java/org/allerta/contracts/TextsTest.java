package org.allerta.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextsTest {

    @Test
    void theReadersLanguageThenItalianThenEnglishThenTheFirstInAlphabeticalOrder() {
        Map<String, String> all = Map.of("de", "Stromausfall", "en", "Power cut", "it", "Guasto");
        assertThat(Texts.pick(all, "de")).isEqualTo(Map.entry("de", "Stromausfall"));
        assertThat(Texts.pick(all, "fr")).isEqualTo(Map.entry("it", "Guasto"));
        assertThat(Texts.pick(Map.of("de", "Stromausfall", "en", "Power cut"), "fr"))
                .isEqualTo(Map.entry("en", "Power cut"));
        assertThat(Texts.pick(Map.of("fr", "Panne", "de", "Stromausfall"), "it"))
                .isEqualTo(Map.entry("de", "Stromausfall"));
        assertThat(Texts.pick(Map.of(), "it")).isNull();
    }

    @Test
    void aRegionalFormServesItsLanguageAndTheMapsOrderDoesNotMatter() {
        var one = new LinkedHashMap<String, String>();
        one.put("it-ch", "Guasto (CH)");
        one.put("en-gb", "Power cut");
        var other = new LinkedHashMap<String, String>();
        other.put("en-gb", "Power cut");
        other.put("it-ch", "Guasto (CH)");
        assertThat(Texts.pick(one, "it")).isEqualTo(Map.entry("it-ch", "Guasto (CH)"));
        assertThat(Texts.pick(other, "fr")).isEqualTo(Texts.pick(one, "fr"));
    }
}
