package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The concatenation references of one person's long messages differ from one message to the next. */
class SmppReferenceTest {

    @Test
    void twoLongMessagesToOnePersonNeverShareAReferenceWhateverTheirIds() {
        var references = new SmppAdapter.References();
        // two job ids whose hashes give the same reference
        String first = "e9cfeea5-e188-5064-a825-0bf091cad9eb";
        String second = "5ebef0ee-7ebb-521e-8437-bf8bfcf24a31";
        assertThat(Math.floorMod(first.hashCode(), 256)).isEqualTo(Math.floorMod(second.hashCode(), 256));
        assertThat(references.next("393331234567", first)).isNotEqualTo(references.next("393331234567", second));
        // 256 long messages in a row to one person each have their own
        var seen = new HashSet<Integer>();
        for (int i = 0; i < 256; i++) {
            assertThat(seen.add(references.next("393337654321", "job-" + i))).isTrue();
        }
    }
}
