import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --method replicate where it cannot run, each before any server is touched: the embedded runtime with no data to
 * upgrade refuses in the runtime's words; between --from-url/--to-url, its usage errors are exit 2.
 */
class ReplicateMethodUsageTest {
    private Path state;

    @BeforeEach
    void createState() throws Exception { state = StateDirectory.create(); }

    @AfterEach
    void deleteState() throws Exception { StateDirectory.delete(state); }

    @Test
    void theEmbeddedRuntimeWithoutDataRefusesReplicateAndStartsNothing() throws Exception {
        OxyCli.Result refused = OxyCli.run(OxyCli.env("OXY_RUNTIME", "embedded", "OXY_STATE_DIR", state.toString()),
            "upgrade", "--to", "18", "--method", "replicate");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("no embedded PostgreSQL data in " + state.resolve("postgres")) && refused.stderr().contains("Nothing to upgrade"),
            refused.toString());
        assertTrue(!refused.all().contains("Exception"), "no stack trace: " + refused);
        assertTrue(!Files.exists(state.resolve("postgres")) && !Files.exists(state.resolve("upgrade-embedded.json")), "nothing was made");
    }

    /** Between servers, --method replicate's usage errors come before any server is asked: one URL alone, a rollback with no upgrade. */
    @Test
    void betweenServersUsageErrorsTouchNoServer() throws Exception {
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString());
        OxyCli.Result oneUrl = OxyCli.run(env, "upgrade", "--method", "replicate", "--from-url", "postgresql://app@127.0.0.1:1/oxy");
        assertEquals(ExitCode.USAGE, oneUrl.exitCode(), oneUrl.toString());
        assertTrue(oneUrl.stderr().contains("--from-url and --to-url go together"), oneUrl.toString());
        for (String action : new String[] {"--rollback", "--finalize"}) {
            OxyCli.Result nothing = OxyCli.run(env, "upgrade", action, "--from-url", "postgresql://app@127.0.0.1:1/oxy", "--to-url", "postgresql://app@127.0.0.1:2/oxy");
            assertEquals(ExitCode.USAGE, nothing.exitCode(), nothing.toString());
            assertTrue(nothing.stderr().contains("no upgrade to " + (action.equals("--rollback") ? "roll back" : "finalize")), nothing.toString());
            assertTrue(!nothing.all().contains("Exception"), "no stack trace: " + nothing);
        }
        try (var files = Files.list(state)) {
            assertEquals(List.of(), files.toList(), "nothing was made");
        }
    }
}
