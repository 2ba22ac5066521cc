package org.allerta.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} command-line options. */
final class Options {

    private Options() {
    }

    static Map<String, String> parse(String[] args) {
        var options = new HashMap<String, String>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                options.put(args[i].substring(2), args[++i]);
            }
        }
        // secrets come from the environment, which other users of the machine cannot read, not from the command line
        secret(options, "db-password", "ALLERTA_BENCH_DB_PASSWORD");
        secret(options, "admin-key", "ALLERTA_BENCH_ADMIN_KEY");
        secret(options, "key", "ALLERTA_BENCH_PUBLISHER_KEY");
        secret(options, "publisher-key", "ALLERTA_BENCH_PUBLISHER_KEY");
        return options;
    }

    private static void secret(Map<String, String> options, String name, String variable) {
        String value = System.getenv(variable);
        if (!options.containsKey(name) && value != null && !value.isEmpty()) {
            options.put(name, value);
        }
    }
}
