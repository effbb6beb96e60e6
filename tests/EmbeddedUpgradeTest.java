import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded runtime's data directory holds a PostgreSQL 15 cluster (made and first run with Debian's
 * binaries): upgrade reads it with those binaries and moves it to the embedded PostgreSQL 18, keeping the
 * old directory until --finalize.
 */
class EmbeddedUpgradeTest {
    @TempDir Path state;
    Path dataDir;
    int port;
    Map<String, String> env;

    @BeforeEach
    void createPostgres15Data() throws Exception {
        HostPostgres15.assumeInstalled();
        dataDir = state.resolve("postgres");
        port = OxyCli.freePort();
        // no Docker: the embedded upgrade must get by with this host's binaries alone
        env = OxyCli.env("OXY_RUNTIME", "embedded", "OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_PORT", String.valueOf(port),
            "DOCKER_HOST", "unix://" + state.resolve("no-docker.sock"));
        HostPostgres15.initAndStart(dataDir, port);
        // the app's schema, migrated the way an app on this server would have it
        OxyCli.Result migrated = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.resolve("external").toString(),
            "OXY_DATABASE_URL", "postgresql://postgres:postgres@localhost:" + port + "/oxy"), "start", "--detach");
        assertEquals(0, migrated.exitCode(), migrated.toString());
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', repeat('n', 100) FROM generate_series(1, 5000) g");
        }
    }

    @AfterEach
    void stopServers() throws Exception {
        if (state == null) return;
        for (String directory : new String[] {"postgres", "postgres-18", "postgres-pg15"}) HostPostgres15.stopIfRunning(state.resolve(directory));
    }

    private String versionAndChecksum() throws Exception {
        try (Connection connection = OxyCli.connectLocal(port, "oxy"); var statement = connection.createStatement();
             var result = statement.executeQuery("SELECT current_setting('server_version_num')::int / 10000 || ' ' || count(*) || ':' "
                 + "|| md5(string_agg(id::text || email || name, ',' ORDER BY email)) FROM users")) {
            result.next();
            return result.getString(1);
        }
    }

    @Test
    void upgradeFrom15To18KeepsTheOldDirectoryRollsBackAndFinalizes() throws Exception {
        String before = versionAndChecksum();
        assertTrue(before.startsWith("15 5000:"), before);
        String checksum = before.substring(3);

        OxyCli.Result plan = OxyCli.run(env, "upgrade", "--to", "18", "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("Plan: PostgreSQL 15") && plan.stdout().contains(HostPostgres15.BIN.toString()), plan.stdout());
        assertFalse(Files.exists(state.resolve("postgres-18")), "a dry run creates nothing");
        assertEquals(2, OxyCli.run(env, "upgrade", "--to", "17").exitCode(), "the embedded runtime ships 18 only");
        OxyCli.Result noBinaries = OxyCli.run(env, "upgrade", "--to", "18", "--from-binaries", state.resolve("nowhere").toString());
        assertEquals(ExitCode.TOOLS_MISSING, noBinaries.exitCode(), noBinaries.toString());
        assertTrue(noBinaries.stderr().contains("no PostgreSQL 15 server binaries"), noBinaries.stderr());

        OxyCli.Result upgraded = OxyCli.run(env, "upgrade", "--to", "18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        assertTrue(upgraded.stdout().matches("(?s).*downtime [0-9.]+ s.*"), upgraded.stdout());
        assertEquals("18 " + checksum, versionAndChecksum());
        assertEquals("15", Files.readString(state.resolve("postgres-pg15/PG_VERSION")).strip(), "the old directory is kept");
        OxyCli.Result status = OxyCli.run(env, "status");
        assertTrue(status.stdout().contains("is done but not finalized"), status.stdout());

        OxyCli.Result back = OxyCli.run(env, "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertEquals(before, versionAndChecksum());
        assertFalse(Files.exists(state.resolve("postgres-18")) || Files.exists(state.resolve("postgres-pg15")));

        assertEquals(0, OxyCli.run(env, "upgrade", "--to", "18").exitCode());
        OxyCli.Result finalized = OxyCli.run(env, "upgrade", "--finalize", "--yes");
        assertEquals(0, finalized.exitCode(), finalized.toString());
        assertFalse(Files.exists(state.resolve("postgres-pg15")), "finalize removes the old directory");
        assertEquals("18 " + checksum, versionAndChecksum());
        OxyCli.Result again = OxyCli.run(env, "upgrade", "--to", "18");
        assertEquals(ExitCode.REFUSED, again.exitCode(), "same version: " + again);
    }

    /** kill -9 at five points of an upgrade: a rerun finishes it, or --rollback brings PostgreSQL 15 back, data identical. */
    @Test
    void killedAnywhereAnUpgradeResumesOrRollsBackWithTheSameData() throws Exception {
        String before = versionAndChecksum();
        long started = System.nanoTime();
        assertEquals(0, OxyCli.run(env, "upgrade", "--to", "18").exitCode());
        long full = (System.nanoTime() - started) / 1_000_000;
        assertEquals(0, OxyCli.run(env, "upgrade", "--rollback").exitCode());
        List<String> outcomes = new ArrayList<>();
        for (int point = 1; point <= 5; point++) {
            long killAfter = full * point / 6;
            Process upgrade = OxyCli.spawn(env, "upgrade", "--to", "18");
            boolean finished = upgrade.waitFor(killAfter, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (!finished) upgrade.destroyForcibly().waitFor();
            Path old = Files.exists(state.resolve("postgres-pg15")) ? state.resolve("postgres-pg15") : dataDir;
            assertEquals("15", Files.readString(old.resolve("PG_VERSION")).strip(), "the old directory survives a kill at " + killAfter + " ms");
            if (point % 2 == 1) {
                OxyCli.Result resumed = OxyCli.run(env, "upgrade", "--to", "18");
                assertTrue(resumed.exitCode() == 0 || resumed.stderr().contains("done but not finalized"), killAfter + " ms: " + resumed);
                assertEquals("18" + before.substring(2), versionAndChecksum(), "resumed after a kill at " + killAfter + " ms");
            }
            OxyCli.Result back = OxyCli.run(env, "upgrade", "--rollback");
            assertTrue(back.exitCode() == 0 || back.stderr().contains("no upgrade to roll back"), killAfter + " ms: " + back);
            assertEquals(before, versionAndChecksum(), "rolled back after a kill at " + killAfter + " ms");
            outcomes.add(killAfter + " ms: " + (finished ? "finished" : "killed"));
        }
        System.out.println("embedded upgrade kill points: " + outcomes);
    }

    /**
     * A database another program made (the app's tables and a pgbench-like one, no oxy-ops schema history) is
     * upgraded as it is: one line says so, in the plan and after the load, and no migration is applied.
     */
    @Test
    void aForeignDatabaseIsUpgradedAsItIs() throws Exception {
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            OxyCli.execute(connection, "DROP TABLE flyway_schema_history");
            OxyCli.execute(connection, "DROP TABLE seaql_migrations"); // V2's ledger: another program made the app's 17 tables
            OxyCli.execute(connection, "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))");
            OxyCli.execute(connection, "INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 1000) g");
        }
        String before = versionAndChecksum();
        String note = "schema public holds 18 tables and no oxy-ops schema history: moved as it is, migrations/ not applied";
        OxyCli.Result plan = OxyCli.run(env, "upgrade", "--to", "18", "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains(note), plan.stdout());
        OxyCli.Result upgraded = OxyCli.run(env, "upgrade", "--to", "18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        assertEquals(2, upgraded.stdout().lines().filter(l -> l.contains(note)).count(), "in the plan and after the load: " + upgraded);
        assertEquals("18" + before.substring(2), versionAndChecksum());
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            assertEquals(1000, OxyCli.queryLong(connection, "SELECT count(*) FROM pgbench_accounts"));
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"), "not migrated");
        }
    }
}
