package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a provider says about a failure reaches the receipts without the contacts it quotes. */
class ProviderTextTest {

    @Test
    void phoneNumbersAndAddressesAreReplacedAndStatusCodesKept() {
        assertThat(ProviderText.redacted("The 'To' number +39 333 123-4567 is not a valid WhatsApp user"))
                .isEqualTo("The 'To' number <number> is not a valid WhatsApp user");
        assertThat(ProviderText.redacted("(+39) 3331234567 unreachable")).doesNotContain("3331234567");
        assertThat(ProviderText.redacted("554 5.7.1 <giulia.rossi@example.org>: Relay access denied"))
                .isEqualTo("554 5.7.1 <address>: Relay access denied");
        assertThat(ProviderText.redacted("error 131026, retry in 30 s ($5 charged)"))
                .isEqualTo("error 131026, retry in 30 s ($5 charged)");
    }

    @Test
    void deviceTokensAndChatIdsAreReplaced() {
        String token = "dGhpc0lzQVB1c2hUb2tlbg:APA91bH-x_y9Zq0eRkT2";
        assertThat(ProviderText.redacted("unregistered token " + token + " (NotRegistered)"))
                .isEqualTo("unregistered token <token> (NotRegistered)");
        assertThat(ProviderText.redacted("chat 5123456789 not found")).isEqualTo("chat <number> not found");
        // words and status codes stay: no digit, or too short
        assertThat(ProviderText.redacted("InvalidRegistration: messaging/registration-token-not-registered"))
                .isEqualTo("InvalidRegistration: messaging/registration-token-not-registered");
        assertThat(ProviderText.redacted("554 5.7.1 relay denied")).isEqualTo("554 5.7.1 relay denied");
    }

    @Test
    void controlCharactersGoAndTheTextIsCut() {
        assertThat(ProviderText.redacted("bad\u0000 token\r\n\tnow")).isEqualTo("bad token now");
        assertThat(ProviderText.redacted("x".repeat(500))).hasSize(200);
        assertThat(ProviderText.redacted(null)).isEqualTo("null");
    }
}
