package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;

/** A failure's reason travels on notifications.receipts: it keeps the server's reply, never the address. */
class SmtpReasonTest {

    @Test
    void theReasonOfARefusedRecipientDoesNotNameThem() throws Exception {
        // a server's reply to the message quoting the recipient, as the mail library reports it
        var address = new InternetAddress("giulia.rossi@example.org");
        var e = new SMTPSendFailedException("DATA", 554,
                "554 5.7.1 <giulia.rossi@example.org>: Relay access denied\n", null,
                new InternetAddress[0], new InternetAddress[0], new InternetAddress[] {address});

        String reason = SmtpAdapter.brief(e);

        assertThat(reason).doesNotContain("giulia").doesNotContain("example.org")
                .isEqualTo("554 5.7.1 <address>: Relay access denied");
    }
}
