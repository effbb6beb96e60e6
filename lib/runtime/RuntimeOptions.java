import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where PostgreSQL runs and how to reach it: the options every command shares (a picocli mixin).
 * Each has an OXY_* environment variable; the password has only the variable, so it never shows up
 * in a process list.
 */
public class RuntimeOptions {
    public enum Kind { AUTO, DOCKER, EMBEDDED, EXTERNAL }

    @Option(names = "--runtime", defaultValue = "${env:OXY_RUNTIME:-auto}", paramLabel = "auto|docker|embedded|external",
        description = "Where PostgreSQL runs (env OXY_RUNTIME; default ${DEFAULT-VALUE}): auto picks external when a URL is set, "
            + "else docker when a daemon answers, else embedded.")
    public Kind runtime;

    @Option(names = "--url", defaultValue = "${env:OXY_DATABASE_URL}", paramLabel = "postgresql://...",
        description = "An external PostgreSQL (env OXY_DATABASE_URL); nothing is started.")
    public String url;

    @Option(names = "--container", defaultValue = "${env:OXY_POSTGRES_CONTAINER:-oxy-postgres}",
        description = "Docker container name (env OXY_POSTGRES_CONTAINER; default ${DEFAULT-VALUE}).")
    public String container;

    @Option(names = "--image", defaultValue = "${env:OXY_POSTGRES_IMAGE:-postgres:18-alpine}",
        description = "Docker image (env OXY_POSTGRES_IMAGE; default ${DEFAULT-VALUE}).")
    public String image;

    @Option(names = "--volume", defaultValue = "${env:OXY_POSTGRES_VOLUME:-oxy-postgres-data}",
        description = "Docker volume holding the data (env OXY_POSTGRES_VOLUME; default ${DEFAULT-VALUE}).")
    public String volume;

    @Option(names = "--postgres-port", defaultValue = "${env:OXY_POSTGRES_PORT:-15432}",
        description = "Host port of the local PostgreSQL (env OXY_POSTGRES_PORT; default ${DEFAULT-VALUE}).")
    public int postgresPort;

    @Option(names = "--database", defaultValue = "${env:OXY_POSTGRES_DB:-oxy}",
        description = "Database name (env OXY_POSTGRES_DB; default ${DEFAULT-VALUE}).")
    public String database;

    @Option(names = "--user", defaultValue = "${env:OXY_POSTGRES_USER:-postgres}",
        description = "Database user (env OXY_POSTGRES_USER; default ${DEFAULT-VALUE}). The password comes from OXY_POSTGRES_PASSWORD (default postgres).")
    public String user;

    @Option(names = "--state-dir", defaultValue = "${env:OXY_STATE_DIR:-${sys:user.home}/.local/share/oxy}",
        description = "Where the embedded runtime keeps its data and logs (env OXY_STATE_DIR; default ${DEFAULT-VALUE}).")
    public Path stateDir;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces and library logs.")
    public boolean verbose;

    public String password() {
        String password = System.getenv("OXY_POSTGRES_PASSWORD");
        return password == null || password.isEmpty() ? "postgres" : password;
    }

    /** The URL of the local (docker or embedded) PostgreSQL these options describe. */
    public PostgresUrl localUrl() {
        return PostgresUrl.local(postgresPort, user, password(), database);
    }

    /** Docker's rule for container and volume names. */
    static final String DOCKER_NAME = "[a-zA-Z0-9][a-zA-Z0-9_.-]*";
    /** A docker image reference: [registry/]name[:tag][@digest], lower-case path. */
    public static final String IMAGE_REFERENCE = "[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?";

    /** Names that would reach Docker or initdb are checked first, so a typo is one line (exit 2), not a page of their output. */
    void requireValidNames() {
        requireMatching("--container", container, DOCKER_NAME, "letters, digits, '_', '.' and '-', starting with a letter or digit");
        requireMatching("--volume", volume, DOCKER_NAME, "letters, digits, '_', '.' and '-', starting with a letter or digit");
        requireMatching("--image", image, IMAGE_REFERENCE, "an image reference such as postgres:18-alpine");
        requireMatching("--user", user, "[A-Za-z_][A-Za-z0-9_.-]{0,62}", "letters, digits, '_', '.' and '-' (63 at most), starting with a letter or '_'");
    }

    private static void requireMatching(String option, String value, String pattern, String expected) {
        if (value != null && !value.matches(pattern)) {
            throw new OxyError(ExitCode.USAGE, option + " '" + value + "' is not a valid name", "Use " + expected + "; nothing was changed.");
        }
    }

    public Path embeddedDataDir() { return stateDir.resolve("postgres"); }

    /** Where an upgrade of the docker runtime's container, or of the embedded runtime, records its steps. */
    public Path upgradeStateFile(boolean docker) {
        return stateDir.resolve("upgrade-" + (docker ? container : "embedded") + ".json");
    }

    /** The same settings for another server of the same app (upgrade's old and new servers), on another port. */
    public RuntimeOptions copy(Kind kind, int port) {
        RuntimeOptions copy = new RuntimeOptions();
        copy.runtime = kind;
        copy.url = url;
        copy.container = container;
        copy.image = image;
        copy.volume = volume;
        copy.postgresPort = port;
        copy.database = database;
        copy.user = user;
        copy.stateDir = stateDir;
        copy.verbose = verbose;
        return copy;
    }
}
