import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * upgrade --method replicate in the embedded runtime, 17 to 18: the data directory holds a PostgreSQL 17
 * cluster (zonky's 17, given with --from-binaries), the staging server is the embedded 18 on a free port and
 * subscribes over localhost, and the data directories swap. pgbench (Debian's 15, on the host) and an app-like
 * writer write through the copy and the switchover; the way back, --finalize, and kill -9 during the copy.
 * pg_dump 17 for the schema comes from a tools container (zonky ships no client tools), so Docker is needed.
 */
class EmbeddedReplicatedUpgradeTest {
    private static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");

    private Path state;
    private Path dataDir;
    private int port;
    private Map<String, String> env;
    private String[] upgrade;

    @BeforeEach
    void createPostgres17Data() throws Exception {
        HostPostgres15.assumeInstalled(); // pgbench
        OxyCli.requireDocker();
        state = StateDirectory.create();
        dataDir = state.resolve("postgres");
        port = OxyCli.freePort();
        env = OxyCli.env("OXY_RUNTIME", "embedded", "OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_PORT", String.valueOf(port));
        upgrade = new String[] {"upgrade", "--to", "18", "--method", "replicate", "--from-binaries", ZonkyPostgres17.bin().toString()};
        ZonkyPostgres17.initAndStart(dataDir, port);
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "CREATE TABLE events (id bigint, note text)"); // no primary key, no replica identity
            OxyCli.execute(connection, "INSERT INTO events SELECT g, 'before' FROM generate_series(1, 1000) g");
            OxyCli.execute(connection, "CREATE TABLE tickets (id bigserial PRIMARY KEY, n int)");
            OxyCli.execute(connection, "INSERT INTO tickets (n) SELECT g FROM generate_series(1, 100) g");
        }
    }

    @AfterEach
    void stopServersAndDeleteState() throws Exception {
        if (state == null) return;
        for (String directory : new String[] {"postgres", "postgres-18", "postgres-pg17"}) HostPostgres15.stopIfRunning(state.resolve(directory));
        StateDirectory.delete(state);
    }

    private Connection connect() throws SQLException { return OxyCli.connectLocal(port, "oxy"); }

    private void pgbenchInit(int scale) throws Exception {
        Process init = pgbench("-i", "-q", "-s", String.valueOf(scale));
        assertEquals(0, init.waitFor(), new String(init.getInputStream().readAllBytes()));
    }

    private Process pgbench(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "localhost", "-p", String.valueOf(port), "-U", "postgres"));
        command.addAll(List.of(args));
        command.add("oxy");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "postgres");
        return builder.start();
    }

    private Map<String, String> checksums() throws SQLException {
        try (Connection connection = connect()) {
            return ReplicationWorkload.checksums(connection);
        }
    }

    /** The old server kept beside the new one (the way back): its port, from its postmaster.pid. */
    private int keptServerPort() throws Exception {
        return Integer.parseInt(Files.readAllLines(state.resolve("postgres-pg17/postmaster.pid")).get(3).strip());
    }

    private static boolean answers(int serverPort) {
        try (Connection ignored = OxyCli.connectLocal(serverPort, "oxy")) {
            return true;
        } catch (SQLException refused) {
            return false;
        }
    }

    /** PostgreSQL 17 on the usual port takes writes, holds the data it had, and nothing of ours is left on it or beside it. */
    private void assertOldServerAsBefore(Map<String, String> before, String when) throws Exception {
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("17"), when);
            assertEquals(before, ReplicationWorkload.checksums(connection), "old data intact " + when);
            assertEquals(0, ReplicatedUpgradeTest.replicationObjects(connection), "no slot, publication or subscription left " + when);
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), when);
            OxyCli.execute(connection, "CREATE TEMP TABLE probe AS SELECT 1");
            assertEquals("off", OxyCli.queryString(connection, "SHOW default_transaction_read_only"), "takes writes " + when);
        }
        assertFalse(Files.exists(state.resolve("postgres-18")) || Files.exists(state.resolve("postgres-pg17")), "no new or kept directory " + when);
        assertFalse(Files.exists(state.resolve("upgrade-embedded.json")), "no upgrade state " + when);
    }

    @Test
    void pgbenchAndAnAppWriteThroughTheCopyAndTheSwitchThenRollbackCarriesTheLaterWritesBackAndFinalizeLeavesNothing() throws Exception {
        pgbenchInit(5);
        // wal_level set beforehand (the other test sees the upgrade's own restart): the writers run through copy and switch
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "ALTER SYSTEM SET wal_level = logical");
        }
        ZonkyPostgres17.stop(dataDir);
        ZonkyPostgres17.start(dataDir, port);
        Process load = pgbench("-c", "2", "-T", "600", "-n");
        ReplicationWorkload.Writer app = new ReplicationWorkload.Writer(port);
        app.start();
        Await.until(Duration.ofSeconds(30), () -> app.acknowledged.get() > 100, () -> "the app writing");

        Process running = OxyCli.spawn(env, upgrade[0], upgrade[1], upgrade[2], upgrade[3], upgrade[4], upgrade[5], upgrade[6], "--yes");
        OxyCli.Result upgraded = ReplicationWorkload.finishWhileWriting(running, app, load);
        assertTrue(upgraded.stdout().contains("wal_level is logical already: no restart"), upgraded.stdout());
        assertTrue(upgraded.stdout().matches("(?s).*; downtime [0-9.]+ s \\(writes refused to new server accepting: [^)]*both servers stopped [^)]*\\).*"),
            upgraded.stdout());
        assertTrue(!upgraded.all().contains("password"), "no password printed: " + upgraded);

        // the new server on the usual port and directory; the old directory kept, served read-only on another port, as it was when writes stopped
        Map<String, String> onNew = checksums();
        assertEquals("17", Files.readString(state.resolve("postgres-pg17/PG_VERSION")).strip());
        assertEquals("18", Files.readString(dataDir.resolve("PG_VERSION")).strip());
        try (Connection old = OxyCli.connectLocal(keptServerPort(), "oxy")) {
            assertTrue(OxyCli.queryString(old, "SHOW server_version").startsWith("17"));
            assertEquals(onNew, ReplicationWorkload.checksums(old), "every table on the new server as on the old one when its writes stopped");
            assertEquals("on", OxyCli.queryString(old, "SHOW default_transaction_read_only"), "the old database is read-only for the app");
        }
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            long written = app.acknowledged.get();
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM generate_series(1000001, " + (1_000_000 + written) + ") g "
                + "WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = g)"), "every acknowledged write is on the new server");
            assertEquals(OxyCli.queryLong(connection, "SELECT count(DISTINCT id) FROM events"), OxyCli.queryLong(connection, "SELECT count(*) FROM events"),
                "no row twice in the table without a primary key");
            assertTrue(OxyCli.queryLong(connection, "SELECT count(*) FROM pgbench_history") > 0, "pgbench wrote");
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_subscription"), "no subscription left on the new server");
            assertEquals("oxy_upgrade_back", OxyCli.queryString(connection, "SELECT string_agg(slot_name, ',') FROM pg_replication_slots"));
            assertEquals(101, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the old server's value");
        }
        OxyCli.Result status = OxyCli.run(env, "status");
        assertTrue(status.stdout().contains("oxy_upgrade_back: ") && status.stdout().contains("of WAL retained"), "status names the way back's slot: " + status.stdout());

        // writes after the switch, then --rollback: PostgreSQL 17 back on the usual directory and port with all of them
        Process after = pgbench("-c", "2", "-t", "300", "-n");
        try (Connection connection = connect()) {
            ReplicationWorkload.appWritesAfterTheSwitch(connection);
        }
        String pgbenchAfter = new String(after.getInputStream().readAllBytes());
        assertEquals(0, after.waitFor(), pgbenchAfter);
        Map<String, String> afterWrites = checksums();
        assertTrue(!afterWrites.equals(onNew), "the writes after the switch changed the data");
        OxyCli.Result back = OxyCli.run(env, "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertTrue(back.stdout().contains("with every write made since the switch") && !back.all().contains("discarded"), back.toString());
        try (Connection connection = connect()) {
            assertEquals(152, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the new server's value");
        }
        assertOldServerAsBefore(afterWrites, "after the rollback");

        // again, then --finalize: no slot, publication or subscription on the new server, the old directory and its server gone
        OxyCli.Result again = OxyCli.run(env, upgrade);
        assertEquals(0, again.exitCode(), again.toString());
        int keptPort = keptServerPort();
        OxyCli.Result finalized = OxyCli.run(env, "upgrade", "--finalize", "--yes");
        assertEquals(0, finalized.exitCode(), finalized.toString());
        assertTrue(finalized.stdout().contains("Removed the way back: subscription oxy_upgrade_back on the old server, slot oxy_upgrade_back, publication oxy_upgrade_back"),
            finalized.stdout());
        assertFalse(Files.exists(state.resolve("postgres-pg17")), "finalize removes the old directory");
        assertFalse(answers(keptPort), "and stops its server first");
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            assertEquals(afterWrites, ReplicationWorkload.checksums(connection));
            assertEquals(0, ReplicatedUpgradeTest.replicationObjects(connection), "no slot, publication or subscription left on the new server");
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), "replica identity restored");
            OxyCli.execute(connection, "INSERT INTO events VALUES (0, 'after finalize')");
        }
        OxyCli.Result finalStatus = OxyCli.run(env, "status");
        assertTrue(!finalStatus.stdout().contains("oxy_upgrade"), "status finds no slot of ours: " + finalStatus.stdout());
    }

    @Test
    void refusalsChangeNothingAndAKillDuringTheCopyEndsCleanOnRerunOrRollback() throws Exception {
        pgbenchInit(10);
        Map<String, String> before = checksums();
        String[] withoutBinaries = {"upgrade", "--to", "18", "--method", "replicate", "--from-binaries", state.resolve("nowhere").toString()};
        for (boolean dryRun : new boolean[] {true, false}) {
            List<String> args = new ArrayList<>(List.of(withoutBinaries));
            if (dryRun) args.add("--dry-run");
            OxyCli.Result refused = OxyCli.run(env, args.toArray(String[]::new));
            assertEquals(ExitCode.TOOLS_MISSING, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("no PostgreSQL 17 server binaries") && !refused.all().contains("Exception"), refused.toString());
        }
        try (Connection connection = connect()) {
            assertEquals("replica", OxyCli.queryString(connection, "SHOW wal_level"), "a refusal restarts nothing");
        }
        OxyCli.Result plan = OxyCli.run(env, upgrade[0], upgrade[1], upgrade[2], upgrade[3], upgrade[4], upgrade[5], upgrade[6], "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("restart the old server once with wal_level=logical")
            && plan.stdout().contains("swap: keep the old directory as " + state.resolve("postgres-pg17")), plan.stdout());
        assertOldServerAsBefore(before, "after the refusals and the dry run");

        // kill -9 during the copy (our slot is there, the switch has not begun), then --rollback: the old server as before
        Process killed = OxyCli.spawn(env, upgrade);
        Await.whileRunning(killed, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::connect), "the slot oxy_upgrade on the old server");
        killed.destroyForcibly().waitFor();
        String killedOutput = OxyCli.output(killed, -9).stdout();
        assertTrue(killedOutput.contains("Old server restarted with wal_level=logical in") && !killedOutput.contains("Switchover"), killedOutput);
        OxyCli.Result status = OxyCli.run(env, "status");
        assertTrue(status.stdout().contains("oxy_upgrade: ") && status.stdout().contains("of WAL retained"), "status names the slot left: " + status.stdout());
        OxyCli.Result rolledBack = OxyCli.run(env, "upgrade", "--rollback");
        assertEquals(0, rolledBack.exitCode(), rolledBack.toString());
        assertTrue(rolledBack.stdout().contains("Removed the new server's data directory " + state.resolve("postgres-18")), rolledBack.stdout());
        assertOldServerAsBefore(before, "after a kill during the copy and --rollback");

        // kill -9 during the copy again, then a rerun: it removes what the killed run made and upgrades
        Process killedAgain = OxyCli.spawn(env, upgrade);
        Await.whileRunning(killedAgain, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::connect), "the slot oxy_upgrade on the old server");
        killedAgain.destroyForcibly().waitFor();
        OxyCli.Result rerun = OxyCli.run(env, upgrade);
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(rerun.stdout().contains("interrupted before the switch: removing what it made") && rerun.stdout().contains("wal_level is logical already"),
            rerun.stdout());
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            assertEquals(before, ReplicationWorkload.checksums(connection), "the new server holds the old data, once");
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_replication_slots WHERE slot_name <> 'oxy_upgrade_back'"),
                "nothing of the killed run on the new server");
        }
        try (Connection old = OxyCli.connectLocal(keptServerPort(), "oxy")) {
            assertEquals(0, OxyCli.queryLong(old, "SELECT count(*) FROM pg_replication_slots"), "no slot of either run left on the old server");
            assertEquals(0, OxyCli.queryLong(old, "SELECT count(*) FROM pg_publication"), "no publication left on the old server");
        }
        OxyCli.Result back = OxyCli.run(env, "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertOldServerAsBefore(before, "after a rollback of the finished upgrade");
    }

    /** kill -9 inside the switchover (writes refused on the old database), wherever in it the kill lands: --rollback brings it all back. */
    @Test
    void aKillInsideTheSwitchIsUndoneByRollback() throws Exception {
        pgbenchInit(5);
        Map<String, String> before = checksums();
        Process inSwitch = OxyCli.spawn(env, upgrade);
        Await.whileRunning(inSwitch, Duration.ofMinutes(3), () -> ReplicationWorkload.writesRefused(this::connect), "writes refused on the old database");
        inSwitch.destroyForcibly().waitFor();
        List<String> said = OxyCli.output(inSwitch, -9).stdout().lines().toList();
        System.out.println("embedded --method replicate killed inside the switch after: " + said.get(said.size() - 1));
        OxyCli.Result rolledBack = OxyCli.run(env, "upgrade", "--rollback");
        assertEquals(0, rolledBack.exitCode(), rolledBack.toString());
        assertOldServerAsBefore(before, "after a kill inside the switch and --rollback");
    }
}
