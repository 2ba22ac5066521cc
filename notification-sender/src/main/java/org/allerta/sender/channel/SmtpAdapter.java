package org.allerta.sender.channel;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.NotificationJob;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * E-mail over SMTP (Jakarta Mail): a multipart/alternative message with the job's plain and HTML parts and its
 * headers (RFC 8058 one-click unsubscribe), a Message-ID made from the job id. TLS (STARTTLS or implicit) and
 * authentication come from the environment. Each sending thread keeps its SMTP connection open between messages
 * (reconnecting when the server closed it). 4xx SMTP replies, and connections lost before the message's end went
 * out, are retried; 5xx replies to the recipient or the message are failures. A message sent whole whose reply never came is {@link Outcome.Uncertain}:
 * not sent again when delivering at most once. A server that cannot be reached, or refuses our credentials, TLS or
 * envelope sender, says nothing against the message: it is retried without using up its attempts, until its expiry
 * at most.
 */
@ApplicationScoped
public class SmtpAdapter implements Adapter {

    /** The system property that names Jakarta Mail's stream provider. */
    static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";

    private final boolean enabled;
    private final Session session;
    private final InternetAddress from;
    private final String domain;
    private final boolean implicitTls;
    private final ThreadLocal<Relay> connections = new ThreadLocal<>();
    private final java.util.Set<Relay> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    SmtpAdapter(@ConfigProperty(name = "allerta.sender.smtp.enabled") boolean enabled,
                @ConfigProperty(name = "allerta.sender.smtp.host") String host,
                @ConfigProperty(name = "allerta.sender.smtp.port") int port,
                @ConfigProperty(name = "allerta.sender.smtp.from") String from,
                @ConfigProperty(name = "allerta.sender.smtp.tls") String tls,
                @ConfigProperty(name = "allerta.sender.smtp.username") Optional<String> username,
                @ConfigProperty(name = "allerta.sender.smtp.password") Optional<String> password) throws AddressException {
        this.enabled = enabled;
        this.from = encoded(new InternetAddress(from));
        String address = this.from.getAddress();
        this.domain = address.substring(address.indexOf('@') + 1);
        if (!Set.of("none", "starttls", "tls").contains(tls.strip().toLowerCase(java.util.Locale.ROOT))) {
            // anything else would have meant a connection in clear, and the password with it
            throw new IllegalStateException("ALLERTA_SMTP_TLS must be none, starttls or tls, not '" + tls + "'");
        }
        tls = tls.strip();
        var props = new Properties();
        boolean implicit = "tls".equalsIgnoreCase(tls);
        this.implicitTls = implicit;
        String protocol = implicit ? "smtps" : "smtp";
        props.put("mail.transport.protocol", protocol);
        props.put("mail." + protocol + ".host", host);
        props.put("mail." + protocol + ".port", Integer.toString(port));
        props.put("mail." + protocol + ".connectiontimeout", "10000");
        props.put("mail." + protocol + ".timeout", "30000");
        props.put("mail." + protocol + ".writetimeout", "30000");
        if ("starttls".equalsIgnoreCase(tls)) {
            props.put("mail.smtp.starttls.enable", "true");
            props.put("mail.smtp.starttls.required", "true");
        }
        if (implicit || "starttls".equalsIgnoreCase(tls)) {
            props.put("mail." + protocol + ".ssl.checkserveridentity", "true");
        }
        boolean auth = username.filter(u -> !u.isBlank()).isPresent();
        props.put("mail." + protocol + ".auth", Boolean.toString(auth));
        // Jakarta Mail finds its stream provider anew for every message and part it creates, through ServiceLoader:
        // a scan of the class path's jars each time, which cost more CPU than the SMTP exchange. Named, it is a class
        // lookup.
        System.getProperties().putIfAbsent(STREAM_PROVIDER, "org.eclipse.angus.mail.util.MailStreamProvider");
        this.session = auth
                ? Session.getInstance(props, new jakarta.mail.Authenticator() {
                    @Override
                    protected jakarta.mail.PasswordAuthentication getPasswordAuthentication() {
                        return new jakarta.mail.PasswordAuthentication(username.get(), password.orElse(""));
                    }
                })
                : Session.getInstance(props);
    }

    @Override
    public Set<Channel> channels() {
        return enabled ? Set.of(Channel.EMAIL) : Set.of();
    }

