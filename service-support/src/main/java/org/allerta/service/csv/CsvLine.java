package org.allerta.service.csv;

import java.util.ArrayList;
import java.util.List;

/** Splits one CSV line on a separator, honouring double quotes ("a;b" stays whole, "" is a quote). */
public final class CsvLine {

    private CsvLine() {
    }

    public static List<String> split(String line, char separator) {
        var fields = new ArrayList<String>(16);
        if (line.indexOf('"') < 0) {
            int from = 0;
            for (int at = line.indexOf(separator); at >= 0; at = line.indexOf(separator, from)) {
                fields.add(line.substring(from, at));
                from = at + 1;
            }
            fields.add(line.substring(from));
            return fields;
        }
        var field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == separator) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
