import com.github.dockerjava.api.DockerClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The docker runtime's names for each test alone: a unique container and volume, a free port, a new state
 * directory, and the environment that points oxy at them. Needs Docker (skipped without it, failed under
 * CI=true). After each test the container, those an upgrade makes beside it (with their anonymous volumes)
 * and the named volumes are removed.
 */
final class DockerFixture implements BeforeEachCallback, AfterEachCallback {
    private final String prefix;
    private DockerEngine engine;
    private String container;
    private String volume;
    private int port;
    private Path state;
    private Map<String, String> env;

    /** Names start with the prefix, then eight hex digits: oxy-test-1a2b3c4d, oxy-test-1a2b3c4d-data. */
    DockerFixture(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        OxyCli.requireDocker();
        engine = DockerEngine.connect();
        String id = UUID.randomUUID().toString().substring(0, 8);
        container = prefix + id;
        volume = prefix + id + "-data";
        port = OxyCli.freePort();
        state = StateDirectory.create();
        env = OxyCli.env("OXY_RUNTIME", "docker", "OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_CONTAINER", container,
            "OXY_POSTGRES_VOLUME", volume, "OXY_POSTGRES_PORT", String.valueOf(port));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (engine == null) return;
        try {
            // the upgrade's kept old server and its staging server, beside the runtime's own container
            for (String name : List.of(container, container + "-pg17", container + "-upgrade-18")) engine.removeContainerIfExists(name);
            for (String name : List.of(volume, volume + "-18")) engine.removeVolumeIfExists(name);
        } finally {
            StateDirectory.delete(state);
        }
    }

    DockerEngine engine() { return engine; }

    DockerClient client() { return engine.client(); }

    String container() { return container; }

    String volume() { return volume; }

    int port() { return port; }

    /** The test's OXY_STATE_DIR. */
    Path state() { return state; }

    /** OXY_RUNTIME=docker with this test's state directory, container, volume and port. */
    Map<String, String> env() { return env; }
}
