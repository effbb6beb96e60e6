import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * upgrade --from-url A --to-url B --method replicate between two servers oxy does not run: Debian's PostgreSQL 15
 * (A, a new cluster per test) and a PostgreSQL 18 (B: oxy's embedded runtime, on localhost, so each reaches the
 * other at the address of its URL). pgbench and an app-like writer write through the copy and the switch; the
 * way back, --rollback, --finalize, and kill -9 during the copy followed by --rollback or a rerun.
 */
class ExternalReplicatedUpgradeTest {
    private static final Path PGBENCH = HostPostgres15.BIN.resolve("pgbench");
    /** Passwords no output may show (the role names are printed; these never are). */
    private static final String OLD_PASSWORD = "old-Secret-15", NEW_PASSWORD = "new-Secret-18";

    static Path newServerState;
    static int newPort;
    @TempDir Path work;
    Path oldData;
    int oldPort;

    @BeforeAll
    static void startPostgres18WithLogicalWal() throws Exception {
        HostPostgres15.assumeInstalled();
        newServerState = StateDirectory.create();
        newPort = OxyCli.freePort();
        OxyCli.Result started = OxyCli.run(newServerEnv(), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        try (Connection connection = onNew("postgres")) {
            OxyCli.execute(connection, "ALTER SYSTEM SET wal_level = logical");
            OxyCli.execute(connection, "ALTER SYSTEM SET log_statement = 'all'"); // so a password in a statement would show in its log
        }
        assertEquals(0, OxyCli.run(newServerEnv(), "stop").exitCode());
        OxyCli.Result again = OxyCli.run(newServerEnv(), "start", "--detach");
        assertEquals(0, again.exitCode(), again.toString());
    }

    @AfterAll
    static void stopPostgres18() throws Exception {
        if (newServerState == null) return;
        try {
            OxyCli.run(newServerEnv(), "stop");
        } finally {
            StateDirectory.delete(newServerState);
        }
    }

    private static Map<String, String> newServerEnv() {
        return OxyCli.env("OXY_RUNTIME", "embedded", "OXY_STATE_DIR", newServerState.toString(), "OXY_POSTGRES_PORT", String.valueOf(newPort),
            "OXY_POSTGRES_PASSWORD", NEW_PASSWORD);
    }

    private static Connection onNew(String database) throws SQLException {
        return OxyCli.connect("jdbc:postgresql://localhost:" + newPort + "/" + database, "postgres", NEW_PASSWORD);
    }

    /** A: a new PostgreSQL 15 with pgbench's tables, a table without a primary key and a sequence; role mover (superuser) is what the URL names. */
    @BeforeEach
    void startPostgres15WithData() throws Exception {
        oldData = work.resolve("pg15");
        oldPort = OxyCli.freePort();
        HostPostgres15.initAndStart(oldData, oldPort);
        try (Connection connection = onOld()) {
            OxyCli.execute(connection, "CREATE ROLE mover LOGIN SUPERUSER PASSWORD '" + OLD_PASSWORD + "'");
            OxyCli.execute(connection, "CREATE TABLE events (id bigint, note text)"); // no primary key, no replica identity
            OxyCli.execute(connection, "INSERT INTO events SELECT g, 'before' FROM generate_series(1, 1000) g");
            OxyCli.execute(connection, "CREATE TABLE tickets (id bigserial PRIMARY KEY, n int)");
            OxyCli.execute(connection, "INSERT INTO tickets (n) SELECT g FROM generate_series(1, 100) g");
        }
        Process init = pgbench(oldPort, "postgres", "-i", "-q", "-s", "5");
        assertEquals(0, init.waitFor(), new String(init.getInputStream().readAllBytes()));
    }

    @AfterEach
    void stopPostgres15() throws Exception {
        if (oldData != null) HostPostgres15.stopIfRunning(oldData);
    }

    private Connection onOld() throws SQLException { return OxyCli.connectLocal(oldPort, "oxy"); }

    private String from() { return "postgresql://mover:" + OLD_PASSWORD + "@localhost:" + oldPort + "/oxy"; }

    private static String to(String database) { return "postgresql://postgres:" + NEW_PASSWORD + "@localhost:" + newPort + "/" + database; }

    private Map<String, String> env() { return OxyCli.env("OXY_STATE_DIR", work.resolve("ops").toString()); }

    private OxyCli.Result upgrade(String database, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("upgrade", "--from-url", from(), "--to-url", to(database), "--method", "replicate"));
        args.addAll(List.of(more));
        return OxyCli.run(env(), args.toArray(String[]::new));
    }

