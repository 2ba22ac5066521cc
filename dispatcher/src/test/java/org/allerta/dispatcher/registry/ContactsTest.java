package org.allerta.dispatcher.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.allerta.contracts.Channel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Addresses as people and apps write them, normalised or refused before a code is sent to them. */
class ContactsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "333 123 4567        | +393331234567",
            "+39 333-1234567     | +393331234567",
            "0039 333 1234567    | +393331234567",
            "393331234567        | +393331234567",
            "+39 (0)131 234567   | +390131234567",
            "0131 234567         | +390131234567",
            "+39 335 123456      | +39335123456",
            "+44 20 7946 0958    | +442079460958",
            "+44 (0)20 7946 0958 | +442079460958",
    })
    void phoneNumbersAsPeopleWriteThem(String written, String normalised) {
        assertThat(Contacts.check(Channel.SMS, written, "39").address()).isEqualTo(normalised);
    }

    /** Not numbers of the Italian plan: a landline whose 0 a spreadsheet dropped, a mobile with a digit too many. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"+39131234567", "+39 333 12345678", "131234567"})
    void italianNumbersOutsideThePlanAreRefused(String written) {
        assertThat(Contacts.check(Channel.SMS, written, "39").ok()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "giulia@example.org        | giulia@example.org",
            "Giulia.Rossi+allerta@Example.ORG | Giulia.Rossi+allerta@example.org",
            "info@comunità.it          | info@xn--comunit-fwa.it",
    })
    void eMailAddressesTheirServersTake(String written, String normalised) {
        assertThat(Contacts.check(Channel.EMAIL, written, "39").address()).isEqualTo(normalised);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({".giulia@example.org", "giulia.@example.org", "giu..lia@example.org", "giulia@", "@example.org",
            "giulia@exa_mple.org", "giùlia@example.org", "giulia@example..org"})
    void eMailAddressesNoServerTakesAreRefused(String written) {
        assertThat(Contacts.check(Channel.EMAIL, written, "39").ok()).isFalse();
    }

    @Test
    void aLineBreakCannotAddARecipient() {
        assertThat(Contacts.check(Channel.EMAIL, "giulia@example.org\r\nBcc: x@y.z", "39").ok()).isFalse();
        assertThat(Contacts.check(Channel.EMAIL, "giulia@example.org\nx", "39").ok()).isFalse();
    }

    /** Codes are counted per mailbox, phone and chat, however the address is written or reached. */
    @Test
    void oneAddressIsCountedOnceHoweverItIsWritten() {
        assertThat(Contacts.counted(Channel.EMAIL, "Giulia@example.org"))
                .isEqualTo(Contacts.counted(Channel.EMAIL, "gIULIA@example.org"));
        assertThat(Contacts.counted(Channel.SMS, "+393331234567"))
                .isEqualTo(Contacts.counted(Channel.WHATSAPP, "+393331234567"));
        assertThat(Contacts.counted(Channel.TELEGRAM, "007")).isEqualTo(Contacts.counted(Channel.TELEGRAM, "7"));
        assertThat(Contacts.counted(Channel.TELEGRAM, "-0012")).isEqualTo(Contacts.counted(Channel.TELEGRAM, "-12"));
        assertThat(Contacts.counted(Channel.TELEGRAM, "0")).isEqualTo("TELEGRAM:0");
        assertThat(Contacts.counted(Channel.SMS, "+393331234567"))
                .isNotEqualTo(Contacts.counted(Channel.SMS, "+393331234568"));
        // a sub-address reaches the same mailbox (RFC 5233): it does not open another day's allowance of codes
        assertThat(Contacts.counted(Channel.EMAIL, "giulia+1@example.org"))
                .isEqualTo(Contacts.counted(Channel.EMAIL, "Giulia+alerts@example.org"))
                .isEqualTo(Contacts.counted(Channel.EMAIL, "giulia@example.org"))
                .isNotEqualTo(Contacts.counted(Channel.EMAIL, "giulia1@example.org"));
        assertThat(Contacts.counted(Channel.EMAIL, "+x@example.org")).isEqualTo("EMAIL:+x@example.org");
    }

    /** Whether a channel whose address was written again is still the same channel. */
    @Test
    void anAddressWrittenAgainReachesTheSameRecipient() {
        assertThat(Contacts.sameAddress(Channel.EMAIL, "Giulia@example.org", "giulia@example.org")).isTrue();
        assertThat(Contacts.sameAddress(Channel.TELEGRAM, "007", "7")).isTrue();
        assertThat(Contacts.sameAddress(Channel.TELEGRAM, "-0012", "-12")).isTrue();
        // a sub-address may be filtered to another folder: a new address, confirmed anew
        assertThat(Contacts.sameAddress(Channel.EMAIL, "giulia+1@example.org", "giulia@example.org")).isFalse();
        assertThat(Contacts.sameAddress(Channel.SMS, "+393331234567", "+393331234568")).isFalse();
        assertThat(Contacts.sameAddress(Channel.PUSH, "Token", "token")).isFalse();
    }
}
