package org.allerta.sender.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {

    /**
     * Takings of three tokens (three-part SMS) at 20 per second with a burst of 1: ten of them are 30 tokens, which
     * cannot go out in less than 29 / 20 s whatever the machine (the first token is there at the start).
     */
    @Test
    void aTakingOfSeveralTokensCountsThemAll() throws Exception {
        TokenBucket bucket = new TokenBucket(20, 1);
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            bucket.acquire(3);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(seconds).as("30 tokens at 20/s").isGreaterThanOrEqualTo(1.3);
    }
}
