import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What cron backups get wrong elsewhere: a run killed at any moment, and a disk that fills up. Neither
 * may leave a file under a backup's name that fails verification, nor cost the previous backup.
 */
class BackupCrashSafetyTest {
    static final String PASSWORD = "crash-pw";
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("svc", PASSWORD, "oxy");
    static String url;

    @TempDir Path state;

    @BeforeAll
    static void fillEvents() throws Exception {
        url = server.url("oxy");
        try (Connection connection = server.connect()) {
            // enough rows that pg_dump runs for a few seconds: kills land in every phase
            OxyCli.execute(connection, "CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb, body text)");
            OxyCli.execute(connection, "INSERT INTO events SELECT g, jsonb_build_object('g', g, 'h', md5(g::text)), "
                + "md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series(1, 400000) g");
        }
    }

    private Map<String, String> env(Path backups) {
        return OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url, "OXY_BACKUP_DIR", backups.toString());
    }

    /**
     * Every file under a backup's final name is sound: its sha256 matches its manifest when it has one,
     * and pg_restore reads it to the end.
     */
    private static void assertEveryFinalNameVerifies(Path backups, PostgresTools tools) throws Exception {
        List<Path> finals;
        try (Stream<Path> files = Files.list(backups)) {
            finals = files.filter(p -> p.getFileName().toString().matches("oxy_\\d{8}_\\d{6}(_\\d+)?\\.dump")).toList();
        }
        for (Path file : finals) {
            String name = file.getFileName().toString().replace(".dump", "");
            Path manifest = BackupManifest.pathFor(backups, name);
            BackupArchive archive = BackupArchive.open(file, Files.exists(manifest) ? Optional.of(BackupManifest.read(manifest)) : Optional.empty());
            archive.checkChecksum();
            archive.checkReadable(tools);
        }
    }

    private static long manifests(Path backups) throws Exception {
        try (Stream<Path> files = Files.list(backups)) {
            return files.filter(p -> p.toString().endsWith(BackupManifest.SUFFIX) && !p.getFileName().toString().startsWith(".")).count();
        }
    }

    @Test
    void killedAtTwelvePointsABackupNeverLeavesAnUnverifiableFileAndThePreviousOneSurvives() throws Exception {
        Path backups = state.resolve("backups");
        OxyCli.Result first = OxyCli.run(env(backups), "backup");
        assertEquals(0, first.exitCode(), first.toString());
        Path baseline;
        try (Stream<Path> files = Files.list(backups)) {
            baseline = files.filter(p -> p.getFileName().toString().endsWith(".dump")).findFirst().orElseThrow();
        }
        long baselineBytes = Files.size(baseline);
        // kill points are moments the run is seen to reach, not times: they land in the same phase on a busy machine
        List<String> points = new ArrayList<>(List.of("start", "Dumping"));
        for (int percent = 5; percent <= 85; percent += 10) points.add(percent + "%");
        points.add("renamed");
        ExternalRuntime runtime = new ExternalRuntime(optionsFor(url));
        try (PostgresTools tools = PostgresTools.find(18, runtime, List.of(backups), Console.standard())) {
            List<String> outcomes = new ArrayList<>();
            for (String point : points) {
                Set<Path> finalsBefore = finalDumps(backups);
                Process run = OxyCli.spawn(env(backups), "backup");
                boolean reached = awaitKillPoint(run, point, backups, baselineBytes, finalsBefore);
                if (reached) run.destroyForcibly(); // SIGKILL: no shutdown hook runs
                run.waitFor();
                boolean killed = reached && run.exitValue() == 137;
                outcomes.add(point + ": " + (killed ? "killed" : "finished, exit " + run.exitValue()));
                assertEveryFinalNameVerifies(backups, tools);
                assertTrue(Files.exists(baseline), "the previous backup survives the kill at " + point);
            }
            // the next run clears what the killed ones left (temporary files, tool containers) and succeeds
            OxyCli.Result after = OxyCli.run(env(backups), "backup");
            assertEquals(0, after.exitCode(), outcomes + "\n" + after);
            try (Stream<Path> files = Files.list(backups)) {
                List<String> partial = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".partial-")).toList();
                assertEquals(List.of(), partial, "leftovers of killed runs are removed: " + outcomes);
            }
            assertEveryFinalNameVerifies(backups, tools);
            System.out.println("kill points: " + outcomes);
            assertTrue(outcomes.stream().filter(o -> o.endsWith("killed")).count() >= 10, "at least 10 kills landed: " + outcomes);
        }
    }

    /**
     * Waits until the run reaches the point: "start" at once (the JVM is starting), "Dumping" when it says so,
     * "N%" when its temporary dump holds N % of the previous backup's bytes, "renamed" when a new final name
     * appears (the manifest is next). False when the run ended first.
     */
    private static boolean awaitKillPoint(Process run, String point, Path backups, long baselineBytes, Set<Path> finalsBefore) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (run.isAlive()) {
            boolean reached = switch (point) {
                case "start" -> true;
                case "Dumping" -> OxyCli.output(run, -1).stdout().contains("Dumping");
                case "renamed" -> !finalsBefore.containsAll(finalDumps(backups));
                default -> OxyCli.output(run, -1).stdout().contains("Dumping") // leftovers of earlier kills are gone by then
                    && partialDumpBytes(backups) * 100 >= baselineBytes * Long.parseLong(point.replace("%", ""));
            };
            if (reached) return true;
            if (System.nanoTime() > deadline) fail("the backup never reached kill point " + point + ":\n" + OxyCli.output(run, -1));
            Thread.sleep(5);
        }
        return false;
    }

    private static Set<Path> finalDumps(Path backups) throws Exception {
        try (Stream<Path> files = Files.list(backups)) {
            return files.filter(p -> p.getFileName().toString().matches("oxy_\\d{8}_\\d{6}(_\\d+)?\\.dump")).collect(Collectors.toSet());
        }
    }

    private static long partialDumpBytes(Path backups) throws Exception {
        try (Stream<Path> files = Files.list(backups)) {
            return files.filter(p -> p.getFileName().toString().startsWith(".partial-") && p.toString().endsWith(".dump"))
                .mapToLong(p -> p.toFile().length()).max().orElse(0);
        }
    }

    /** SIGTERM (a stopping cron or systemd) halfway through a dump: said in one line, nothing half-written left. */
    @Test
    void sigtermDuringABackupLeavesNoPartialFileAndSaysSo() throws Exception {
        Path backups = state.resolve("backups");
        Process backup = OxyCli.spawn(env(backups), "backup");
        OxyCli.awaitOutput(backup, "Dumping", Duration.ofSeconds(60));
        Await.whileRunning(backup, Duration.ofSeconds(60), () -> partialDumpBytes(backups) > 0, "pg_dump writing the dump");
        new ProcessBuilder("kill", "-TERM", String.valueOf(backup.pid())).start().waitFor();
        OxyCli.Result stopped = OxyCli.finish(backup, Duration.ofSeconds(60));
        assertNotEquals(0, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stderr().contains("backup interrupted: no backup was made"), stopped.toString());
        try (Stream<Path> files = Files.list(backups)) {
            assertEquals(List.of(".lock"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Ctrl+C halfway through loading: the half-loaded copy is dropped and the live database was never touched. */
    @Test
    void ctrlCDuringARestoreLeavesTheLiveDatabaseAsItWas() throws Exception {
        Path backups = state.resolve("backups");
        assertEquals(0, OxyCli.run(env(backups), "backup").exitCode());
        try (Connection connection = server.connect()) {
            OxyCli.execute(connection, "DELETE FROM events WHERE id > 399000");
        }
        Map<String, Long> before;
        try (Connection connection = server.connect()) {
            before = RowCounts.exact(connection);
        }
        Process restore = OxyCli.spawn(env(backups), "restore", "latest", "--yes", "--no-safety-backup");
        OxyCli.awaitOutput(restore, "into new database", Duration.ofSeconds(60));
        String restoring;
        try (Connection watcher = server.connect()) {
            Await.whileRunning(restore, Duration.ofSeconds(60), () -> OxyCli.queryLong(watcher, "SELECT count(*) FROM pg_stat_activity "
                + "WHERE datname LIKE 'oxy\\_restoring\\_%' AND state = 'active' AND query LIKE 'COPY %'") > 0, "pg_restore loading rows (a COPY)");
            restoring = OxyCli.queryString(watcher, "SELECT datname FROM pg_database WHERE datname LIKE 'oxy\\_restoring\\_%'");
        }
        OxyCli.Result interrupted;
        // holding ACCESS SHARE on the table keeps pg_restore before its primary key (ACCESS EXCLUSIVE): the Ctrl+C lands
        // mid-restore however fast the load is (a quick zstd load once finished first); the restore's DROP … FORCE ends this session
        try (Connection holder = server.connect(server.url(restoring))) {
            holder.setAutoCommit(false);
            OxyCli.execute(holder, "LOCK TABLE events IN ACCESS SHARE MODE NOWAIT");
            new ProcessBuilder("kill", "-INT", String.valueOf(restore.pid())).start().waitFor();
            interrupted = OxyCli.finish(restore, Duration.ofSeconds(60));
        }
        assertNotEquals(0, interrupted.exitCode(), interrupted.toString());
        assertTrue(interrupted.stderr().contains("restore interrupted") && interrupted.stderr().contains("is unchanged"), interrupted.toString());
        try (Connection connection = server.connect()) {
            assertEquals(before, RowCounts.exact(connection), "the live database is exactly as it was");
            long leftovers = OxyCli.queryLong(connection, "SELECT count(*) FROM pg_database WHERE datname LIKE 'oxy\\_%'");
            assertEquals(0, leftovers, "no half-restored or kept database: " + interrupted);
        }
    }

    private static RuntimeOptions optionsFor(String url) {
        RuntimeOptions options = new RuntimeOptions();
        options.url = url;
        options.runtime = RuntimeOptions.Kind.EXTERNAL;
        options.postgresPort = 15432;
        return options;
    }

    @Test
    void aFullDiskFailsTheBackupLoudlyAndKeepsTheLastGoodOne() throws Exception {
        Path backups = OxyCli.mountSmallDisk(state.resolve("small-disk"), "3m");
        String small = server.url("small");
        try (Connection connection = server.connect()) {
            OxyCli.execute(connection, "DROP DATABASE IF EXISTS small");
            OxyCli.execute(connection, "CREATE DATABASE small");
        }
        try {
            Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", small, "OXY_BACKUP_DIR", backups.toString());
            try (Connection connection = server.connect(small)) {
                OxyCli.execute(connection, "CREATE TABLE blobs (id int, data text)");
                OxyCli.execute(connection, "INSERT INTO blobs SELECT g, md5(g::text) FROM generate_series(1, 100) g");
            }
            OxyCli.Result good = OxyCli.run(env, "backup", "--keep-last", "1");
            assertEquals(0, good.exitCode(), good.toString());
            try (Connection connection = server.connect(small)) {
                // random text compresses to about half: ~6 MB of dump for a 3 MB disk
                OxyCli.execute(connection, "INSERT INTO blobs SELECT g, string_agg(md5(random()::text), '') FROM generate_series(1, 400) g, "
                    + "generate_series(1, 1000) h GROUP BY g");
            }
            OxyCli.Result full = OxyCli.run(env, "backup", "--keep-last", "1");
            assertNotEquals(0, full.exitCode(), full.toString());
            assertTrue(full.stderr().contains("disk is full"), full.toString());
            assertTrue(full.stderr().lines().filter(l -> !l.isBlank()).count() <= 8, "a short message, no stack trace: " + full);
            OxyCli.Result quiet = OxyCli.run(env, "backup", "--keep-last", "1", "--quiet");
            assertNotEquals(0, quiet.exitCode(), quiet.toString());
            assertEquals(List.of(), quiet.all().lines().filter(l -> !l.isBlank() && !l.contains("disk is full")).toList(),
                "--quiet (cron): the error is one line: " + quiet);
            assertEquals(1, manifests(backups), "the last good backup is kept (retention never ran)");
            try (Stream<Path> files = Files.list(backups)) {
                assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".partial-")).toList());
            }
            OxyCli.Result verified = OxyCli.run(env, "backup", "verify", "latest");
            assertEquals(0, verified.exitCode(), verified.toString());
        } finally {
            OxyCli.unmount(backups);
        }
    }
}
