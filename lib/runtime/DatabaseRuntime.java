import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where PostgreSQL runs: a Docker container, an embedded server under the state dir, or an external URL. */
public interface DatabaseRuntime {

    /** What status shows about a runtime: facts, troubleshooting lines when it is not up, helpful commands. */
    record Report(boolean running, Map<String, Object> facts, List<String> troubles, Map<String, String> commands) {}

    /** "docker", "embedded" or "external". */
    String name();

    /** Where clients connect (the port really in use where one runs), whether or not it is running now. */
    PostgresUrl url();

    /**
     * Makes sure PostgreSQL is running and answers a query from this host, starting or creating it when
     * needed. Returns true when this call started it (false when it was already running).
     */
    boolean start(Console console, Duration timeout);

    /** Stops PostgreSQL, keeping its data; returns false when there was nothing to stop. */
    boolean stop(Console console);

    /** Stops PostgreSQL at once (second Ctrl+C); it recovers from its WAL on the next start. */
    void stopNow();

    /** A fast look at the runtime for status; never starts anything. */
    Report report();

    /** True when PostgreSQL runs on this host (docker, embedded); an external server is someone else's. */
    boolean isLocal();

    /** Whether the server is there to start or use: its container, or its data directory. An external one always is. */
    boolean serverExists();

    /** The Docker engine PostgreSQL runs on; empty unless it runs in Docker. */
    default Optional<DockerEngine> dockerEngine() { return Optional.empty(); }

    /** The container PostgreSQL runs in, while it runs; empty unless it runs in Docker. */
    default Optional<InspectContainerResponse> runningContainer() { return Optional.empty(); }

    /** Major version from a PG_VERSION file's content or a server_version string ("18.1 (Debian ...)"). */
    static int majorOf(String version) {
        String digits = version.strip().split("[^0-9]", 2)[0];
        return digits.isEmpty() ? -1 : Integer.parseInt(digits);
    }
}
