import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The external runtime: a PostgreSQL the tests start (as a managed service would be), reached only by URL. */
class ExternalRuntimeTest {
    static final String PASSWORD = "ext-S3cret-pw";
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("svc", PASSWORD, "app");

    @TempDir Path state;

    private Map<String, String> env(String url) {
        return OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url);
    }

    @Test
    void startMigratesTheExternalDatabaseAndNeverPrintsThePassword() throws Exception {
        String url = server.newDatabase();
        OxyCli.Result started = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(started.stdout().contains("Using external PostgreSQL at postgresql://svc:****@localhost:"), started.stdout());
        assertTrue(started.stdout().contains("Applied migration V1 oxy app schema"), started.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(17, OxyCli.appTableCount(connection));
        }
        OxyCli.Result status = OxyCli.run(env(url), "status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("PostgreSQL (external runtime)"), status.stdout());
        assertFalse(status.stdout().contains("Docker\n"), "external status does not look for Docker: " + status.stdout());

        OxyCli.Result stop = OxyCli.run(env(url), "stop");
        assertEquals(0, stop.exitCode(), stop.toString());
        assertTrue(stop.stdout().contains("is not managed here; nothing to stop"), stop.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(17, OxyCli.appTableCount(connection), "stop leaves an external database alone");
        }
        for (OxyCli.Result result : List.of(started, status, stop)) assertFalse(result.all().contains(PASSWORD), result.all());
    }

    @Test
    void statusReportsPendingMigrationsWithExitCode4() throws Exception {
        String url = server.newDatabase();
        OxyCli.Result text = OxyCli.run(env(url), "status");
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, text.exitCode(), text.toString());
        assertTrue(text.stdout().contains("none applied, 2 pending"), text.stdout());
        assertTrue(text.stdout().contains("./jbang oxy start --detach"), text.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        assertEquals("external", json.path("runtime").asText());
        assertTrue(json.path("database").path("connected").asBoolean());
        assertEquals(2, json.path("schema").path("pending").asInt());
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, json.path("exitCode").asInt());
    }

    @Test
    void statusReportsAnEditedMigrationAsDrift() throws Exception {
        String url = server.newDatabase();
        assertEquals(0, OxyCli.run(env(url), "start", "--detach").exitCode());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'");
        }
        OxyCli.Result status = OxyCli.run(env(url), "status", "--json");
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, status.exitCode(), status.toString());
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertEquals(0, json.path("schema").path("pending").asInt());
        assertTrue(json.path("schema").path("drift").get(0).asText().contains("V1"), json.toString());
    }

    @Test
    void twoStartsAtOnceMigrateOnceWithoutColliding() throws Exception {
        String url = server.newDatabase();
        List<Process> starts = new ArrayList<>();
        for (int i = 0; i < 3; i++) starts.add(OxyCli.spawn(env(url), "start", "--detach"));
        for (Process start : starts) {
            OxyCli.Result result = OxyCli.finish(start, java.time.Duration.ofMinutes(2));
            assertEquals(0, result.exitCode(), result.toString());
        }
        try (Connection connection = server.connect(url)) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM flyway_schema_history WHERE version = '1'"));
            assertEquals(17, OxyCli.appTableCount(connection));
        }
    }

    @Test
    void aWrongPasswordIsNamedWithoutPrintingIt() throws Exception {
        String url = server.newDatabase().replace(PASSWORD, "not-the-password");
        OxyCli.Result status = OxyCli.run(env(url), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("refused the password for user 'svc'"), status.stdout());
        assertFalse(status.all().contains("not-the-password"), status.all());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        assertFalse(json.path("database").path("connected").asBoolean());

        long started = System.nanoTime();
        OxyCli.Result start = OxyCli.run(env(url), "start", "--detach");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("refused the password"), start.stderr());
        assertTrue(System.nanoTime() - started < 20_000_000_000L, "a wrong password is not retried until the timeout");
    }

    @Test
    void anUnreachableOrUnknownHostIsNamed() throws Exception {
        String closed = "postgresql://svc:" + PASSWORD + "@localhost:" + OxyCli.freePort() + "/app";
        OxyCli.Result status = OxyCli.run(env(closed), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("does not answer"), status.stdout());
        OxyCli.Result start = OxyCli.run(env(closed), "start", "--detach", "--timeout", "2");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("PostgreSQL did not become ready within 2 s"), start.stderr());

        String unknown = "postgresql://svc:" + PASSWORD + "@no-such-host.invalid:5432/app";
        OxyCli.Result unknownStatus = OxyCli.run(env(unknown), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, unknownStatus.exitCode(), unknownStatus.toString());
        assertTrue(unknownStatus.stdout().contains("unknown host 'no-such-host.invalid'"), unknownStatus.stdout());
        for (OxyCli.Result result : List.of(status, start, unknownStatus)) assertFalse(result.all().contains(PASSWORD), result.all());
    }
}
