import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The embedded runtime for each test alone: a free port, a new state directory, and the environment that
 * points oxy at them. After each test, `oxy stop` stops whatever server it left, then the directory goes.
 */
final class EmbeddedFixture implements BeforeEachCallback, AfterEachCallback {
    private final Map<String, String> extraEnv;
    private int port;
    private Path state;
    private Map<String, String> env;

    /** Pairs of names and values added to the environment, as OxyCli.env takes them. */
    EmbeddedFixture(String... extraEnv) {
        this.extraEnv = OxyCli.env(extraEnv);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        port = OxyCli.freePort();
        state = StateDirectory.create();
        env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_PORT", String.valueOf(port), "OXY_RUNTIME", "embedded");
        env.putAll(extraEnv);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            if (env != null) OxyCli.run(env, "stop");
        } finally {
            StateDirectory.delete(state);
        }
    }

    int port() { return port; }

    /** The test's OXY_STATE_DIR. */
    Path state() { return state; }

    /** OXY_RUNTIME=embedded with this test's state directory and port (and the extra variables). */
    Map<String, String> env() { return env; }
}
