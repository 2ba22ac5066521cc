package org.allerta.service.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
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
}
