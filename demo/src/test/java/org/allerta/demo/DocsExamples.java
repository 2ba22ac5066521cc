package org.allerta.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The shell examples of docs/ that talk to the running system, run as a reader pastes them after {@code ./allerta
 * up} and {@code source .allerta/dev-credentials.env}: each block in its own bash, in a working directory laid out
 * like the repository's ({@code data/}, {@code .allerta/dev-credentials.env}, {@code .allerta/kafka-lib}), with the
 * ports of {@code ./allerta up} pointed at the services under test. Every curl's HTTP status is written to standard
 * error beside the block's own output, so that an answer of 4xx or 5xx is seen even where the example does not ask
 * curl to fail on it.
 */
final class DocsExamples {

    /** A fenced {@code sh} or {@code bash} block: where it is, and its text. */
    record Block(String where, String text) {

        /** A block that calls the running system: a curl, or Kafka's console producer (the consumer never ends). */
        boolean callsTheSystem() {
            return text.contains("curl ") || text.contains("ConsoleProducer");
        }
    }

    /** What a block did: its exit status, its standard output, and the HTTP status of each of its curls. */
    record Outcome(Block block, int exit, String output, String errors, List<Integer> statuses) {

        @Override
        public String toString() {
            return block.where() + " (exit " + exit + ", HTTP " + statuses + ")\n" + block.text() + "\n--- output\n"
                    + output + "\n--- errors\n" + errors;
        }
    }

    private static final String STATUS_MARK = "docs-example-http-status ";
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Z_][A-Z0-9_]*)=", Pattern.MULTILINE);
    private static final Pattern STATUS = Pattern.compile("^" + STATUS_MARK + "(\\d{3})$", Pattern.MULTILINE);

    private final Path dir;
    private final Map<String, String> rewrites = new LinkedHashMap<>();
    private final Map<String, String> variables = new LinkedHashMap<>();

    /**
     * @param dir the working directory to lay out
     * @param root the repository, whose {@code data/} and {@code .allerta/kafka-lib} the examples use
     * @param credentials the lines of {@code .allerta/dev-credentials.env}
     */
    DocsExamples(Path dir, Path root, Map<String, String> credentials) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve(".allerta"));
        try (Stream<Path> earlier = Files.list(dir.resolve(".allerta"))) {
            for (Path file : earlier.filter(f -> f.getFileName().toString().startsWith("session-")).toList()) {
                Files.delete(file);
            }
        }
        link(dir.resolve("data"), root.resolve("data"));
        link(dir.resolve(".allerta/kafka-lib"), root.resolve(".allerta/kafka-lib"));
        StringBuilder env = new StringBuilder();
        credentials.forEach((name, value) -> env.append(name).append('=').append(value).append('\n'));
        Files.writeString(dir.resolve(".allerta/dev-credentials.env"), env, StandardCharsets.UTF_8);
    }

    /** Every block of the Markdown files directly in {@code docs}, file by file in name order, each top to bottom. */
    static List<Block> blocks(Path docs) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(docs)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().toList();
        }
        List<Block> blocks = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String fence = lines.get(i).strip();
                if (!fence.equals("```sh") && !fence.equals("```bash")) {
                    continue;
                }
                int start = i + 1;
                StringBuilder text = new StringBuilder();
                while (++i < lines.size() && !lines.get(i).strip().equals("```")) {
                    text.append(lines.get(i)).append('\n');
                }
                blocks.add(new Block(docs.getParent().relativize(file) + ":" + start, text.toString()));
            }
        }
        return blocks;
    }

    /** Replaces {@code from} wherever a block writes it (an address of {@code ./allerta up}, a placeholder). */
    DocsExamples rewrite(String from, String to) {
        rewrites.put(from, to);
        return this;
    }

    /** A shell variable the prose of the docs tells the reader to set ({@code EVENT}, {@code ID}). */
    DocsExamples variable(String name, String value) {
        variables.put(name, value);
        return this;
    }

    Outcome run(Block block) throws IOException, InterruptedException {
        String text = block.text();
        for (var rewrite : rewrites.entrySet()) {
            text = text.replace(rewrite.getKey(), rewrite.getValue());
        }
        // a reader pastes one page's examples into one shell: what an example assigns (KEY=...), the next ones have
        String session = ".allerta/session-" + block.where().replaceAll("[^A-Za-z0-9]+", "-")
                .replaceAll("-\\d+$", "") + ".env";
        StringBuilder keep = new StringBuilder();
        Matcher assigned = ASSIGNMENT.matcher(text);
        while (assigned.find()) {
            keep.append("printf '%s=%q\\n' ").append(assigned.group(1)).append(" \"$").append(assigned.group(1))
                    .append("\" >> ").append(session).append('\n');
        }
        String script = "set -euo pipefail\n"
                + "source .allerta/dev-credentials.env\n"
                + "if [ -f " + session + " ]; then source " + session + "; fi\n"
                + "curl() { command curl --write-out '%{stderr}" + STATUS_MARK + "%{http_code}\\n' \"$@\"; }\n"
                + text + "\n" + keep;
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(dir.toFile());
        builder.environment().putAll(variables);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(out);
        Files.delete(err);
        List<Integer> statuses = new ArrayList<>();
        Matcher matcher = STATUS.matcher(errors);
        while (matcher.find()) {
            statuses.add(Integer.parseInt(matcher.group(1)));
        }
        return new Outcome(block, process.exitValue(), output, errors, statuses);
    }

    private static void link(Path link, Path target) throws IOException {
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, target.toAbsolutePath());
        }
    }
}
