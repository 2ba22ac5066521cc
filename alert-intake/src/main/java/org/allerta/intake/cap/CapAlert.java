package org.allerta.intake.cap;

import java.time.Instant;
import java.util.List;
import org.allerta.intake.event.EventInput;

/**
 * A CAP 1.2 alert as Allerta understands it.
 *
 * @param key        "sender,identifier,sent" exactly as CAP references write it
 * @param msgType    Alert, Update or Cancel
 * @param references the keys of the alerts this one follows
 * @param input      the event it describes (its publisher event id is {@code key}); null for a Cancel that names
 *                   only what it cancels (CAP makes {@code <info>} optional): the event as it stands, cancelled
 * @param sent       when the publisher sent it
 * @param test       a Test or Exercise message
 */
public record CapAlert(String key, String msgType, List<String> references, EventInput input, Instant sent,
                       boolean test) {

    /** A Cancel without its own description of the event. */
    public boolean bareCancel() {
        return input == null;
    }

    public CapAlert {
        references = List.copyOf(references);
    }
}
