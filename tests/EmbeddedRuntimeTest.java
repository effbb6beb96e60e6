import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The embedded runtime: a real PostgreSQL 18 from zonky's binaries under a temporary state dir. */
class EmbeddedRuntimeTest {
    @RegisterExtension final EmbeddedFixture embedded = new EmbeddedFixture();

    /**
     * The embedded server has no client tools: pg_dump runs in a container of its major on the host
     * network; without Docker and without a new enough host pg_dump, the error says what to install.
     */
    @Test
    void backupAndRestoreWorkAndMissingToolsAreNamed() throws Exception {
        assertEquals(0, OxyCli.run(embedded.env(), "start", "--detach").exitCode());
        Map<String, String> noDocker = new java.util.HashMap<>(embedded.env());
        noDocker.put("DOCKER_HOST", "unix://" + embedded.state().resolve("no-docker.sock"));
        OxyCli.Result missing = OxyCli.run(noDocker, "backup");
        assertEquals(11, missing.exitCode(), missing.toString());
        assertTrue(missing.stderr().contains("need pg_dump 18 or newer"), missing.stderr());
        assertTrue(missing.stderr().contains("apt install postgresql-client-18"), missing.stderr());
        assertFalse(Files.exists(embedded.state().resolve("backups")) && Files.list(embedded.state().resolve("backups")).anyMatch(p -> p.toString().endsWith(".dump")));

        OxyCli.requireDocker();
        OxyCli.backupDeleteRestore(embedded.env(), embedded.port(), "--format", "plain");
    }

    @Test
    void startDetachedCreatesAMigratedDatabaseThatStatusReports() throws Exception {
        OxyCli.Result started = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(started.stdout().contains("Initialising a new PostgreSQL 18 cluster"), started.stdout());
        assertTrue(started.stdout().contains("Applied migration V1 oxy app schema"), started.stdout());
        assertTrue(started.stdout().contains("postgresql://postgres:****@localhost:" + embedded.port() + "/oxy"), started.stdout());
        assertFalse(started.all().contains(":postgres@"), "password printed: " + started.all());

        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(17, OxyCli.appTableCount(connection));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND success"));
        }

