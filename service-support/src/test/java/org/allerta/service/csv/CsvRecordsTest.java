package org.allerta.service.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CsvRecordsTest {

    private static List<CsvRecords.Record> all(String csv, int maxChars) throws Exception {
        var records = new CsvRecords(new StringReader(csv), maxChars);
        var list = new ArrayList<CsvRecords.Record>();
        for (CsvRecords.Record r = records.next(); r != null; r = records.next()) {
            list.add(r);
        }
        return list;
    }

    @Test
    void aQuotedCellWithALineBreakStaysInItsRecord() throws Exception {
        var records = all("externalId,name,address,quietFrom\r\n"
                + "e1,\"Rossi, Giulia\",\"Via Dazio 90/H\r\nAlessandria\",22:00\r\n"
                + "e2,Marco,\"Piazza \"\"della\"\" Libertà 1\",\r\n", 1000);
        assertThat(records).hasSize(3);
        assertThat(records.get(1).line()).isEqualTo(2);
        assertThat(CsvLine.split(records.get(1).text(), ','))
                .containsExactly("e1", "Rossi, Giulia", "Via Dazio 90/H\nAlessandria", "22:00");
        assertThat(records.get(2).line()).as("the line it starts on, after a record of two lines").isEqualTo(4);
        assertThat(CsvLine.split(records.get(2).text(), ','))
                .containsExactly("e2", "Marco", "Piazza \"della\" Libertà 1", "");
    }

    /** A quote inside an unquoted field is a character, as CsvLine reads it: it opens nothing. */
    @Test
    void aQuoteInsideAnUnquotedFieldOpensNothing() throws Exception {
        var records = all("""
                name,sms,address
                Mario,+39333,Via Roma 5" scala B
                Luca,+39334,"Via ""Dazio"" 90/H"
                Anna,+39335,Piazza Garibaldi 1
                """, 1000);
        assertThat(records).hasSize(4);
        assertThat(CsvLine.split(records.get(1).text(), ',')).containsExactly("Mario", "+39333",
                "Via Roma 5\" scala B");
        assertThat(CsvLine.split(records.get(2).text(), ',')).containsExactly("Luca", "+39334",
                "Via \"Dazio\" 90/H");
        assertThat(records.get(3).line()).isEqualTo(4);
    }

    @Test
    void aRecordLongerThanAllowedIsReportedNotKept() throws Exception {
        var records = all("a,b\n" + "x".repeat(50_000) + "\nc,d", 100);
        assertThat(records).hasSize(3);
        assertThat(records.get(1).tooLong()).isTrue();
        assertThat(records.get(2).text()).isEqualTo("c,d");
        assertThat(records.get(2).line()).isEqualTo(3);
    }

    @Test
    void anUnclosedQuoteRunsToTheEndOfTheStreamWithinTheLimit() throws Exception {
        var records = all("a,b\n\"open,\n" + "y\n".repeat(100), 50);
        assertThat(records).hasSize(2);
        assertThat(records.get(1).tooLong()).isTrue();
    }

    @Test
    void linesOnlyKeepsAStrayQuoteToItsOwnLine() throws Exception {
        var records = new CsvRecords(new StringReader("a;\"b;c\nd;e;f\n"), 1000).linesOnly();
        records.separator(';');
        assertThat(records.next().text()).isEqualTo("a;\"b;c");
        assertThat(records.next().text()).isEqualTo("d;e;f");
        assertThat(records.next()).isNull();

        var mac = new CsvRecords(new StringReader("h;i\ra;b\r\nc;d\re;f"), 1000).linesOnly();
        mac.separator(';');
        for (String expected : new String[] {"h;i", "a;b", "c;d", "e;f"}) {
            assertThat(mac.next().text()).isEqualTo(expected);
        }
        assertThat(mac.next()).isNull();
    }

    /**
     * The records read a run of characters at a time are those read one character at a time (the reference below,
     * the rules written out plainly), on 20,000 generated streams of quotes, separators and every kind of line
     * break, delivered in reads of a few characters so that records span the buffer's refills.
     */
    @Test
    void readsTheSameRecordsAsTheCharacterByCharacterRules() throws Exception {
        Random random = new Random(7);
        String alphabet = "ab;,\"\"\n\r\r\n é\t";
        for (int round = 0; round < 20_000; round++) {
            var csv = new StringBuilder();
            int length = random.nextInt(round % 100 == 0 ? 20_000 : 60);
            for (int i = 0; i < length; i++) {
                csv.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            int maxChars = 1 + random.nextInt(30);
            boolean linesOnly = random.nextBoolean();
            char separator = random.nextBoolean() ? ';' : 0;
            var records = new CsvRecords(new Trickle(csv.toString(), random), maxChars);
            var reference = new Reference(csv.toString(), maxChars, linesOnly, separator);
            if (linesOnly) {
                records.linesOnly();
            }
            if (separator != 0) {
                records.separator(separator);
            }
            for (int n = 0; ; n++) {
                CsvRecords.Record expected = reference.next();
                CsvRecords.Record actual = records.next();
                int record = n;
                assertThat(actual).as(() -> String.format("record %d of %s (max %d, lines only %s, separator %s)",
                        record, csv.substring(0, Math.min(csv.length(), 300)).replace("\r", "\\r").replace("\n", "\\n"),
                        maxChars, linesOnly,
                        (int) separator)).isEqualTo(expected);
                if (expected == null) {
                    break;
                }
            }
        }
    }

    /** A reader that gives a few characters at a time. */
    private static final class Trickle extends Reader {
        private final String text;
        private final Random random;
        private int at;

        Trickle(String text, Random random) {
            this.text = text;
            this.random = random;
        }

        @Override
        public int read(char[] buffer, int offset, int length) {
            if (at == text.length()) {
                return -1;
            }
            int n = Math.min(Math.min(length, 1 + random.nextInt(9)), text.length() - at);
            text.getChars(at, at + n, buffer, offset);
            at += n;
            return n;
        }

        @Override
        public void close() {
        }
    }

    /** The reading rules of {@link CsvRecords}, one character at a time (the final line break dropped as it does). */
    private static final class Reference {
        private final String text;
        private final int maxChars;
        private final boolean linesOnly;
        private final String separators;
        private int position;
        private long line = 1;
        private boolean afterReturn;

        Reference(String text, int maxChars, boolean linesOnly, char separator) {
            this.text = text;
            this.maxChars = maxChars;
            this.linesOnly = linesOnly;
            this.separators = separator == 0 ? ",;" : String.valueOf(separator);
        }

        CsvRecords.Record next() throws IOException {
            var record = new StringBuilder();
            boolean quoted = false;
            boolean closing = false;
            boolean fieldStart = true;
            boolean tooLong = false;
            boolean any = false;
            long start = line;
            while (true) {
                if (position == text.length()) {
                    return any ? new CsvRecords.Record(start, tooLong ? null : CsvRecords.strip(record)) : null;
                }
                char c = text.charAt(position++);
                if (linesOnly && afterReturn && c != '\n') {
                    position--;
                    line++;
                    afterReturn = false;
                    return new CsvRecords.Record(start, tooLong ? null : CsvRecords.strip(record));
                }
                afterReturn = c == '\r';
                any = true;
                if (closing) {
                    closing = false;
                    if (c != '"') {
                        quoted = false;
                    }
                } else if (quoted && c == '"') {
                    closing = true;
                } else if (!quoted && c == '"' && fieldStart) {
                    quoted = true;
                }
                if (c == '\n') {
                    line++;
                    if (!quoted || linesOnly) {
                        return new CsvRecords.Record(start, tooLong ? null : CsvRecords.strip(record));
                    }
                }
                if (!quoted) {
                    fieldStart = separators.indexOf(c) >= 0;
                }
                if (!tooLong) {
                    if (record.length() >= maxChars) {
                        tooLong = true;
                        record.setLength(0);
                    } else {
                        record.append(c);
                    }
                }
            }
        }
    }
}
