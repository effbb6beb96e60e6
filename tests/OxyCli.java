import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Runs oxy-ops commands the way users do: as separate java processes (the test classpath stands in for
 * what JBang resolves), with their own environment, reading exit code, stdout and stderr.
 */
final class OxyCli {
    private OxyCli() {}

    record Result(int exitCode, String stdout, String stderr) {
        String all() { return stdout + stderr; }

        @Override
        public String toString() { return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr; }
    }

    /** Runs `oxy ARGS` to completion (3 minutes at most). */
    static Result run(Map<String, String> env, String... args) throws Exception {
        Process process = spawn(env, args);
        return finish(process, Duration.ofMinutes(3));
    }

    static Process spawn(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary()));
        command.addAll(JAVA_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "oxy"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("oxy-out", ".txt");
        Path err = Files.createTempFile("oxy-err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command)
            .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("NO_COLOR", "1");
        withoutCallersChoices(builder.environment());
        builder.environment().putAll(env);
        Process process = builder.start();
        OUTPUTS.put(process.pid(), new Path[] {out, err});
        return process;
    }

    /** The JVM options JBang gives every script (lib/cli/Cli.java's //JAVA_OPTIONS: the bounded heap), so tests run as users do. */
    static final List<String> JAVA_OPTIONS = javaOptions();

    private static List<String> javaOptions() {
        try {
            return Files.readAllLines(Path.of("lib/cli/Cli.java")).stream().filter(line -> line.startsWith("//JAVA_OPTIONS "))
                .flatMap(line -> java.util.Arrays.stream(line.substring("//JAVA_OPTIONS ".length()).trim().split("\\s+"))).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final Map<Long, Path[]> OUTPUTS = new java.util.concurrent.ConcurrentHashMap<>();

    static Result finish(Process process, Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            fail("oxy did not finish within " + timeout + ":\n" + output(process, 0).all());
        }
        return output(process, process.exitValue());
    }

    static Result output(Process process, int exitCode) throws IOException {
        Path[] files = OUTPUTS.get(process.pid());
        return new Result(exitCode, Files.readString(files[0], StandardCharsets.UTF_8), Files.readString(files[1], StandardCharsets.UTF_8));
    }

    /** Waits until a running command has printed the text on stdout; fails if it exits first or time runs out. */
    static void awaitOutput(Process process, String text, Duration timeout) throws Exception {
        Await.whileRunning(process, timeout, () -> output(process, -1).stdout().contains(text), "'" + text + "' printed");
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A developer's own OXY_RUNTIME or OXY_DATABASE_URL would pick another server for the command under test. */
    static void withoutCallersChoices(Map<String, String> environment) {
        environment.remove("OXY_DATABASE_URL");
        environment.remove("OXY_RUNTIME");
    }

    static Map<String, String> env(String... keyValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) env.put(keyValues[i], keyValues[i + 1]);
        return env;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A tmpfs of this size mounted at the directory (a disk that fills up); needs root, which CI has. */
    static Path mountSmallDisk(Path directory, String size) throws Exception {
        Files.createDirectories(directory);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", directory.toString()).inheritIO().start();
        if (mount.waitFor() != 0) {
            if ("true".equals(System.getenv("CI"))) fail("CI=true but a tmpfs cannot be mounted (the full-disk test needs root)");
            org.junit.jupiter.api.Assumptions.abort("mounting a tmpfs needs root; full-disk test skipped");
        }
        return directory;
    }

    static void unmount(Path directory) throws Exception {
        new ProcessBuilder("umount", "-l", directory.toString()).inheritIO().start().waitFor();
    }

    /** Docker tests run wherever an engine answers; in CI (CI=true) a missing engine fails them instead of skipping. */
    static void requireDocker() {
        boolean available = DockerEngine.tryConnect().isPresent();
        if (!available && "true".equals(System.getenv("CI"))) fail("CI=true but no Docker engine answers: Docker tests must run in CI");
        assumeTrue(available, "no Docker engine answers; Docker tests skipped");
    }

    /** `start --detach` while this JVM holds the port: refused with PORT_IN_USE, naming this JVM as the holder. */
    static Result startOnTakenPort(Map<String, String> env, int port) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            Result result = run(env, "start", "--detach");
            assertEquals(ExitCode.PORT_IN_USE, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("port " + port + " is already in use by java (pid " + ProcessHandle.current().pid() + ")"), result.stderr());
            return result;
        }
    }

    /**
     * The round trip every runtime must do: users added, a backup, the users deleted, the backup restored
     * with --yes, the users back. Returns the backup's output.
     */
    static Result backupDeleteRestore(Map<String, String> env, int port, String... backupArgs) throws Exception {
        try (Connection connection = connectLocal(port, "oxy")) {
            execute(connection, "DELETE FROM users");
            execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', 'n' FROM generate_series(1, 40) g");
        }
        List<String> backup = new ArrayList<>(List.of("backup"));
        backup.addAll(List.of(backupArgs));
        Result made = run(env, backup.toArray(String[]::new));
        assertEquals(0, made.exitCode(), made.toString());
        try (Connection connection = connectLocal(port, "oxy")) {
            execute(connection, "DELETE FROM users");
        }
        Result restored = run(env, "restore", "latest", "--yes");
        assertEquals(0, restored.exitCode(), restored.toString());
        try (Connection connection = connectLocal(port, "oxy")) {
            assertEquals(40, queryLong(connection, "SELECT count(*) FROM users"));
        }
        return made;
    }

    static Connection connect(String jdbcUrl, String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection(jdbcUrl, properties);
    }

    static Connection connectLocal(int port, String database) throws SQLException {
        return connect("jdbc:postgresql://localhost:" + port + "/" + database, "postgres", "postgres");
    }

    static long queryLong(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    static String queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** The 17 tables of the Oxy guide, which every migrated database must have. */
    static final List<String> APP_TABLES = List.of("users", "workspaces", "git_namespaces", "workspace_users", "project_repos",
        "projects", "branches", "threads", "secrets", "api_keys", "messages", "artifacts", "logs", "runs", "checkpoints",
        "settings", "tasks");

    static long appTableCount(Connection connection) throws SQLException {
        return queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('"
            + String.join("','", APP_TABLES) + "')");
    }
}
