package org.allerta.sender.delivery;

import org.eclipse.microprofile.config.Config;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up. A rate of 0 or less means no
 * limit. Thread-safe; {@link #acquire()} waits for a token.
 */
public final class TokenBucket {

    private final double ratePerSecond;
    private final double burst;
    private double tokens;
    private long last;

    public TokenBucket(double ratePerSecond, double burst) {
        this.ratePerSecond = ratePerSecond;
        this.burst = Math.max(1, burst);
        this.tokens = this.burst;
        this.last = System.nanoTime();
    }

    /**
     * The bucket configured under {@code prefix}: {@code rate} a second (default 0, no limit) and {@code burst}
     * (default the rate, at least 1).
     */
    static TokenBucket configured(Config config, String prefix) {
        double rate = config.getOptionalValue(prefix + "rate", Double.class).orElse(0.0);
        return new TokenBucket(rate, config.getOptionalValue(prefix + "burst", Integer.class)
                .orElse((int) Math.max(1, rate)));
    }

    /** The configured rate (0 = unlimited). */
    public double rate() {
        return ratePerSecond;
    }

    /** Takes one token, waiting as long as needed. */
    public void acquire() throws InterruptedException {
        acquire(1);
    }

    /**
     * Takes {@code n} tokens (one per part of a long SMS), waiting until at least one is there. A taking larger than
     * what is there leaves the bucket in debt, which later takers wait out: over time no more than the rate goes
     * out, whatever the size of each taking.
     */
    public void acquire(int n) throws InterruptedException {
        if (ratePerSecond <= 0) {
            return;
        }
        while (true) {
            long waitNanos;
            synchronized (this) {
                long now = System.nanoTime();
                tokens = Math.min(burst, tokens + (now - last) / 1e9 * ratePerSecond);
                last = now;
                if (tokens >= 1) {
                    tokens -= Math.max(1, n);
                    return;
                }
                waitNanos = (long) ((1 - tokens) / ratePerSecond * 1e9);
            }
            Thread.sleep(Math.max(1, waitNanos / 1_000_000), (int) (waitNanos % 1_000_000 / 1000));
        }
    }
}
