package dev.tandem.proxy.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rows of the metric tables in {@code docs/metrics.md}. */
record MetricsCatalogue(Map<String, Entry> entries) {

    private static final Pattern ROW = Pattern.compile(
            "^\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|([^|]*)\\|([^|]*)\\|(.+)\\|$");

    record Entry(String name, String type, List<String> labels, String exportedBy, String meaning) {
    }

    static MetricsCatalogue load() throws IOException {
        return parse(Files.readAllLines(RepositoryFiles.path("docs/metrics.md")));
    }

    static MetricsCatalogue parse(List<String> lines) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher row = ROW.matcher(line.strip());
            if (!row.matches()) {
                continue;
            }
            String labels = row.group(3).replace("`", "").strip();
            Entry entry = new Entry(row.group(1), row.group(2).strip(),
                    labels.isEmpty() ? List.of() : List.of(labels.split("\\s*,\\s*")), row.group(4).strip(),
                    row.group(5).strip());
            if (entries.put(entry.name(), entry) != null) {
                throw new IllegalStateException("docs/metrics.md lists " + entry.name() + " twice");
            }
        }
        return new MetricsCatalogue(Map.copyOf(entries));
    }

    boolean contains(String metric) {
        return entries.containsKey(metric);
    }

    static Path file() {
        return RepositoryFiles.path("docs/metrics.md");
    }
}
