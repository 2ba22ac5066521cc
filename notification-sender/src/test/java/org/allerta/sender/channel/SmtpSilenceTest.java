package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.NotificationJob;
import org.junit.jupiter.api.Test;

/**
 * What an SMTP relay's silence means: once the whole message and its final "." went out, a lost reply leaves the
 * message perhaps queued (uncertain, never sent again at most once); a connection lost before that point, or any
 * reply to the end of the message, is an answer (retried or failed as the reply says).
 */
class SmtpSilenceTest {

    /** Where the scripted relay stops answering. */
    private enum Script { CLOSE_AFTER_END, CLOSE_AFTER_RECIPIENT, TRY_LATER_AFTER_END, ACCEPT }

    @Test
    void aRelayThatHangsUpAfterTheWholeMessageLeavesItUncertain() throws Exception {
        assertThat(sendTo(Script.CLOSE_AFTER_END)).isInstanceOf(Outcome.Uncertain.class);
    }

    @Test
    void aRelayThatHangsUpBeforeTheMessageWentOutIsRetried() throws Exception {
        assertThat(sendTo(Script.CLOSE_AFTER_RECIPIENT)).isInstanceOf(Outcome.Retry.class);
    }

    @Test
    void aReplyToTheEndOfTheMessageIsAnAnswer() throws Exception {
        assertThat(sendTo(Script.TRY_LATER_AFTER_END)).isInstanceOf(Outcome.Retry.class);
        assertThat(sendTo(Script.ACCEPT)).isInstanceOf(Outcome.Sent.class);
    }

    /**
     * A municipality's name as its sender (Forlì, Cantù) goes out encoded (RFC 2047), not as raw 8-bit bytes that a
     * strict relay refuses.
     */
    @Test
    void aSenderNameWithAnAccentIsEncodedForTheWire() throws Exception {
        var lines = new java.util.concurrent.CopyOnWriteArrayList<String>();
        assertThat(sendTo(Script.ACCEPT, "Comune di Forlì <avvisi@comune.example>", lines))
                .isInstanceOf(Outcome.Sent.class);
        String from = lines.stream().filter(l -> l.startsWith("From:")).findFirst().orElseThrow();
        assertThat(from).matches("\\p{ASCII}*");
        assertThat(jakarta.mail.internet.MimeUtility.decodeText(from.substring(5).strip()))
                .isEqualTo("Comune di Forlì <avvisi@comune.example>");
    }

    private static Outcome sendTo(Script script) throws Exception {
        return sendTo(script, "allerta@comune.example", new java.util.ArrayList<>());
    }

    /**
     * One message through the adapter to a relay that follows the script; the outcome the adapter reports. The
     * message's lines as the relay read them are added to {@code lines}.
     */
    private static Outcome sendTo(Script script, String from, java.util.List<String> lines) throws Exception {
        var ends = new AtomicInteger();
        try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread relay = new Thread(() -> serve(server, script, ends, lines), "scripted-relay");
            relay.setDaemon(true);
            relay.start();
            var adapter = new SmtpAdapter(true, "127.0.0.1", server.getLocalPort(), from,
                    "none", Optional.empty(), Optional.empty());
            var job = new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, Channel.EMAIL, "ev-smtp",
                    1L, Change.AFFECTED, UUID.randomUUID().toString(), "giulia@example.org", "it",
                    "Interruzione di corrente", "Giulia, manca la corrente in Via Dazio.", null, Map.of(), null,
                    false, Instant.now().plusSeconds(3600), Instant.now());
            Outcome outcome = adapter.send(job);
            adapter.onStop(null);
            relay.join(5_000);
            if (script != Script.CLOSE_AFTER_RECIPIENT) {
                assertThat(ends).as("the relay read the message's end").hasValue(1);
            } else {
                assertThat(ends).as("the message never went out").hasValue(0);
            }
            return outcome;
        }
    }

    private static void serve(ServerSocket server, Script script, AtomicInteger ends, java.util.List<String> lines) {
        try (Socket socket = server.accept()) {
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            say(out, "220 relay.example ESMTP");
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                switch (verb) {
                    case "RCPT" -> {
                        if (script == Script.CLOSE_AFTER_RECIPIENT) {
                            return;
                        }
                        say(out, "250 2.1.5 ok");
                    }
                    case "DATA" -> {
                        say(out, "354 go ahead");
                        while ((line = in.readLine()) != null && !line.equals(".")) {
                            lines.add(line);
                        }
                        ends.incrementAndGet();
                        switch (script) {
                            case CLOSE_AFTER_END -> {
                                return;
                            }
                            case TRY_LATER_AFTER_END -> say(out, "451 4.3.0 try again later");
                            default -> say(out, "250 2.0.0 queued");
                        }
                    }
                    case "QUIT" -> {
                        say(out, "221 bye");
                        return;
                    }
                    default -> say(out, "250 ok");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void say(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
