package org.allerta.sender.delivery;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.allerta.contracts.Channel;
import org.eclipse.microprofile.config.Config;

/**
 * Provider accounts shared by several channels: an aggregator that carries SMS and WhatsApp under one contract limits
 * them together. A channel names its account ({@code allerta.sender.<channel>.account}, env
 * {@code ALLERTA_<CHANNEL>_ACCOUNT}); the account has its own rate and burst
 * ({@code allerta.sender.account.<name>.rate}, env {@code ALLERTA_SENDER_ACCOUNT_<NAME>_RATE}, and {@code .burst}).
 * Every send of those channels takes a token from the channel's bucket and then from the account's. An account may
 * also bound the sends under way at once across its channels ({@code allerta.sender.account.<name>.concurrency}, env
 * {@code ALLERTA_SENDER_ACCOUNT_<NAME>_CONCURRENCY}; unbounded by default, each channel's own concurrency still
 * applying): a provider that allows, say, ten open requests per contract refuses the eleventh whatever the channel.
 */
final class ProviderAccounts {

    private final Config config;
    private final Map<String, TokenBucket> buckets = new HashMap<>();
    private final Map<String, Optional<Semaphore>> slots = new HashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> urgent = new HashMap<>();

    ProviderAccounts(Config config) {
        this.config = config;
    }

    /** The bucket of the account {@code channel} sends through, the same one for every channel naming it. */
    synchronized Optional<TokenBucket> of(Channel channel) {
        return name(channel).map(name -> buckets.computeIfAbsent(name,
                n -> TokenBucket.configured(config, "allerta.sender.account." + n + ".")));
    }

    /**
     * The permits of sends under way at once for the account {@code channel} sends through, the same semaphore for
     * every channel naming it; empty when the channel has no account or its account sets no concurrency.
     */
    synchronized Optional<Semaphore> slots(Channel channel) {
        return name(channel).flatMap(name -> slots.computeIfAbsent(name, n -> config
                .getOptionalValue("allerta.sender.account." + n + ".concurrency", Integer.class)
                .map(permits -> {
                    if (permits < 1) {
                        throw new IllegalArgumentException("allerta.sender.account." + n
                                + ".concurrency must be at least 1, not " + permits);
                    }
                    return new Semaphore(permits, true);
                })));
    }

    /**
     * The count of urgent jobs being sent through the account {@code channel} sends through, the same one for every
     * channel naming it: while it is above zero, none of the account's channels sends from its bulk.
     */
    synchronized Optional<java.util.concurrent.atomic.AtomicLong> urgent(Channel channel) {
        return name(channel).map(name -> urgent.computeIfAbsent(name, n -> new java.util.concurrent.atomic.AtomicLong()));
    }

    private Optional<String> name(Channel channel) {
        return config.getOptionalValue(Deliveries.prefix(channel) + "account", String.class)
                .map(name -> name.trim().toLowerCase(Locale.ROOT)).filter(name -> !name.isEmpty());
    }
}
