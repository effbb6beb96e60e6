import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * upgrade --method replicate in the docker runtime, 17 to 18, with real writers: pgbench (Debian's 15, on the
 * host) and an app-like writer into a table without a primary key, both writing through the copy and the
 * switchover; kill -9 at points the run is seen to reach (the copy, the catch-up, the switch), each followed by a
 * rerun or --rollback that ends clean.
 */
class ReplicatedUpgradeTest {
    @RegisterExtension final DockerFixture docker = new DockerFixture("oxy-rep-");

    private static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");

    private Connection connect() throws SQLException { return OxyCli.connectLocal(docker.port(), "oxy"); }

    /** The docker runtime's container on postgres:17-alpine, migrated, with users, pgbench's tables and a table without a primary key. */
    private void startPostgres17WithData(int pgbenchScale) throws Exception {
        Map<String, String> on17 = new HashMap<>(docker.env());
        on17.put("OXY_POSTGRES_IMAGE", "postgres:17-alpine");
        assertEquals(0, OxyCli.run(on17, "start", "--detach").exitCode());
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', 'n' FROM generate_series(1, 500) g");
            OxyCli.execute(connection, "CREATE TABLE events (id bigint, note text)"); // no primary key, no replica identity
            OxyCli.execute(connection, "INSERT INTO events SELECT g, 'before' FROM generate_series(1, 1000) g");
            OxyCli.execute(connection, "CREATE TABLE tickets (id bigserial PRIMARY KEY, n int)");
            OxyCli.execute(connection, "INSERT INTO tickets (n) SELECT g FROM generate_series(1, 100) g");
        }
        Process init = pgbench("-i", "-q", "-s", String.valueOf(pgbenchScale));
        assertEquals(0, init.waitFor(), new String(init.getInputStream().readAllBytes()));
    }

    private Process pgbench(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "localhost", "-p", String.valueOf(docker.port()), "-U", "postgres"));
        command.addAll(List.of(args));
        command.add("oxy");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "postgres");
        return builder.start();
    }

    /** Our replication objects on a server: slots, publications and subscriptions named oxy_upgrade…, and any slot at all. */
    static long replicationObjects(Connection connection) throws SQLException {
        return OxyCli.queryLong(connection, "SELECT (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_publication) "
            + "+ (SELECT count(*) FROM pg_subscription)");
    }

    private void setWalLevelLogical() throws Exception {
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "ALTER SYSTEM SET wal_level = logical");
        }
        docker.client().restartContainerCmd(docker.container()).exec();
        Await.until(Duration.ofSeconds(60), () -> {
            try (Connection connection = connect()) {
                return "logical".equals(OxyCli.queryString(connection, "SHOW wal_level"));
            } catch (SQLException starting) {
                return false;
            }
        }, () -> "PostgreSQL 17 back with wal_level=logical");
    }

    @Test
    void pgbenchAndAnAppWriteThroughTheCopyAndTheSwitchAndNothingIsLostOrDuplicated() throws Exception {
        startPostgres17WithData(10);
        setWalLevelLogical(); // the restart is the other test's; here the writers start before the upgrade and run through it
        Process load = pgbench("-c", "2", "-T", "600", "-n");
        ReplicationWorkload.Writer app = new ReplicationWorkload.Writer(docker.port());
        app.start();
        Await.until(Duration.ofSeconds(30), () -> app.acknowledged.get() > 100, () -> "the app writing");

        Process upgrade = OxyCli.spawn(docker.env(), "upgrade", "--to", "18", "--method", "replicate", "--yes");
        OxyCli.Result upgraded = ReplicationWorkload.finishWhileWriting(upgrade, app, load);
        assertTrue(upgraded.stdout().matches("(?s).*; downtime [0-9.]+ s \\(writes refused to new server accepting: [^)]*\\).*"), upgraded.stdout());
        assertTrue(upgraded.stdout().matches("(?s).*REPLICA IDENTITY FULL until the switch: [^\\n]*public\\.events, public\\.pgbench_history.*"), upgraded.stdout());
        assertTrue(!upgraded.all().contains("password"), "no password printed: " + upgraded);

        Map<String, String> onNew;
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            onNew = ReplicationWorkload.checksums(connection);
            long written = app.acknowledged.get();
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM generate_series(1000001, " + (1_000_000 + written) + ") g "
                + "WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = g)"), "every acknowledged write is on the new server");
            assertEquals(OxyCli.queryLong(connection, "SELECT count(DISTINCT id) FROM events"), OxyCli.queryLong(connection, "SELECT count(*) FROM events"),
                "no row twice in the table without a primary key");
            assertTrue(OxyCli.queryLong(connection, "SELECT count(*) FROM events WHERE note = 'updated'") > 0, "updates of a table without a key arrived: "
                + OxyCli.queryString(connection, "SELECT string_agg(note || '=' || n, ', ') FROM (SELECT note, count(*) n FROM events GROUP BY 1) x") + " acknowledged " + written);
            assertTrue(OxyCli.queryLong(connection, "SELECT count(*) FROM pgbench_history") > 0, "pgbench wrote");
            assertEquals(OxyCli.queryLong(connection, "SELECT max(aid) FROM pgbench_accounts"), 1_000_000L);
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_subscription"), "no subscription left on the new server");
            assertEquals(List.of("oxy_upgrade_back", "oxy_upgrade_back"), List.of(
                OxyCli.queryString(connection, "SELECT string_agg(slot_name, ',') FROM pg_replication_slots"),
                OxyCli.queryString(connection, "SELECT string_agg(pubname, ',') FROM pg_publication")), "the way back: one slot and one publication");
            assertEquals(101, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the old server's value");
        }
        assertTrue(upgraded.stdout().contains("read-only) follows every write made on the new server"), upgraded.stdout());
        OxyCli.Result status = OxyCli.run(docker.env(), "status");
        assertTrue(status.stdout().contains("oxy_upgrade_back: ") && status.stdout().contains("of WAL retained") && status.stdout().contains("--finalize"),
            "status names the way back's slot: " + status.stdout());

        // writes after the switch (pgbench, and the app's inserts, updates and deletes in the table without a key), then --rollback: all on the old server
        Process after = pgbench("-c", "2", "-t", "300", "-n");
        try (Connection connection = connect()) {
            ReplicationWorkload.appWritesAfterTheSwitch(connection);
        }
        String pgbenchAfter = new String(after.getInputStream().readAllBytes());
        assertEquals(0, after.waitFor(), pgbenchAfter);
        Map<String, String> afterWrites;
        try (Connection connection = connect()) {
            afterWrites = ReplicationWorkload.checksums(connection);
        }
        assertTrue(!afterWrites.equals(onNew), "the writes after the switch changed the data");
        OxyCli.Result back = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertTrue(back.stdout().contains("with every write made since the switch") && !back.all().contains("discarded"), back.toString());
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("17"));
            assertEquals(afterWrites, ReplicationWorkload.checksums(connection), "every table on the old server as on the new one when the rollback stopped its writes");
            assertEquals(0, replicationObjects(connection), "no slot, publication or subscription left on the old server");
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), "replica identity restored");
            assertEquals(152, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the new server's value");
            OxyCli.execute(connection, "INSERT INTO events VALUES (0, 'after the rollback')"); // takes writes again
        }
        assertTrue(!docker.engine().containerExists(docker.container() + "-pg17") && !docker.engine().volumeExists(docker.volume() + "-18"),
            "neither the kept container nor the new volume is left");
    }

    /** The way back's two ends: --finalize removes both sides' objects; a rollback killed inside its switch ends clean when run again. */
    @Test
    void finalizeLeavesNothingAndARollbackKilledInsideItsSwitchEndsCleanOnRerun() throws Exception {
        startPostgres17WithData(5);
        OxyCli.Result upgraded = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--method", "replicate", "--yes");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "INSERT INTO events SELECT g, 'after the switch' FROM generate_series(2000001, 2001000) g");
            OxyCli.execute(connection, "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid <= 1000");
        }
        Map<String, String> onNew;
        try (Connection connection = connect()) {
            onNew = ReplicationWorkload.checksums(connection);
        }
        Process killed = OxyCli.spawn(docker.env(), "upgrade", "--rollback");
        Await.whileRunning(killed, Duration.ofMinutes(2), () -> ReplicationWorkload.writesRefused(this::connect), "writes refused on the new database");
        killed.destroyForcibly().waitFor();
        OxyCli.Result rerun = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("17"));
            assertEquals(onNew, ReplicationWorkload.checksums(connection), "the writes made after the switch are on the old server, once");
            assertEquals(0, replicationObjects(connection), "nothing of ours left on the old server");
            assertEquals("off", OxyCli.queryString(connection, "SHOW default_transaction_read_only"), "the old server takes writes");
        }
        assertTrue(!docker.engine().containerExists(docker.container() + "-pg17") && !docker.engine().volumeExists(docker.volume() + "-18"));

        OxyCli.Result again = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--method", "replicate", "--yes");
        assertEquals(0, again.exitCode(), again.toString());
        OxyCli.Result finalized = OxyCli.run(docker.env(), "upgrade", "--finalize", "--yes");
        assertEquals(0, finalized.exitCode(), finalized.toString());
        assertTrue(finalized.stdout().contains("Removed the way back: subscription oxy_upgrade_back on the old server, slot oxy_upgrade_back, publication oxy_upgrade_back"),
            finalized.stdout());
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            assertEquals(0, replicationObjects(connection), "no slot, publication or subscription left on the new server");
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), "replica identity restored");
            OxyCli.execute(connection, "INSERT INTO events VALUES (0, 'after finalize')");
        }
        assertTrue(!docker.engine().containerExists(docker.container() + "-pg17") && !docker.engine().volumeExists(docker.volume()),
            "the old server and its volume are gone, and with them its side");
        OxyCli.Result status = OxyCli.run(docker.env(), "status");
        assertTrue(!status.stdout().contains("oxy_upgrade"), "status finds no slot of ours: " + status.stdout());
    }

    /** The old server runs PostgreSQL 17, takes writes, holds the data it had, and nothing of ours is left on either side. */
    private void assertOldServerAsBefore(Map<String, String> before, String when) throws Exception {
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("17"), when);
            assertEquals(before, ReplicationWorkload.checksums(connection), "old data intact " + when);
            assertEquals(0, replicationObjects(connection), "no slot or publication left " + when);
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), when);
            OxyCli.execute(connection, "CREATE TEMP TABLE probe AS SELECT 1"); // writable again
            assertEquals("off", OxyCli.queryString(connection, "SHOW default_transaction_read_only"), when);
        }
        assertTrue(!docker.engine().containerExists(docker.container() + "-upgrade-18") && !docker.engine().volumeExists(docker.volume() + "-18"),
            "no new server left " + when);
    }

    @Test
    void refusalsChangeNothingAndKillsDuringTheCopyAndInsideTheSwitchEndClean() throws Exception {
        startPostgres17WithData(10);
        Map<String, String> before;
        try (Connection connection = connect()) {
            before = ReplicationWorkload.checksums(connection);
            OxyCli.execute(connection, "SELECT lo_create(4242)");
            OxyCli.execute(connection, "CREATE ROLE plain LOGIN PASSWORD 'postgres'");
        }
        for (String[] args : new String[][] {{"upgrade", "--to", "18", "--method", "replicate", "--dry-run"}, {"upgrade", "--to", "18", "--method", "replicate"}}) {
            OxyCli.Result refused = OxyCli.run(docker.env(), args);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("1 large object(s)") && refused.stderr().contains("--method dump"), refused.toString());
        }
        Map<String, String> asPlain = new HashMap<>(docker.env());
        asPlain.put("OXY_POSTGRES_USER", "plain");
        OxyCli.Result noPrivilege = OxyCli.run(asPlain, "upgrade", "--to", "18", "--method", "replicate", "--dry-run");
        assertEquals(ExitCode.REFUSED, noPrivilege.exitCode(), noPrivilege.toString());
        assertTrue(noPrivilege.stderr().contains("role plain may not replicate") && noPrivilege.stderr().contains("ALTER ROLE plain REPLICATION"), noPrivilege.toString());
        try (Connection connection = connect()) {
            OxyCli.execute(connection, "SELECT lo_unlink(4242)");
            OxyCli.execute(connection, "DROP ROLE plain");
            assertEquals("replica", OxyCli.queryString(connection, "SHOW wal_level"), "a refusal restarts nothing");
        }
        assertOldServerAsBefore(before, "after the refusals");
        OxyCli.Result plan = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--method", "replicate", "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("restart the old server once with wal_level=logical"), plan.stdout());
        assertOldServerAsBefore(before, "after the dry run");

        // kill -9 during the copy (our slot is there, the switch has not begun): status warns, a rerun cleans up and finishes
        Process killed = OxyCli.spawn(docker.env(), "upgrade", "--to", "18", "--method", "replicate");
        Await.whileRunning(killed, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::connect), "the slot oxy_upgrade on the old server");
        killed.destroyForcibly().waitFor();
        String killedOutput = OxyCli.output(killed, -9).stdout();
        assertTrue(killedOutput.contains("Old server restarted with wal_level=logical in") && !killedOutput.contains("Switchover"), killedOutput);
        OxyCli.Result status = OxyCli.run(docker.env(), "status");
        assertTrue(status.stdout().contains("oxy_upgrade: ") && status.stdout().contains("of WAL retained"), status.stdout());
        OxyCli.Result rerun = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--method", "replicate");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(rerun.stdout().contains("interrupted before the switch: removing what it made") && rerun.stdout().contains("wal_level is logical already"), rerun.stdout());
        try (Connection connection = connect()) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            assertEquals(before, ReplicationWorkload.checksums(connection), "the new server holds the old data, once");
            assertEquals(2, replicationObjects(connection), "the way back's slot and publication, and nothing of the killed run");
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_replication_slots WHERE slot_name <> 'oxy_upgrade_back'"));
        }
        OxyCli.Result back = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertOldServerAsBefore(before, "after a rollback of the finished upgrade");

        // kill -9 during the catch-up (the copy done, the switch not begun): --rollback removes what it made
        Process catchingUp = OxyCli.spawn(docker.env(), "upgrade", "--to", "18", "--method", "replicate");
        OxyCli.awaitOutput(catchingUp, "Copied; the new server follows the old one", Duration.ofMinutes(3));
        catchingUp.destroyForcibly().waitFor();
        assertFalse(OxyCli.output(catchingUp, -9).stdout().contains("Switchover"), "killed before the switch");
        OxyCli.Result undone = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, undone.exitCode(), undone.toString());
        assertOldServerAsBefore(before, "after a kill during the catch-up and --rollback");

        // kill -9 inside the switchover (writes refused on the old database): --rollback brings it all back
        Process inSwitch = OxyCli.spawn(docker.env(), "upgrade", "--to", "18", "--method", "replicate");
        Await.whileRunning(inSwitch, Duration.ofMinutes(3), () -> ReplicationWorkload.writesRefused(this::connect), "writes refused on the old database");
        inSwitch.destroyForcibly().waitFor();
        OxyCli.Result rolledBack = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, rolledBack.exitCode(), rolledBack.toString());
        assertOldServerAsBefore(before, "after a kill inside the switch and --rollback");
        assertTrue(!Files.exists(docker.state().resolve("upgrade-" + docker.container() + ".json")), "no upgrade state left");
    }

    /** Ctrl+C during the copy: the run removes what it made before it exits, with no rerun: the old server as before, taking writes. */
    @Test
    void ctrlCDuringTheCopyRemovesEverythingItMade() throws Exception {
        startPostgres17WithData(5);
        Map<String, String> before;
        try (Connection connection = connect()) {
            before = ReplicationWorkload.checksums(connection);
        }
        Process interrupted = OxyCli.spawn(docker.env(), "upgrade", "--to", "18", "--method", "replicate");
        Await.whileRunning(interrupted, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::connect), "the slot oxy_upgrade on the old server");
        new ProcessBuilder("kill", "-INT", String.valueOf(interrupted.pid())).start().waitFor();
        OxyCli.Result result = OxyCli.finish(interrupted, Duration.ofSeconds(90));
        assertTrue(result.exitCode() != 0 && result.stderr().contains("upgrade interrupted: what it made was removed"), result.toString());
        assertOldServerAsBefore(before, "after Ctrl+C");
        assertTrue(!Files.exists(docker.state().resolve("upgrade-" + docker.container() + ".json")), "no upgrade state left");
    }
}
