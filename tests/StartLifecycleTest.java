import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A foreground `start` as a real subprocess with a real app, stopped by real signals (embedded runtime). */
class StartLifecycleTest {
    // PATH without an 'oxy' binary, so only the app the test names runs
    @RegisterExtension final EmbeddedFixture embedded = new EmbeddedFixture("PATH", "/usr/local/bin:/usr/bin:/bin");
    @TempDir Path app;

    /** An app that records its database URL and how it was stopped. */
    private Path writeApp(String onTerm) throws Exception {
        Path script = app.resolve("app.sh");
        Files.writeString(script, "#!/bin/sh\n"
            + "printf '%s' \"$OXY_DATABASE_URL\" > '" + app.resolve("url") + "'\n"
            + "trap '" + onTerm + "' TERM\n"
            + "echo started > '" + app.resolve("started") + "'\n"
            + "while true; do sleep 0.1; done\n");
        return script;
    }

    @Test
    void sigtermStopsTheAppGracefullyThenPostgres() throws Exception {
        Path script = writeApp("echo term > " + app.resolve("stopped") + "; exit 0");
        Process start = OxyCli.spawn(embedded.env(), "start", "--", "sh", script.toString());
        awaitFile(app.resolve("started"), start);
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(17, OxyCli.appTableCount(connection));
        }
        assertEquals("postgresql://postgres:postgres@localhost:" + embedded.port() + "/oxy", Files.readString(app.resolve("url")),
            "the app gets the full URL through its environment");

        start.destroy(); // SIGTERM
        OxyCli.Result result = OxyCli.finish(start, Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("term\n", Files.readString(app.resolve("stopped")), "the app got SIGTERM and exited on its own");
        assertTrue(result.stdout().indexOf("App stopped") < result.stdout().indexOf("Stopped embedded PostgreSQL"), result.stdout());
        assertThrows(SQLException.class, () -> OxyCli.connectLocal(embedded.port(), "oxy").close());
        assertFalse(Files.exists(embedded.state().resolve("postgres/postmaster.pid")), "PostgreSQL shut down cleanly");
        assertFalse(result.all().contains(":postgres@"), "password printed: " + result.all());
    }

    @Test
    void theAppsExitCodeIsPassedOnAndPostgresStopped() throws Exception {
        OxyCli.Result result = OxyCli.run(embedded.env(), "start", "--", "sh", "-c", "exit 3");
        assertEquals(3, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("the app exited with code 3"), result.stdout());
        assertTrue(result.stdout().contains("Stopped embedded PostgreSQL"), result.stdout());
        assertThrows(SQLException.class, () -> OxyCli.connectLocal(embedded.port(), "oxy").close());
    }

    @Test
    void oxyServeCommandFromTheEnvironmentIsRun() throws Exception {
        Map<String, String> withServe = new java.util.HashMap<>(embedded.env());
        withServe.put("OXY_SERVE_COMMAND", "printf '%s' \"$OXY_DATABASE_URL\" > '" + app.resolve("url") + "'");
        OxyCli.Result result = OxyCli.run(withServe, "start");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(Files.readString(app.resolve("url")).endsWith("@localhost:" + embedded.port() + "/oxy"));
    }

    @Test
    void withNoAppPostgresStaysUpUntilCtrlC() throws Exception {
        Process start = OxyCli.spawn(embedded.env(), "start");
        OxyCli.awaitOutput(start, "Press Ctrl+C to stop.", Duration.ofSeconds(90));
        assertTrue(OxyCli.output(start, 0).stdout().contains("No app to run"));
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(17, OxyCli.appTableCount(connection));
        }
        new ProcessBuilder("kill", "-INT", String.valueOf(start.pid())).start().waitFor();
        OxyCli.Result result = OxyCli.finish(start, Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        assertThrows(SQLException.class, () -> OxyCli.connectLocal(embedded.port(), "oxy").close());
    }

    @Test
    void aSecondSignalForcesTheStopAndTheDataSurvives() throws Exception {
        Path script = writeApp(""); // ignores SIGTERM
        Process start = OxyCli.spawn(embedded.env(), "start", "--stop-timeout", "120", "--", "sh", script.toString());
        awaitFile(app.resolve("started"), start);
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            OxyCli.execute(connection, "INSERT INTO tasks (id, title, question, answer, file_path) VALUES (gen_random_uuid(), 'survives', 'q', 'a', 'f')");
        }
        start.destroy();
        OxyCli.awaitOutput(start, "Stopping the app", Duration.ofSeconds(90));
        start.destroy();
        OxyCli.Result result = OxyCli.finish(start, Duration.ofSeconds(20));
        assertEquals(ExitCode.INTERRUPTED, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("second interrupt: stopping now"), result.stdout());

        OxyCli.Result restarted = OxyCli.run(embedded.env(), "start", "--detach");
        assertEquals(0, restarted.exitCode(), restarted.toString());
        try (Connection connection = OxyCli.connectLocal(embedded.port(), "oxy")) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM tasks WHERE title = 'survives'"));
        }
    }

    private static void awaitFile(Path file, Process start) throws Exception {
        Await.whileRunning(start, Duration.ofSeconds(90), () -> Files.exists(file), "the app's " + file.getFileName() + " file");
    }
}
