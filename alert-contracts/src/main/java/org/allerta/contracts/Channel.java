package org.allerta.contracts;

import java.util.Locale;

/**
 * A delivery channel. Each has two jobs topics: {@code notifications.jobs.<lower-case name>} for the bulk of the
 * notices, and {@code notifications.jobs.<lower-case name>.urgent} for what must not wait behind them (rule 8's
 * prioritised people, emergencies, verification codes), which the sender serves first.
 */
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

    /** The name of this channel's urgent jobs topic, served before {@link #jobsTopic()}. */
    public String urgentJobsTopic() {
        return jobsTopic() + Topics.URGENT_SUFFIX;
    }

    /** The jobs topic for a job: the urgent one when it must not wait behind the bulk of the notices. */
    public String jobsTopic(boolean urgent) {
        return urgent ? urgentJobsTopic() : jobsTopic();
    }
}
