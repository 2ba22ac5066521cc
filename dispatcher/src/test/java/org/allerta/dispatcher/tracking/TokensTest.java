package org.allerta.dispatcher.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/**
 * Click, open and unsubscribe tokens: 128 bits that look random and reveal nothing of the job they stand for, which
 * only the service can read back.
 */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class TokensTest {

    private static final int SAMPLES = 20_000;

    @Inject
    Tokens tokens;

    @Test
    void carryAtLeast128BitsOfUrlSafeText() {
        UUID job = UUID.randomUUID();
        String token = tokens.token(job);
        assertThat(token).matches("[A-Za-z0-9_-]+");
        assertThat(token.length() * 6).as("bits carried").isGreaterThanOrEqualTo(128);
        assertThat(Tokens.wellFormed(token)).isTrue();
        assertThat(tokens.token(job)).as("stable for one job, so a re-emitted job keeps its links")
                .isEqualTo(token).isEqualTo(tokens.token(job.toString()));
    }

    @Test
    void theServiceReadsTheJobBackAndNothingElse() {
        UUID job = UUID.randomUUID();
        String token = tokens.token(job);
        assertThat(tokens.jobId(token)).contains(job);
        char[] tampered = token.toCharArray();
        tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
        assertThat(tokens.jobId(new String(tampered))).as("one character changed names another, unrelated job")
                .isPresent().get().isNotEqualTo(job);
        char[] respelt = token.toCharArray();
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        respelt[21] = alphabet.charAt(alphabet.indexOf(respelt[21]) + 1);
        assertThat(tokens.jobId(new String(respelt))).as("the last character's unused bits set: not a token")
                .isEmpty();
        assertThat(tokens.jobId(token.substring(1))).isEmpty();
        assertThat(tokens.jobId(token.substring(0, 21) + "*")).isEmpty();
        assertThat(tokens.jobId(null)).isEmpty();
    }

    @Test
    void everyBitIsAsLikelySetAsNotAndNeighbouringJobsShareNothing() {
        int bits = 128;
        int[] ones = new int[bits];
        int[] flipped = new int[bits];
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < SAMPLES; i++) {
            // consecutive job ids: the worst case for a token that leaked its input
            String token = tokens.token(new UUID(0, i));
            String neighbour = tokens.token(new UUID(0, i + 1));
            seen.add(token);
            byte[] a = decode(token);
            byte[] b = decode(neighbour);
            for (int bit = 0; bit < bits; bit++) {
                boolean x = bit(a, bit);
                ones[bit] += x ? 1 : 0;
                flipped[bit] += x != bit(b, bit) ? 1 : 0;
            }
        }
        assertThat(seen).as("no two jobs share a token").hasSize(SAMPLES);
        // for a fair bit, the count of ones over 20,000 samples lies within 10,000 +/- 5 sigma (sigma = 70.7)
        for (int bit = 0; bit < bits; bit++) {
            assertThat(ones[bit]).as("ones at bit " + bit).isBetween(SAMPLES / 2 - 354, SAMPLES / 2 + 354);
            assertThat(flipped[bit]).as("bit " + bit + " flipped between neighbouring jobs")
                    .isBetween(SAMPLES / 2 - 354, SAMPLES / 2 + 354);
        }
    }

    private static byte[] decode(String token) {
        return Base64.getUrlDecoder().decode(token);
    }

    private static boolean bit(byte[] bytes, int index) {
        return (bytes[index / 8] >> (7 - index % 8) & 1) == 1;
    }
}
