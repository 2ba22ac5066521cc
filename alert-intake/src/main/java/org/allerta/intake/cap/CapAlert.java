package org.allerta.intake.cap;

import java.util.List;
import org.allerta.intake.event.EventInput;

/**
 * A CAP 1.2 alert as Allerta understands it.
 *
 * @param key        "sender,identifier,sent" exactly as CAP references write it
 * @param msgType    Alert, Update or Cancel
 * @param references the keys of the alerts this one follows
 * @param input      the event it describes (its publisher event id is {@code key})
 */
public record CapAlert(String key, String msgType, List<String> references, EventInput input) {
    public CapAlert {
        references = List.copyOf(references);
    }
}
