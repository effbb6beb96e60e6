import java.nio.file.Files;
import java.util.Optional;

/** Picks the DatabaseRuntime the options ask for: the one place that knows every implementation. */
public final class Runtimes {
    private Runtimes() {}

    /** Picks the runtime the options ask for; "auto" prefers the runtime that already holds the data. */
    public static DatabaseRuntime select(RuntimeOptions options) {
        if (options.postgresPort < 1 || options.postgresPort > 65535) {
            throw new OxyError(ExitCode.USAGE, "--postgres-port " + options.postgresPort + " is not a port",
                "Use a number from 1 to 65535 (default 15432).");
        }
        options.requireValidNames();
        boolean urlGiven = options.url != null && !options.url.isBlank();
        if (urlGiven && (options.runtime == RuntimeOptions.Kind.DOCKER || options.runtime == RuntimeOptions.Kind.EMBEDDED)) {
            throw new OxyError(ExitCode.USAGE, "--runtime " + options.runtime.name().toLowerCase(java.util.Locale.ROOT)
                + " and a database URL (--url or OXY_DATABASE_URL) exclude each other: a URL is an external server",
                "Drop one of them; nothing was changed.");
        }
        return switch (options.runtime) {
            case EXTERNAL -> new ExternalRuntime(options);
            case EMBEDDED -> new EmbeddedRuntime(options);
            case DOCKER -> new DockerRuntime(options, DockerEngine.connect());
            case AUTO -> selectAutomatically(options);
        };
    }

    private static DatabaseRuntime selectAutomatically(RuntimeOptions options) {
        if (options.url != null && !options.url.isBlank()) return new ExternalRuntime(options);
        EmbeddedRuntime embedded = new EmbeddedRuntime(options);
        if (embedded.isRunning()) return embedded;
        Optional<DockerEngine> engine = DockerEngine.tryConnect();
        if (engine.isEmpty()) return embedded;
        DockerRuntime docker = new DockerRuntime(options, engine.get());
        // embedded data (or an embedded upgrade under way) and no container yet: stay where the data is
        if (!docker.serverExists() && (embedded.serverExists() || Files.exists(options.upgradeStateFile(false)))) return embedded;
        return docker;
    }
}
