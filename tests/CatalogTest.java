import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The catalog contract, as jbangdev/jbang-catalog's CI checks it: every alias builds with JBang and answers
 * --help. Runs through ./jbang, so the launcher (and its JBang bootstrap) is tested with it.
 */
class CatalogTest {
    static final Path REPO = Path.of("").toAbsolutePath();

    @Test
    void everyAliasBuildsAndAnswersHelp() throws Exception {
        JsonNode aliases = new ObjectMapper().readTree(REPO.resolve("jbang-catalog.json").toFile()).path("aliases");
        List<String> names = new ArrayList<>();
        aliases.fieldNames().forEachRemaining(names::add);
        assertTrue(names.containsAll(List.of("oxy", "start", "stop", "status", "migrate_sqlite", "backup", "restore")), names.toString());
        for (String alias : names) {
            assertTrue(Files.exists(REPO.resolve(aliases.path(alias).path("script-ref").asText())), alias);
            String help = jbang(alias, "--help");
            assertTrue(help.contains("Usage: " + alias), alias + ":\n" + help);
        }
    }

    @Test
    void theUmbrellaAliasRunsEveryScriptAsASubcommand() throws Exception {
        String help = jbang("oxy", "--help");
        for (String command : List.of("start", "stop", "status", "migrate_sqlite", "backup", "restore", "upgrade", "doctor", "maintain", "psql")) assertTrue(help.contains("  " + command + " "), help);
        assertTrue(jbang("oxy", "status", "--help").contains("Usage: oxy status"));
        assertTrue(jbang("start.java", "--version").startsWith("oxy-ops "));
    }

    /** Runs ./jbang ARGS from another directory (as a user would) and returns stdout; fails on a non-zero exit. */
    private static String jbang(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("jbang").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("jbang-out", ".txt");
        Process process = new ProcessBuilder(command).directory(Files.createTempDirectory("elsewhere").toFile())
            .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "./jbang " + String.join(" ", args) + " timed out");
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "./jbang " + String.join(" ", args) + ":\n" + stdout);
        return stdout;
    }
}
