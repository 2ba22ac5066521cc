package org.allerta.contracts;

import java.util.Locale;

/** A delivery channel. Each has its own jobs topic, {@code notifications.jobs.<lower-case name>}. */
public enum Channel {
    SMS,
    EMAIL,
    PUSH,
    WHATSAPP,
    TELEGRAM;

    /** The name of this channel's jobs topic. */
    public String jobsTopic() {
        return Topics.JOBS_PREFIX + name().toLowerCase(Locale.ROOT);
    }
}
