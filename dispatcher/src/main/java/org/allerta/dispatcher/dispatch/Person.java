package org.allerta.dispatcher.dispatch;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.rules.QuietHours;
import org.allerta.dispatcher.render.NoticeInput.PlaceRef;

/**
 * A subscriber as dispatch needs them: how to address them, what they follow, their verified channels and places.
 *
 * @param id         subscriber id
 * @param name       how they are addressed
 * @param language   "it" or "en"
 * @param interests  kinds followed
 * @param priority   prioritised (with consent)
 * @param quietHours null when none
 * @param channels   verified, subscribed channels, in the person's order
 * @param places     place id to place, in the person's order
 */
record Person(UUID id, String name, String language, Set<EventKind> interests, boolean priority,
              QuietHours quietHours, List<Reach> channels, Map<String, PlaceRef> places) {

    /** One verified channel. */
    record Reach(UUID channelId, Channel type, String address, Set<EventKind> kinds) {
    }
}
