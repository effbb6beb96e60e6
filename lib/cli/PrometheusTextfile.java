import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' textfile format (node_exporter's textfile collector): gauges with labels, written atomically so
 * the collector never reads half a file. backup and doctor write theirs with it.
 */
public final class PrometheusTextfile {
    private PrometheusTextfile() {}

    /** One line: name{labels} value. */
    public record Sample(String name, Map<String, String> labels, String value) {
        public static Sample of(String name, String value, String... labelPairs) {
            Map<String, String> labels = new LinkedHashMap<>();
            for (int i = 0; i < labelPairs.length; i += 2) labels.put(labelPairs[i], labelPairs[i + 1]);
            return new Sample(name, labels, value);
        }
    }

    /** Writes the samples, one "# TYPE name gauge" before the first of each name; a failure is a warning, never the run's failure. */
    public static void write(Path file, List<Sample> samples, Console console) {
        StringBuilder text = new StringBuilder();
        java.util.Set<String> typed = new java.util.HashSet<>();
        for (Sample sample : samples) {
            if (typed.add(sample.name())) text.append("# TYPE ").append(sample.name()).append(" gauge\n");
            text.append(sample.name());
            if (!sample.labels().isEmpty()) {
                text.append('{');
                String separator = "";
                for (Map.Entry<String, String> label : sample.labels().entrySet()) {
                    text.append(separator).append(label.getKey()).append("=\"").append(escape(label.getValue())).append('"');
                    separator = ",";
                }
                text.append('}');
            }
            text.append(' ').append(sample.value()).append('\n');
        }
        try {
            DurableFiles.writeAtomically(file, text.toString());
        } catch (IOException e) {
            console.warn("could not write the metrics file " + file + " (" + e.getMessage() + ")");
        }
    }

    /** The values of an earlier file by metric name (labels dropped), to carry figures over a failed run; empty when there is none. */
    public static Map<String, String> read(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("#") || !line.contains(" ")) continue;
                values.put(line.substring(0, line.indexOf('{') < 0 ? line.indexOf(' ') : line.indexOf('{')), line.substring(line.lastIndexOf(' ') + 1));
            }
        } catch (IOException e) {
            // first run: nothing to carry over
        }
        return values;
    }

    /** The exposition format's escapes for a label value: backslash, double quote, newline. */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
