package org.allerta.sender.delivery;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.allerta.contracts.Channel;
import org.eclipse.microprofile.config.Config;

/**
 * Provider accounts shared by several channels: an aggregator that carries SMS and WhatsApp under one contract limits
 * them together. A channel names its account ({@code allerta.sender.<channel>.account}, env
 * {@code ALLERTA_<CHANNEL>_ACCOUNT}); the account has its own rate and burst
 * ({@code allerta.sender.account.<name>.rate}, env {@code ALLERTA_SENDER_ACCOUNT_<NAME>_RATE}, and {@code .burst}).
 * Every send of those channels takes a token from the channel's bucket and then from the account's.
 */
final class ProviderAccounts {

    private final Config config;
    private final Map<String, TokenBucket> buckets = new HashMap<>();

    ProviderAccounts(Config config) {
        this.config = config;
    }

    /** The bucket of the account {@code channel} sends through, the same one for every channel naming it. */
    synchronized Optional<TokenBucket> of(Channel channel) {
        return config.getOptionalValue(Deliveries.prefix(channel) + "account", String.class)
                .map(name -> name.trim().toLowerCase(Locale.ROOT)).filter(name -> !name.isEmpty())
                .map(name -> buckets.computeIfAbsent(name,
                        n -> TokenBucket.configured(config, "allerta.sender.account." + n + ".")));
    }
}
