import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * --method replicate where it cannot run: between --from-url/--to-url (not built yet) exit 2; the embedded runtime with no
 * data to upgrade refuses in the runtime's words. Each before any server is touched.
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

    @Test
    void aMoveBetweenServersRefusesReplicate() throws Exception {
        OxyCli.Result refused = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString()), "upgrade", "--method", "replicate",
            "--from-url", "postgresql://app@127.0.0.1:1/oxy", "--to-url", "postgresql://app@127.0.0.1:2/oxy");
        assertEquals(ExitCode.USAGE, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("--method replicate does not move between --from-url and --to-url yet"), refused.toString());
    }
}
