package org.allerta.sender.channel;

import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.NotificationJob;

/** Delivers jobs of some channels over one protocol. Implementations are thread-safe. */
public interface Adapter {

    /** The channels this adapter is configured for (empty when it is not enabled). */
    Set<Channel> channels();

    /** One attempt to deliver {@code job}; never throws for a provider's answer. */
    Outcome send(NotificationJob job);
}
