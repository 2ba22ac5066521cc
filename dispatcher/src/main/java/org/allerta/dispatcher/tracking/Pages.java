package org.allerta.dispatcher.tracking;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Plain, accessible HTML pages for citizens: no script, readable on any phone, Italian and English. */
public final class Pages {

    /** The public address as configured, without a trailing slash, for links and redirects to be appended to it. */
    public static String publicBase(String configured) {
        return configured.endsWith("/") ? configured.substring(0, configured.length() - 1) : configured;
    }

    private Pages() {
    }

    static String page(String title, String body) {
        return """
                <!DOCTYPE html>
                <html lang="it">
                <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>%s</title></head>
                <body style="font-family: sans-serif; line-height: 1.5; max-width: 40em; margin: 1em auto; \
                padding: 0 1em; color: #111;">
                <main>
                %s
                </main>
                </body>
                </html>
                """.formatted(escape(title), body);
    }

    static Response notFound() {
        return Response.status(404).type(MediaType.TEXT_HTML_TYPE).entity(page("Allerta", """
                <h1>Link non valido <span lang="en">/ Invalid link</span></h1>
                <p>Questo link non esiste o è scaduto.</p>
                <p lang="en">This link does not exist or has expired.</p>""")).build();
    }

    static String escape(String text) {
        if (text == null) {
            return "";
        }
        var out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