        OxyCli.Result text = OxyCli.run(embedded.env(), "status");
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.stdout().contains("PostgreSQL (embedded runtime)"), text.stdout());
        assertTrue(text.stdout().contains("Connected: PostgreSQL 18"), text.stdout());
        assertTrue(text.stdout().contains("Current (version 2)"), text.stdout());
        assertTrue(text.stdout().contains("tail -f " + embedded.state().resolve("postgres.log")), text.stdout());

        JsonNode json = new ObjectMapper().readTree(OxyCli.run(embedded.env(), "status", "--json").stdout());
        assertEquals("embedded", json.path("runtime").asText());
        assertTrue(json.path("database").path("connected").asBoolean());
        assertTrue(json.path("database").path("serverVersion").asText().startsWith("18."), json.toString());
        assertEquals(0, json.path("schema").path("pending").asInt());
        assertEquals(embedded.port(), json.path("postgres").path("port").asInt());
    }

    @Test
    void stopAndStartAgainKeepTheData() throws Exception {
        assertEquals(0, OxyCli.run(embedded.env(), "start", "--detach").exitCode());
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            OxyCli.execute(connection, "INSERT INTO tasks (id, title, question, answer, file_path) VALUES (gen_random_uuid(), 'kept', 'q', 'a', 'f')");
        }
        OxyCli.Result again = OxyCli.run(embedded.env(), "start", "--detach");
        assertTrue(again.stdout().contains("Using running embedded PostgreSQL"), again.stdout());

        OxyCli.Result stopped = OxyCli.run(embedded.env(), "stop");
        assertEquals(0, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stdout().contains("Stopped embedded PostgreSQL (data kept in " + embedded.state().resolve("postgres") + ")"), stopped.stdout());
        assertThrows(SQLException.class, () -> OxyCli.connectLocal(embedded.port(), "oxy").close());

        OxyCli.Result down = OxyCli.run(embedded.env(), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, down.exitCode(), down.toString());
        assertTrue(down.stdout().contains("Embedded PostgreSQL is not running"), down.stdout());
        assertTrue(down.stdout().contains("Start it: ./jbang oxy start --runtime embedded"), down.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(embedded.env(), "status", "--json").stdout());
        assertFalse(json.path("database").path("connected").asBoolean());
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, json.path("exitCode").asInt());

        OxyCli.Result restarted = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(0, restarted.exitCode(), restarted.toString());
        assertFalse(restarted.stdout().contains("Initialising"), restarted.stdout());
        assertTrue(restarted.stdout().contains("Schema is up to date"), restarted.stdout());
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM tasks WHERE title = 'kept'"));
        }
        OxyCli.Result nothing = OxyCli.run(embedded.env(), "stop");
        assertEquals(0, nothing.exitCode());
        OxyCli.Result twice = OxyCli.run(embedded.env(), "stop");
        assertEquals(0, twice.exitCode(), twice.toString());
        assertTrue(twice.stdout().contains("is not running; nothing to stop"), twice.stdout());
    }

    /** A running server without the app's database (a start killed before creating it): start creates and migrates it. */
    @Test
    void aRunningServerWithoutTheDatabaseGetsIt() throws Exception {
        assertEquals(0, OxyCli.run(embedded.env(), "start", "--detach").exitCode());
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "postgres")) {
            OxyCli.execute(connection, "DROP DATABASE oxy");
        }
        OxyCli.Result again = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().contains("Using running embedded PostgreSQL"), again.stdout());
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM tasks"), "migrated");
        }
    }

    @Test
    void aTakenPortIsNamedWithItsHolderAndAFreePortSuggested() throws Exception {
        OxyCli.Result result = OxyCli.startOnTakenPort(embedded.env(), embedded.port());
        assertTrue(result.stderr().matches("(?s).*Use a free port: --postgres-port \\d+ \\(or OXY_POSTGRES_PORT=\\d+\\)\\..*"), result.stderr());
        assertFalse(Files.exists(embedded.state().resolve("postgres")), "nothing may be initialised when the port is taken");
    }

    @Test
    void anOlderMajorDataDirectoryIsRefusedAndLeftAsItWas() throws Exception {
        HostPostgres15.assumeInstalled();
        Path dataDir = embedded.state().resolve("postgres");
        HostPostgres15.run("initdb", "-D", dataDir.toString(), "-U", "postgres");
        String before = snapshot(dataDir);

        OxyCli.Result result = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("holds PostgreSQL 15 data; the embedded runtime runs PostgreSQL 18"), result.stderr());
        assertTrue(result.stderr().contains("./jbang oxy upgrade --to 18"), result.stderr());
        assertEquals(before, snapshot(dataDir), "the old cluster must be left exactly as it was");
    }

    @Test
    void filesThatAreNotAClusterAreNotInitialisedOver() throws Exception {
        Path dataDir = Files.createDirectories(embedded.state().resolve("postgres"));
        Files.writeString(dataDir.resolve("notes.txt"), "mine");
        OxyCli.Result result = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("holds files but no PostgreSQL cluster"), result.stderr());
        assertEquals("mine", Files.readString(dataDir.resolve("notes.txt")));
        assertFalse(Files.exists(dataDir.resolve("PG_VERSION")));
    }

    /** Every file under a directory with its size and modification time. */
    static String snapshot(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            StringBuilder listing = new StringBuilder();
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                listing.append(dir.relativize(file)).append(' ').append(Files.isRegularFile(file) ? Files.size(file) : -1)
                    .append(' ').append(Files.getLastModifiedTime(file).toMillis()).append('\n');
            }
            return listing.toString();
        }
    }
}
