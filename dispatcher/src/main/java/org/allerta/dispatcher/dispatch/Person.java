package org.allerta.dispatcher.dispatch;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Severity;
import org.allerta.contracts.rules.Interests;
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
 * @param awaiting   the kinds followed by each channel still awaiting its code (empty: every kind)
 */
record Person(UUID id, String name, String language, Set<EventKind> interests, boolean priority,
              QuietHours quietHours, List<Reach> channels, Map<String, PlaceRef> places,
              List<Set<EventKind>> awaiting) {

    /** True when a channel that would carry a notice of this kind and severity awaits its code. */
    boolean awaitsChannelFor(EventKind kind, Severity severity) {
        for (Set<EventKind> kinds : awaiting) {
            if (Interests.channelServes(kinds, kind, severity)) {
                return true;
            }
        }
        return false;
    }

    /** One verified channel. */
    record Reach(UUID channelId, Channel type, String address, Set<EventKind> kinds) {
    }
}
