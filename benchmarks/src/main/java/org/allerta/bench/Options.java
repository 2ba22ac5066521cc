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
        return options;
    }
}