    private Process spawnUpgrade(String database, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("upgrade", "--from-url", from(), "--to-url", to(database), "--method", "replicate"));
        args.addAll(List.of(more));
        return OxyCli.spawn(env(), args.toArray(String[]::new));
    }

    private static Process pgbench(int port, String password, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "localhost", "-p", String.valueOf(port), "-U", "postgres"));
        command.addAll(List.of(args));
        command.add(port == newPort ? "app" : "oxy");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", password);
        return builder.start();
    }
    /** wal_level=logical, and every statement logged from then on (so a password in a statement would show in its log). */
    private void setWalLevelLogicalOnOld() throws Exception {
        try (Connection connection = onOld()) {
            OxyCli.execute(connection, "ALTER SYSTEM SET wal_level = logical");
            OxyCli.execute(connection, "ALTER SYSTEM SET log_statement = 'all'");
        }
        HostPostgres15.run("pg_ctl", "-D", oldData.toString(), "-l", oldData.resolveSibling("pg15.log").toString(), "-w", "restart");
    }

    /** Slots, publications and subscriptions on a server, each "kind name", sorted: what a leftover would show as. */
    private static List<String> replicationObjects(Connection connection) throws SQLException {
        String all = OxyCli.queryString(connection, "SELECT coalesce(string_agg(o, ',' ORDER BY o), '') FROM (SELECT 'slot ' || slot_name o FROM pg_replication_slots "
            + "UNION ALL SELECT 'publication ' || pubname FROM pg_publication UNION ALL SELECT 'subscription ' || subname FROM pg_subscription) x");
        return all.isEmpty() ? List.of() : List.of(all.split(","));
    }

    private static long databasesNamed(String likePattern) throws SQLException {
        try (Connection connection = onNew("postgres")) {
            return OxyCli.queryLong(connection, "SELECT count(*) FROM pg_database WHERE datname LIKE '" + likePattern + "'");
        }
    }

    private static void assertNoPassword(OxyCli.Result result) {
        assertTrue(!result.all().contains(OLD_PASSWORD) && !result.all().contains(NEW_PASSWORD), "no password printed: " + result);
    }

    @Test
    void pgbenchAndAnAppWriteThroughTheCopyAndTheSwitchAndARollbackBringsTheLaterWritesBack() throws Exception {
        Map<String, String> before;
        try (Connection connection = onOld()) {
            before = ReplicationWorkload.checksums(connection);
        }
        // refusals first, each predicted by --dry-run, nothing made on either server
        OxyCli.Result walRefused = upgrade("app", "--dry-run");
        assertEquals(ExitCode.REFUSED, walRefused.exitCode(), walRefused.toString());
        assertTrue(walRefused.stderr().contains("wal_level is replica on the old server") && walRefused.stderr().contains("ALTER SYSTEM SET wal_level = logical")
            && walRefused.stderr().contains("rds.logical_replication"), walRefused.toString());
        setWalLevelLogicalOnOld();
        try (Connection connection = onOld()) {
            OxyCli.execute(connection, "SELECT lo_create(4242)");
        }
        for (String[] more : new String[][] {{"--dry-run"}, {}}) {
            OxyCli.Result refused = upgrade("app", more);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("1 large object(s)") && refused.stderr().contains("--method dump"), refused.toString());
        }
        OxyCli.Result notEmpty = upgrade("oxy", "--dry-run"); // the embedded server's own database, migrated
        assertEquals(ExitCode.REFUSED, notEmpty.exitCode(), notEmpty.toString());
        assertTrue(notEmpty.stderr().contains("database oxy on the target already has tables"), notEmpty.toString());
        try (Connection connection = onOld()) {
            OxyCli.execute(connection, "CREATE ROLE plain LOGIN REPLICATION PASSWORD 'plain'");
        }
        OxyCli.Result mayNotSubscribe = OxyCli.run(env(), "upgrade", "--from-url", "postgresql://plain:plain@localhost:" + oldPort + "/oxy",
            "--to-url", to("app"), "--method", "replicate", "--dry-run");
        assertEquals(ExitCode.REFUSED, mayNotSubscribe.exitCode(), mayNotSubscribe.toString());
        assertTrue(mayNotSubscribe.stderr().contains("role plain may not create a subscription on the old server")
            && mayNotSubscribe.stderr().contains("pg_create_subscription"), mayNotSubscribe.toString());
        try (Connection connection = onOld()) {
            OxyCli.execute(connection, "DROP ROLE plain");
            OxyCli.execute(connection, "SELECT lo_unlink(4242)");
            assertEquals(before, ReplicationWorkload.checksums(connection), "the refusals changed nothing on the old server");
            assertEquals(List.of(), replicationObjects(connection));
        }
        assertEquals(0, databasesNamed("app%"), "nothing made on the new server");
        OxyCli.Result plan = upgrade("app", "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("REPLICA IDENTITY FULL until the switch: public.events, public.pgbench_history"), plan.stdout());
        assertEquals(0, databasesNamed("app%"), "the dry run's rehearsal database is gone");
        assertNoPassword(plan);

        Process load = pgbench(oldPort, "postgres", "-c", "2", "-T", "600", "-n");
        ReplicationWorkload.Writer app = new ReplicationWorkload.Writer(oldPort);
        app.start();
        Await.until(Duration.ofSeconds(30), () -> app.acknowledged.get() > 100, () -> "the app writing");
        Process upgrade = spawnUpgrade("app", "--yes");
        OxyCli.Result upgraded = ReplicationWorkload.finishWhileWriting(upgrade, app, load);
        assertTrue(upgraded.stdout().contains("The app's database is now postgresql://postgres@localhost:" + newPort + "/app (PostgreSQL 18)"), upgraded.stdout());
        assertTrue(upgraded.stdout().matches("(?s).*; downtime [0-9.]+ s \\(writes refused to new server accepting: [^)]*renamed to app[^)]*\\).*"), upgraded.stdout());
        assertNoPassword(upgraded);
        assertTrue(!Files.readString(Files.list(work.resolve("ops")).filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow())
            .contains("Secret"), "no password in the state file");

        Map<String, String> onNew;
        try (Connection old = onOld(); Connection connection = onNew("app")) {
            assertTrue(OxyCli.queryString(connection, "SHOW server_version").startsWith("18"));
            onNew = ReplicationWorkload.checksums(connection);
            assertEquals(ReplicationWorkload.checksums(old), onNew, "every table on the new server as on the old one when its writes stopped");
            long written = app.acknowledged.get();
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM generate_series(1000001, " + (1_000_000 + written) + ") g "
                + "WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = g)"), "every acknowledged write is on the new server");
            assertEquals(OxyCli.queryLong(connection, "SELECT count(DISTINCT id) FROM events"), OxyCli.queryLong(connection, "SELECT count(*) FROM events"),
                "no row twice in the table without a primary key");
            assertTrue(OxyCli.queryLong(connection, "SELECT count(*) FROM events WHERE note = 'updated'") > 0, "updates of a table without a key arrived");
            assertTrue(OxyCli.queryLong(connection, "SELECT count(*) FROM pgbench_history") > 0, "pgbench wrote");
            assertEquals(101, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the old server's value");
            assertEquals(List.of("publication oxy_upgrade_back", "slot oxy_upgrade_back"), replicationObjects(connection), "the way back on the new server");
            assertEquals(List.of("subscription oxy_upgrade_back"), replicationObjects(old), "the old server follows the new one, nothing else of ours");
            assertEquals("on", OxyCli.queryString(old, "SHOW default_transaction_read_only"), "the old database refuses the app's writes");
        }
        assertEquals(0, databasesNamed("app\\_moving\\_%"), "no database of the upgrade's own left on the new server");

        // writes after the switch, then --rollback: all of them on the old server
        Process after = pgbench(newPort, NEW_PASSWORD, "-c", "2", "-t", "300", "-n");
        try (Connection connection = onNew("app")) {
            ReplicationWorkload.appWritesAfterTheSwitch(connection);
        }
        String pgbenchAfter = new String(after.getInputStream().readAllBytes());
        assertEquals(0, after.waitFor(), pgbenchAfter);
        Map<String, String> afterWrites;
        try (Connection connection = onNew("app")) {
            afterWrites = ReplicationWorkload.checksums(connection);
        }
        assertTrue(!afterWrites.equals(onNew), "the writes after the switch changed the data");
        OxyCli.Result back = upgrade("app", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertTrue(back.stdout().contains("with every write made since the switch") && back.stdout().contains("read-only"), back.toString());
        assertNoPassword(back);
        try (Connection connection = onOld()) {
            assertEquals(afterWrites, ReplicationWorkload.checksums(connection), "every table on the old server as on the new one when the rollback stopped its writes");
            assertEquals(List.of(), replicationObjects(connection), "no slot, publication or subscription left on the old server");
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), "replica identity restored");
            assertEquals(152, OxyCli.queryLong(connection, "SELECT nextval('tickets_id_seq')"), "the sequence continues from the new server's value");
            OxyCli.execute(connection, "INSERT INTO events VALUES (0, 'after the rollback')"); // takes writes again
        }
        try (Connection connection = onNew("app")) {
            assertEquals(List.of(), replicationObjects(connection), "no slot, publication or subscription left on the new server");
            assertEquals("on", OxyCli.queryString(connection, "SHOW default_transaction_read_only"), "the new database is kept, read-only");
            assertEquals(afterWrites, ReplicationWorkload.checksums(connection), "and as it was at the rollback");
        }
        try (Connection connection = onNew("postgres")) {
            OxyCli.execute(connection, "DROP DATABASE app");
        }
        String oldLog = Files.readString(oldData.resolveSibling("pg15.log"));
        String newLog = Files.readString(newServerState.resolve("postgres.log"));
        assertTrue(oldLog.contains("statement: ") && newLog.contains("statement: "), "both servers log every statement");
        for (String log : List.of(oldLog, newLog)) {
            assertTrue(!log.contains(OLD_PASSWORD) && !log.contains(NEW_PASSWORD), "no password in a server's log (CREATE SUBSCRIPTION carries one)");
        }
    }

    /**
     * Into an empty database made beforehand (replaced at the switch, as --method dump replaces it): kill -9 during
     * the copy, then --rollback; inside the switch, then --rollback; during the copy, then a rerun; then --finalize:
     * nothing of ours on either side, and no database dropped.
     */
    @Test
    void killedDuringTheCopyARollbackOrARerunEndsCleanAndFinalizeLeavesNothing() throws Exception {
        setWalLevelLogicalOnOld();
        Map<String, String> before;
        try (Connection connection = onOld()) {
            before = ReplicationWorkload.checksums(connection);
        }
        try (Connection connection = onNew("postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE moved");
        }
        Process killed = spawnUpgrade("moved");
        Await.whileRunning(killed, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::onOld), "the slot oxy_upgrade on the old server");
        killed.destroyForcibly().waitFor();
        assertEquals(1, databasesNamed("moved\\_moving\\_%"), "the killed run left its new database");
        OxyCli.Result rolledBack = upgrade("moved", "--rollback");
        assertEquals(0, rolledBack.exitCode(), rolledBack.toString());
        assertOldAsBefore(before, "after a kill during the copy and --rollback");
        assertEquals(0, databasesNamed("moved\\_moving\\_%"), "nothing of the run left on the new server: " + rolledBack);
        try (Connection connection = onNew("moved")) {
            assertEquals(List.of(), RowCounts.tables(connection), "the empty database is still there, empty");
        }

        // kill -9 inside the switch (writes refused on the old database): --rollback brings it back as it was
        Process inSwitch = spawnUpgrade("moved");
        Await.whileRunning(inSwitch, Duration.ofMinutes(3), () -> ReplicationWorkload.writesRefused(this::onOld), "writes refused on the old database");
        inSwitch.destroyForcibly().waitFor();
        OxyCli.Result afterSwitchKill = upgrade("moved", "--rollback");
        assertEquals(0, afterSwitchKill.exitCode(), afterSwitchKill.toString());
        assertOldAsBefore(before, "after a kill inside the switch and --rollback");
        try (Connection connection = onNew("postgres")) {
            assertEquals(List.of(), replicationObjects(connection), "no slot or subscription left on the new server");
            assertEquals(0, databasesNamed("moved\\_moving\\_%"), "no new database left: " + afterSwitchKill);
            OxyCli.execute(connection, "DROP DATABASE IF EXISTS moved"); // a kill just after the rename leaves it, read-only
            OxyCli.execute(connection, "CREATE DATABASE moved");
        }

        Process killedAgain = spawnUpgrade("moved");
        Await.whileRunning(killedAgain, Duration.ofMinutes(3), () -> ReplicationWorkload.hasOurSlot(this::onOld), "the slot oxy_upgrade on the old server");
        killedAgain.destroyForcibly().waitFor();
        OxyCli.Result rerun = upgrade("moved");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(rerun.stdout().contains("interrupted before the switch: removing what it made"), rerun.stdout());
        assertTrue(rerun.stdout().contains("the new database renamed to moved (replacing the empty one)"), rerun.stdout());
        assertEquals(0, databasesNamed("moved\\_moving\\_%"), "the replaced empty database is gone, and no copy of the run's is left");
        try (Connection old = onOld(); Connection connection = onNew("moved")) {
            assertEquals(before, ReplicationWorkload.checksums(connection), "the new server holds the old data, once");
            assertEquals(List.of("publication oxy_upgrade_back", "slot oxy_upgrade_back"), replicationObjects(connection), "nothing of the killed run");
            assertEquals(List.of("subscription oxy_upgrade_back"), replicationObjects(old), "nothing of the killed run on the old server");
        }
        OxyCli.Result again = upgrade("moved");
        assertEquals(ExitCode.REFUSED, again.exitCode(), "a done upgrade is not run twice: " + again);

        OxyCli.Result finalized = upgrade("moved", "--finalize");
        assertEquals(0, finalized.exitCode(), "no question: nothing is deleted: " + finalized);
        assertTrue(finalized.stdout().contains("Removed the way back: subscription oxy_upgrade_back on the old server, slot oxy_upgrade_back, publication oxy_upgrade_back"),
            finalized.stdout());
        try (Connection old = onOld(); Connection connection = onNew("moved")) {
            assertEquals(List.of(), replicationObjects(connection), "no slot, publication or subscription left on the new server");
            assertEquals(List.of(), replicationObjects(old), "no slot, publication or subscription left on the old server");
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), "replica identity restored");
            OxyCli.execute(connection, "INSERT INTO events VALUES (0, 'after finalize')"); // the new database takes writes
            assertEquals(before, ReplicationWorkload.checksums(old), "the old database is kept as it was");
            assertEquals("on", OxyCli.queryString(old, "SHOW default_transaction_read_only"), "and stays read-only");
        }
        try (Connection connection = onNew("postgres")) {
            OxyCli.execute(connection, "DROP DATABASE moved");
        }
        try (var files = Files.list(work.resolve("ops"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("upgrade-")), "no upgrade state left");
        }
    }

    /** The old server holds the data it had, takes writes, and nothing of ours is left on it. */
    private void assertOldAsBefore(Map<String, String> before, String when) throws Exception {
        try (Connection connection = onOld()) {
            assertEquals(before, ReplicationWorkload.checksums(connection), "old data intact " + when);
            assertEquals(List.of(), replicationObjects(connection), "no slot or publication left " + when);
            assertEquals("d", OxyCli.queryString(connection, "SELECT relreplident FROM pg_class WHERE oid = 'events'::regclass"), when);
            assertEquals("off", OxyCli.queryString(connection, "SHOW default_transaction_read_only"), when);
        }
    }
}
