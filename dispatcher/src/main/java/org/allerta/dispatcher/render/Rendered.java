package org.allerta.dispatcher.render;

import java.util.Map;

/**
 * A rendered message.
 *
 * @param subject e-mail subject or push title; null for SMS and chats
 * @param text    the plain text (SMS, chat, push body, e-mail plain part)
 * @param html    the e-mail HTML part, or null
 * @param headers protocol headers (e-mail: List-Unsubscribe, List-Unsubscribe-Post)
 */
public record Rendered(String subject, String text, String html, Map<String, String> headers) {
}
