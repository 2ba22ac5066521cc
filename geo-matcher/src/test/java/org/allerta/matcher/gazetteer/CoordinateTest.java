package org.allerta.matcher.gazetteer;

import static org.assertj.core.api.Assertions.assertThat;

import org.allerta.service.csv.CsvLine;
import org.junit.jupiter.api.Test;

/** How a register's coordinates and lines are read before they are copied into PostgreSQL. */
class CoordinateTest {

    @Test
    void aPlainDecimalGoesAsWrittenAndAnythingElseAsJavaReadsIt() {
        assertThat(GazetteerImporter.coordinate("1471500.25")).isEqualTo("1471500.25");
        assertThat(GazetteerImporter.coordinate("1471500,25")).isEqualTo("1471500.25");
        assertThat(GazetteerImporter.coordinate("-8.6")).isEqualTo("-8.6");
        assertThat(GazetteerImporter.coordinate("44")).isEqualTo("44");
        assertThat(GazetteerImporter.coordinate("1e15")).isEqualTo("1.0E15");
        assertThat(GazetteerImporter.coordinate("+8.6")).isEqualTo("8.6");
        assertThat(GazetteerImporter.coordinate("-99999999999999999999")).isEqualTo("-1.0E20");
    }

    @Test
    void whatIsNotAFiniteNumberIsRefused() {
        assertThat(GazetteerImporter.coordinate("")).isNull();
        assertThat(GazetteerImporter.coordinate(".")).isNull();
        assertThat(GazetteerImporter.coordinate("-")).isNull();
        assertThat(GazetteerImporter.coordinate("eight")).isNull();
        assertThat(GazetteerImporter.coordinate("NaN")).isNull();
        assertThat(GazetteerImporter.coordinate("Infinity")).isNull();
        assertThat(GazetteerImporter.coordinate("1.2.3")).isNull();
        // more digits than a double can hold below its largest value would overflow PostgreSQL's float8
        assertThat(GazetteerImporter.coordinate("9".repeat(400))).isNull();
    }

    @Test
    void aLineIsSplitAlikeWithAndWithoutQuotes() {
        assertThat(CsvLine.split("1;Via;Roma;;15121;", ';')).containsExactly("1", "Via", "Roma", "", "15121", "");
        assertThat(CsvLine.split("1;\"Via; Roma\";\"a \"\"b\"\"\";", ';')).containsExactly("1", "Via; Roma",
                "a \"b\"", "");
        assertThat(CsvLine.split("", ';')).containsExactly("");
    }
}
