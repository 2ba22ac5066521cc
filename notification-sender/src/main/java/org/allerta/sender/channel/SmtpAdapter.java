package org.allerta.sender.channel;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * E-mail over SMTP (Jakarta Mail): a multipart/alternative message with the job's plain and HTML parts and its
 * headers (RFC 8058 one-click unsubscribe), a Message-ID made from the job id. TLS (STARTTLS or implicit) and
 * authentication come from the environment. Each sending thread keeps its SMTP connection open between messages
 * (reconnecting when the server closed it). 4xx SMTP replies and lost connections are retried; 5xx are failures.
 */
@ApplicationScoped
public class SmtpAdapter implements Adapter {

    /** The system property that names Jakarta Mail's stream provider. */
    static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";

    private final boolean enabled;
    private final Session session;
    private final InternetAddress from;
    private final String domain;
    private final ThreadLocal<Transport> connections = new ThreadLocal<>();
    private final java.util.Set<Transport> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    SmtpAdapter(@ConfigProperty(name = "allerta.sender.smtp.enabled") boolean enabled,
                @ConfigProperty(name = "allerta.sender.smtp.host") String host,
                @ConfigProperty(name = "allerta.sender.smtp.port") int port,
                @ConfigProperty(name = "allerta.sender.smtp.from") String from,
                @ConfigProperty(name = "allerta.sender.smtp.tls") String tls,
                @ConfigProperty(name = "allerta.sender.smtp.username") Optional<String> username,
                @ConfigProperty(name = "allerta.sender.smtp.password") Optional<String> password) throws AddressException {
        this.enabled = enabled;
        this.from = new InternetAddress(from);
        String address = this.from.getAddress();
        this.domain = address.substring(address.indexOf('@') + 1);
        var props = new Properties();
        boolean implicit = "tls".equalsIgnoreCase(tls);
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
            Transport transport = connection();
            try {
                transport.sendMessage(message, message.getAllRecipients());
            } catch (MessagingException e) {
                disconnect(transport);
                throw e;
            }
            return new Outcome.Sent("<" + job.jobId() + "@" + domain + ">");
        } catch (AddressException e) {
            return new Outcome.Failed("INVALID_ADDRESS");
        } catch (SendFailedException e) {
            return permanent(e) ? new Outcome.Failed("REJECTED: " + brief(e)) : new Outcome.Retry(brief(e), null);
        } catch (MessagingException e) {
            return permanent(e) ? new Outcome.Failed("REJECTED: " + brief(e))
                    : new Outcome.Retry(brief(e), Duration.ZERO);
        }
    }

    /** This thread's open connection, (re)connected when needed. */
    private Transport connection() throws MessagingException {
        Transport transport = connections.get();
        if (transport != null && transport.isConnected()) {
            return transport;
        }
        if (transport != null) {
            disconnect(transport);
        }
        transport = session.getTransport();
        transport.connect();
        connections.set(transport);
        open.add(transport);
        return transport;
    }

    private void disconnect(Transport transport) {
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

    void onStop(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        for (Transport transport : open) {
            try {
                transport.close();
            } catch (MessagingException ignored) {
                // closing
            }
        }
    }

    /** SMTP 5xx replies are permanent; 4xx and connection problems are not. */
    private static boolean permanent(MessagingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String text = String.valueOf(t.getMessage()).strip();
            if (text.matches("^5\\d\\d[ -].*")) {
                return true;
            }
            if (t instanceof MessagingException m && m.getNextException() != null && m.getNextException() != t) {
                String next = String.valueOf(m.getNextException().getMessage()).strip();
                if (next.matches("^5\\d\\d[ -].*")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String brief(Exception e) {
        String text = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
        return text.length() > 200 ? text.substring(0, 200) : text;
    }
}
