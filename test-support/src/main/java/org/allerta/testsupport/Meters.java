package org.allerta.testsupport;

import java.util.Map;
import java.util.TreeMap;

/** Reads one counter of a running service's Prometheus page ({@code /q/metrics}). */
public final class Meters {

    private Meters() {
    }

    /**
     * The value of {@code name} (e.g. {@code allerta_refusals_total}) whose labels include all of {@code labels};
     * 0 when no such series has been written yet.
     */
    public static double value(String baseUrl, String name, Map<String, String> labels) {
        Health.Answer page = Health.get(baseUrl, "/q/metrics");
        if (page.status() != 200) {
            throw new IllegalStateException("no metrics page: " + page.status() + " " + page.body());
        }
        double total = 0;
        for (String line : page.body().split("\n")) {
            if (!line.startsWith(name + "{")) {
                continue;
            }
            int close = line.lastIndexOf('}');
            Map<String, String> found = new TreeMap<>();
            for (String pair : line.substring(name.length() + 1, close).split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    found.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip().replace("\"", ""));
                }
            }
            if (found.entrySet().containsAll(labels.entrySet())) {
                total += Double.parseDouble(line.substring(close + 1).strip().split(" ")[0]);
            }
        }
        return total;
    }
}
