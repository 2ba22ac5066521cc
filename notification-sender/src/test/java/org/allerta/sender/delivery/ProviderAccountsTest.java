package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.allerta.contracts.Channel;
import org.junit.jupiter.api.Test;

/** Channels of one provider account share its limit; a channel without an account has only its own. */
class ProviderAccountsTest {

    private static ProviderAccounts accounts(Map<String, String> settings) {
        // as environment variables: SmallRye finds allerta.sender.account.x.rate as ALLERTA_SENDER_ACCOUNT_X_RATE
        return new ProviderAccounts(new SmallRyeConfigBuilder().withSources(new EnvConfigSource(settings, 300))
                .build());
    }

    @Test
    void channelsNamingOneAccountShareItsBucket() {
        var accounts = accounts(Map.of(
                "ALLERTA_SENDER_ACCOUNT_AGGREGATOR_RATE", "20",
                "ALLERTA_SENDER_SMS_ACCOUNT", "aggregator",
                "ALLERTA_SENDER_WHATSAPP_ACCOUNT", "Aggregator",
                "ALLERTA_SENDER_TELEGRAM_ACCOUNT", ""));
        TokenBucket sms = accounts.of(Channel.SMS).orElseThrow();
        assertThat(accounts.of(Channel.WHATSAPP)).containsSame(sms);
        assertThat(sms.rate()).as("from the environment form of the account's rate").isEqualTo(20.0);
        assertThat(accounts.of(Channel.TELEGRAM)).isEmpty();
        assertThat(accounts.of(Channel.EMAIL)).isEmpty();
    }

    @Test
    void twoChannelsTogetherNeverExceedTheAccountsRate() throws Exception {
        var accounts = accounts(Map.of(
                "allerta.sender.account.aggregator.rate", "20",
                "allerta.sender.account.aggregator.burst", "1",
                "allerta.sender.sms.account", "aggregator",
                "allerta.sender.whatsapp.account", "aggregator"));
        AtomicInteger taken = new AtomicInteger();
        long start = System.nanoTime();
        long until = start + 1_000_000_000L;
        Thread[] senders = new Thread[2];
        for (int i = 0; i < senders.length; i++) {
            TokenBucket bucket = accounts.of(i == 0 ? Channel.SMS : Channel.WHATSAPP).orElseThrow();
            senders[i] = new Thread(() -> {
                try {
                    while (System.nanoTime() < until) {
                        bucket.acquire();
                        taken.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            senders[i].start();
        }
        for (Thread sender : senders) {
            sender.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // the burst, then 20 a second for both channels together (each alone would also be allowed 20)
        assertThat(taken.get()).isPositive().isLessThanOrEqualTo((int) Math.floor(1 + 20 * seconds) + 1);
    }

    @Test
    void twoChannelsTogetherNeverHaveMoreSendsUnderWayThanTheAccountAllows() throws Exception {
        var accounts = accounts(Map.of(
                "ALLERTA_SENDER_ACCOUNT_AGGREGATOR_CONCURRENCY", "2",
                "ALLERTA_SENDER_SMS_ACCOUNT", "aggregator",
                "ALLERTA_SENDER_WHATSAPP_ACCOUNT", "aggregator",
                "ALLERTA_SENDER_ACCOUNT_OTHER_RATE", "5",
                "ALLERTA_SENDER_TELEGRAM_ACCOUNT", "other"));
        var sms = accounts.slots(Channel.SMS);
        assertThat(sms).isPresent();
        assertThat(accounts.slots(Channel.WHATSAPP)).containsSame(sms.get());
        assertThat(accounts.slots(Channel.TELEGRAM)).as("an account without a concurrency").isEmpty();
        assertThat(accounts.slots(Channel.EMAIL)).as("a channel without an account").isEmpty();

        // eight senders, four per channel (each channel's own concurrency), each send taking 20 ms
        AtomicInteger underWay = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        Thread[] senders = new Thread[8];
        for (int i = 0; i < senders.length; i++) {
            var slots = accounts.slots(i % 2 == 0 ? Channel.SMS : Channel.WHATSAPP).orElseThrow();
            senders[i] = new Thread(() -> {
                try {
                    for (int n = 0; n < 5; n++) {
                        slots.acquire();
                        try {
                            most.accumulateAndGet(underWay.incrementAndGet(), Math::max);
                            Thread.sleep(20);
                            underWay.decrementAndGet();
                            done.incrementAndGet();
                        } finally {
                            slots.release();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            senders[i].start();
        }
        for (Thread sender : senders) {
            sender.join();
        }
        assertThat(done.get()).isEqualTo(40);
        assertThat(most.get()).isEqualTo(2);
    }

    @Test
    void anAccountsConcurrencyBelowOneIsRefused() {
        var accounts = accounts(Map.of("ALLERTA_SENDER_ACCOUNT_AGGREGATOR_CONCURRENCY", "0",
                "ALLERTA_SENDER_SMS_ACCOUNT", "aggregator"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> accounts.slots(Channel.SMS))
                .hasMessageContaining("at least 1");
    }
}
