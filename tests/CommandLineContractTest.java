import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every command promises on its command line: help, --version, exit 2 and one clear line for mistakes. */
class CommandLineContractTest {
    @TempDir Path state;

    private Map<String, String> env() { return OxyCli.env("OXY_STATE_DIR", state.toString()); }

    @Test
    void everyCommandHasHelpAndVersion() throws Exception {
        for (String command : List.of("start", "stop", "status", "migrate_sqlite", "backup", "restore", "upgrade")) {
            OxyCli.Result help = OxyCli.run(env(), command, "--help");
            assertEquals(0, help.exitCode(), help.toString());
            assertTrue(help.stdout().startsWith("Usage: oxy " + command), help.stdout());
            assertTrue(help.stdout().contains("--runtime"), help.stdout());
            OxyCli.Result version = OxyCli.run(env(), command, "--version");
            assertEquals(0, version.exitCode(), version.toString());
            assertTrue(version.stdout().startsWith("oxy-ops "), version.stdout());
        }
        OxyCli.Result top = OxyCli.run(env(), "--help");
        assertTrue(top.stdout().contains("start") && top.stdout().contains("status") && top.stdout().contains("stop"), top.stdout());
    }

    @Test
    void badFlagsAreUsageErrors() throws Exception {
        OxyCli.Result runtime = OxyCli.run(env(), "status", "--runtime", "kubernetes");
        assertEquals(ExitCode.USAGE, runtime.exitCode(), runtime.toString());
        assertTrue(runtime.stderr().contains("--runtime"), runtime.stderr());
        assertTrue(runtime.stderr().contains("see 'oxy status --help'"), runtime.stderr());

        OxyCli.Result level = OxyCli.run(env(), "backup", "--compress", "zstd:99");
        assertEquals(2, level.exitCode(), level.toString());
        assertTrue(level.stderr().contains("the level must be 1 to 22 for zstd"), level.stderr());
        OxyCli.Result jobs = OxyCli.run(env(), "backup", "--jobs", "2");
        assertEquals(2, jobs.exitCode(), jobs.toString());
        assertTrue(jobs.stderr().contains("--jobs needs --format directory"), jobs.stderr());
        OxyCli.Result nothingToPrune = OxyCli.run(env(), "backup", "prune", "--keep-last", "3");
        assertEquals(0, nothingToPrune.exitCode(), nothingToPrune.toString());
        assertTrue(nothingToPrune.stdout().contains("nothing to prune"), nothingToPrune.stdout());

        OxyCli.Result unknown = OxyCli.run(env(), "start", "--frobnicate");
        assertEquals(ExitCode.USAGE, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.stderr().contains("Unknown option: '--frobnicate'"), unknown.stderr());

        for (String command : List.of("start", "status", "stop")) {
            OxyCli.Result port = OxyCli.run(env(), command, "--postgres-port", "70000");
            assertEquals(ExitCode.USAGE, port.exitCode(), port.toString());
            assertTrue(port.stderr().contains("--postgres-port 70000 is not a port"), port.stderr());
        }

        OxyCli.Result detachWithApp = OxyCli.run(env(), "start", "--runtime", "embedded", "--detach", "--", "sleep", "1");
        assertEquals(ExitCode.USAGE, detachWithApp.exitCode(), detachWithApp.toString());
        assertTrue(detachWithApp.stderr().contains("--detach starts PostgreSQL only"), detachWithApp.stderr());

        OxyCli.Result noTarget = OxyCli.run(env(), "upgrade", "--runtime", "embedded");
        assertEquals(ExitCode.USAGE, noTarget.exitCode(), noTarget.toString());
        assertTrue(noTarget.stderr().contains("say which major to upgrade to: --to 18"), noTarget.stderr());
        OxyCli.Result halfMove = OxyCli.run(env(), "upgrade", "--from-url", "postgresql://a@localhost/oxy");
        assertEquals(ExitCode.USAGE, halfMove.exitCode(), halfMove.toString());
        assertTrue(halfMove.stderr().contains("--from-url and --to-url go together"), halfMove.stderr());
        OxyCli.Result nothingToRollBack = OxyCli.run(env(), "upgrade", "--runtime", "embedded", "--rollback");
        assertEquals(ExitCode.USAGE, nothingToRollBack.exitCode(), nothingToRollBack.toString());
        assertTrue(nothingToRollBack.stderr().contains("no upgrade to roll back"), nothingToRollBack.stderr());
        OxyCli.Result external = OxyCli.run(env(), "upgrade", "--url", "postgresql://a@localhost/oxy", "--to", "18");
        assertEquals(ExitCode.USAGE, external.exitCode(), external.toString());
        assertTrue(external.stderr().contains("Use --from-url OLD --to-url NEW"), external.stderr());
    }

    @Test
    void upgradeRefusesTwoActionsAndHalfAMoveAsUsageErrors() throws Exception {
        Map<String, String[]> cases = Map.of(
            "--rollback, --finalize are mutually exclusive", new String[] {"upgrade", "--rollback", "--finalize"},
            "--from-url and --to-url go together", new String[] {"upgrade", "--from-url", "postgresql://a@localhost/oxy"});
        for (Map.Entry<String, String[]> refused : cases.entrySet()) {
            OxyCli.Result result = OxyCli.run(env(), refused.getValue());
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            List<String> lines = result.stderr().lines().filter(line -> !line.isBlank()).toList();
            assertEquals(2, lines.size(), "one line and the hint: " + result);
            assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(refused.getKey()), result.toString());
            assertEquals("  see 'oxy upgrade --help'", lines.get(1), result.toString());
            assertTrue(result.stdout().isBlank(), "nothing was done: " + result);
        }
    }

    @Test
    void badUrlsGetOneLineAndTheExpectedFormatWithoutThePassword() throws Exception {
        Map<String, String> cases = Map.of(
            "mysql://root:hunter2@localhost/oxy", "has scheme 'mysql://', not postgresql://",
            "localhost:5432/oxy", "has no scheme",
            "postgresql://root:hunter2@localhost:99999/oxy", "invalid port '99999'");
        for (Map.Entry<String, String> bad : cases.entrySet()) {
            for (String[] command : List.of(new String[] {"start", "--url"}, new String[] {"status", "--url"},
                    new String[] {"upgrade", "--to-url", "postgresql://a@localhost/oxy", "--from-url"})) {
                List<String> args = new java.util.ArrayList<>(List.of(command));
                args.add(bad.getKey());
                OxyCli.Result result = OxyCli.run(env(), args.toArray(String[]::new));
                assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
                assertTrue(result.stderr().contains(bad.getValue()), result.stderr());
                assertTrue(result.stderr().contains("Expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE"), result.stderr());
                assertFalse(result.all().contains("hunter2"), result.all());
                assertFalse(result.all().contains("at java."), "no stack trace: " + result.all());
                assertTrue(result.stderr().strip().lines().count() <= 2, result.stderr());
            }
        }
        OxyCli.Result noUrl = OxyCli.run(env(), "status", "--runtime", "external");
        assertEquals(ExitCode.USAGE, noUrl.exitCode(), noUrl.toString());
        assertTrue(noUrl.stderr().contains("the external runtime needs a database URL"), noUrl.stderr());
    }
}