    @Override
    public Outcome send(NotificationJob job) {
        try {
            MimeMessage message = new MimeMessage(session) {
                @Override
                protected void updateMessageID() throws MessagingException {
                    setHeader("Message-ID", "<" + job.jobId() + "@" + domain + ">");
                }
            };
            message.setFrom(from);
            message.setRecipient(Message.RecipientType.TO, new InternetAddress(job.recipient(), true));
            message.setSubject(job.subject() == null ? "Allerta" : job.subject(), StandardCharsets.UTF_8.name());
            message.setSentDate(new Date());
            for (Map.Entry<String, String> header : job.headers().entrySet()) {
                // only the headers a notice needs, each on one line: a job can add no recipient and no header line
                if (!JOB_HEADERS.contains(header.getKey()) || header.getValue() == null
                        || !HEADER_VALUE.matcher(header.getValue()).matches()) {
                    return new Outcome.Failed("INVALID_HEADER: " + header.getKey());
                }
                message.setHeader(header.getKey(), header.getValue());
            }
            message.setHeader("X-Allerta-Job", job.jobId());
            var text = new MimeBodyPart();
            text.setText(job.text(), StandardCharsets.UTF_8.name(), "plain");
            if (job.html() == null) {
                message.setContent(new MimeMultipart("alternative", text));
            } else {
                var html = new MimeBodyPart();
                html.setText(job.html(), StandardCharsets.UTF_8.name(), "html");
                message.setContent(new MimeMultipart("alternative", text, html));
            }
            message.saveChanges();
            Relay transport;
            try {
                transport = connection();
            } catch (MessagingException e) {
                // the server away, or refusing our credentials or TLS: nothing against the message, which waits
                // (until its expiry at most) without using up its attempts
                return new Outcome.Retry("connection: " + brief(e), null, true);
            }
            try {
                transport.sendMessage(message, message.getAllRecipients());
            } catch (MessagingException e) {
                disconnect(transport);
                if (transport.unanswered(e)) {
                    // the whole message and its final "." went out and no reply came: the relay may have queued it
                    return new Outcome.Uncertain("SMTP: no answer to the end of the message: " + brief(e));
                }
                throw e;
            }
            return new Outcome.Sent("<" + job.jobId() + "@" + domain + ">");
        } catch (AddressException e) {
            return new Outcome.Failed("INVALID_ADDRESS");
        } catch (MessagingException e) {
            if (senderRefused(e)) {
                return new Outcome.Retry("sender refused: " + brief(e), null, true);
            }
            if (serviceUnavailable(e)) {
                // 421: the server is closing or overloaded, nothing against the message (no attempt used)
                return new Outcome.Retry(brief(e), null, true);
            }
            return permanent(e) ? new Outcome.Failed("REJECTED: " + brief(e))
                    : new Outcome.Retry(brief(e), e instanceof SendFailedException ? null : Duration.ZERO);
        }
    }

    /**
     * An SMTP connection that knows whether a failed message had gone out whole. Once the final "." is written the
     * relay may queue the message at any moment; if its reply never comes (the connection lost, the reply timed out),
     * nobody can say whether it did. Before that point a lost connection leaves nothing queued, and any reply, even a
     * refusal, is an answer.
     */
    static final class Relay extends SMTPTransport {

        private boolean finishing;
        private boolean ended;

        Relay(Session session, boolean implicitTls) {
            super(session, new URLName(implicitTls ? "smtps" : "smtp", null, -1, null, null, null),
                    implicitTls ? "smtps" : "smtp", implicitTls);
        }

        @Override
        public synchronized void sendMessage(Message message, Address[] addresses) throws MessagingException {
            ended = false;
            super.sendMessage(message, addresses);
        }

        @Override
        protected void finishData() throws java.io.IOException, MessagingException {
            finishing = true;
            try {
                super.finishData();
            } finally {
                finishing = false;
            }
        }

        @Override
        protected void sendCommand(String command) throws MessagingException {
            super.sendCommand(command);
            // the library sends the body's tail with the final "." only now: a write that fails here never ended it
            if (finishing && ".".equals(command)) {
                ended = true;
            }
        }

        /** Whether this failure came after the end of the message with no reply to it. */
        synchronized boolean unanswered(MessagingException e) {
            return ended && chain(e).stream().noneMatch(t -> t instanceof SMTPSendFailedException f
                    && f.getReturnCode() >= 200);
        }
    }

