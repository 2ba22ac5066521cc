package org.allerta.service.csv;

import java.io.IOException;
import java.io.Reader;

/**
 * The records of a CSV stream, as RFC 4180 and spreadsheets write them: a quoted field may hold line breaks (a cell
 * with two lines, as Excel saves it), so a record may span lines. A record longer than {@code maxChars} is skipped to
 * its end and reported as too long instead of being held in memory: whatever the file, memory stays bounded.
 */
public final class CsvRecords {

    /**
     * One record.
     *
     * @param line    the line it starts on (the first line is 1)
     * @param text    its text, line breaks inside quotes kept as {@code \n}, the final line break dropped; null
     *                when too long
     */
    public record Record(long line, String text) {

        /** True when the record was longer than allowed (its text is not kept). */
        public boolean tooLong() {
            return text == null;
        }
    }

    private final Reader reader;
    private final int maxChars;
    private final char[] buffer = new char[8192];
    private int position;
    private int limit;
    private long line = 1;
    /** The field separator, as far as quoting goes: 0 (a comma or a semicolon) until the header has told which. */
    private char separator;
    /** The record being read, and whether it has grown longer than allowed (its text is then not kept). */
    private final StringBuilder text = new StringBuilder();
    private boolean tooLong;

    public CsvRecords(Reader reader, int maxChars) {
        this.reader = reader;
        this.maxChars = maxChars;
    }

    /** Whether a line break always ends a record, even inside quotes (files whose values are never on two lines). */
    private boolean linesOnly;
    /** The last character read was a carriage return (a line break of its own, unless a line feed follows). */
    private boolean afterReturn;

    /**
     * From now on a line break (LF, CRLF or a CR alone) ends a record wherever it is: for files whose values never
     * span lines (a register of addresses), so that a stray quote spoils its own line only, not the lines after it.
     */
    public CsvRecords linesOnly() {
        this.linesOnly = true;
        return this;
    }

    /** The file's separator, once known: a quote opens a quoted field only at the start of a field. */
    public void separator(char separator) {
        this.separator = separator;
    }

    /**
     * The next record, or null at the end of the stream. As {@link CsvLine} reads fields: a double quote at the start
     * of a field opens a quoted field, in which a line break belongs to the field and two quotes are one; a quote
     * elsewhere is a character like any other.
     */
    public Record next() throws IOException {
        text.setLength(0);
        tooLong = false;
        boolean quoted = false;
        boolean closing = false;     // a quote seen inside a quoted field: an escaped quote or the end of the field
        boolean fieldStart = true;
        boolean any = false;
        long start = line;
        // the record's characters are copied from the buffer a run at a time, not one by one
        int run = position;
        while (true) {
            if (position == limit) {
                keep(run, position);
                limit = reader.read(buffer);
                position = 0;
                run = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    return record(start);
                }
            }
            if (linesOnly && !afterReturn) {
                // quotes end nothing here: straight to the next line break
                int at = position;
                while (at < limit && buffer[at] != '\n' && buffer[at] != '\r') {
                    at++;
                }
                if (at > position) {
                    any = true;
                    position = at;
                    continue;
                }
            }
            char c = buffer[position++];
            if (linesOnly && afterReturn && c != '\n') {
                // a carriage return alone ended the line (an old Mac file): this character starts the next record
                position--;
                line++;
                afterReturn = false;
                keep(run, position);
                return record(start);
            }
            afterReturn = c == '\r';
            any = true;
            if (closing) {
                closing = false;
                if (c != '"') {
                    quoted = false;   // the quote closed the field; this character is read as outside it
                }
            } else if (quoted && c == '"') {
                closing = true;
            } else if (!quoted && c == '"' && fieldStart) {
                quoted = true;
            }
            if (c == '\n') {
                line++;
                if (!quoted || linesOnly) {
                    keep(run, position - 1);
                    return record(start);
                }
            }
            if (!quoted) {
                fieldStart = c == separator || (separator == 0 && (c == ',' || c == ';'));
            }
        }
    }

    /** The record's text so far, plus the buffer's characters from {@code from} to {@code to}: or too long. */
    private void keep(int from, int to) {
        if (tooLong || to <= from) {
            return;
        }
        if (text.length() + (to - from) > maxChars) {
            tooLong = true;
            text.setLength(0);
        } else {
            text.append(buffer, from, to - from);
        }
    }

    private Record record(long start) {
        return new Record(start, tooLong ? null : strip(text));
    }

    /** Without its final line break (LF or CRLF); a CR before a line break inside quotes goes too. */
    static String strip(StringBuilder text) {
        int end = text.length();
        if (end > 0 && text.charAt(end - 1) == '\n') {
            end--;
        }
        if (end > 0 && text.charAt(end - 1) == '\r') {
            end--;
        }
        String record = text.substring(0, end);
        return record.indexOf('\r') >= 0 ? record.replace("\r\n", "\n") : record;
    }
}