    /** The headers a job may set on its e-mail. */
    static final Set<String> JOB_HEADERS = Set.of("List-Unsubscribe", "List-Unsubscribe-Post");
    /** A header value on one line of printable ASCII, as RFC 5322 allows one unfolded. */
    private static final java.util.regex.Pattern HEADER_VALUE = java.util.regex.Pattern.compile("[\\x20-\\x7E]{1,998}");

    /**
     * The server refused our envelope sender (MAIL FROM): a matter of the relay's configuration, the same for every
     * message, never a reason to fail this one.
     */
    private static boolean senderRefused(MessagingException e) {
        for (Throwable t : chain(e)) {
            if (t instanceof SMTPSenderFailedException
                    || t instanceof SMTPSendFailedException f && String.valueOf(f.getCommand()).startsWith("MAIL")) {
                return true;
            }
        }
        return false;
    }

    private static java.util.List<Throwable> chain(MessagingException e) {
        var chain = new java.util.ArrayList<Throwable>();
        var seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Throwable, Boolean>());
        var next = new java.util.ArrayDeque<Throwable>(java.util.List.of(e));
        while (!next.isEmpty() && chain.size() < 20) {
            Throwable t = next.poll();
            if (!seen.add(t)) {
                continue;
            }
            chain.add(t);
            if (t.getCause() != null) {
                next.add(t.getCause());
            }
            if (t instanceof MessagingException m && m.getNextException() != null) {
                next.add(m.getNextException());
            }
        }
        return chain;
    }

    /** This thread's open connection, (re)connected when needed. */
    private Relay connection() throws MessagingException {
        Relay transport = connections.get();
        if (transport != null && transport.isConnected()) {
            return transport;
        }
        if (transport != null) {
            disconnect(transport);
        }
        transport = new Relay(session, implicitTls);
        transport.connect();
        connections.set(transport);
        open.add(transport);
        return transport;
    }

    private void disconnect(Relay transport) {
        open.remove(transport);
        if (connections.get() == transport) {
            connections.remove();
        }
        try {
            transport.close();
        } catch (MessagingException ignored) {
            // already gone
        }
    }

    /** Closes the connections once the deliveries have stopped (a later priority than theirs), as SMPP does. */
    void onStop(@jakarta.enterprise.event.Observes @jakarta.annotation.Priority(
            jakarta.interceptor.Interceptor.Priority.LIBRARY_AFTER) io.quarkus.runtime.ShutdownEvent event) {
        for (Relay transport : open) {
            try {
                transport.close();
            } catch (MessagingException ignored) {
                // closing
            }
        }
    }

    /** SMTP 5xx replies to the recipient or the message are permanent; 4xx and connection problems are not. */
    private static boolean permanent(MessagingException e) {
        for (Throwable t : chain(e)) {
            if (t instanceof SMTPAddressFailedException a) {
                return a.getReturnCode() / 100 == 5;
            }
            if (t instanceof SMTPSendFailedException f) {
                return f.getReturnCode() / 100 == 5;
            }
        }
        for (Throwable t : chain(e)) {
            if (FIVE_HUNDRED.matcher(String.valueOf(t.getMessage()).strip()).matches()) {
                return true;
            }
        }
        return false;
    }

    /** A 421 reply (service not available) to the recipient or the message. */
    private static boolean serviceUnavailable(MessagingException e) {
        for (Throwable t : chain(e)) {
            if (t instanceof SMTPAddressFailedException a && a.getReturnCode() == 421
                    || t instanceof SMTPSendFailedException f && f.getReturnCode() == 421) {
                return true;
            }
        }
        return false;
    }

    /** A reply of class 5, one line or several ({@code 550-...}). */
    private static final java.util.regex.Pattern FIVE_HUNDRED = java.util.regex.Pattern.compile("(?s)^5\\d\\d[ -].*");

    /**
     * The server's reply, short and without the addresses it may quote (a reason travels on
     * {@code notifications.receipts} and into the dispatcher's tables, which keep no contact outside the registry).
     */
    static String brief(Exception e) {
        return ProviderText.redacted(e.getMessage());
    }

    /**
     * The sender with its display name encoded for the wire (RFC 2047): a name as configured, "Comune di Forlì",
     * would otherwise go out as raw 8-bit bytes, which strict relays refuse.
     */
    static InternetAddress encoded(InternetAddress from) {
        if (from.getPersonal() == null) {
            return from;
        }
        try {
            return new InternetAddress(from.getAddress(), from.getPersonal(), StandardCharsets.UTF_8.name());
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
