import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * doctor, maintain and psql against a real PostgreSQL 15 (Debian's, a server we did not create, reached as an
 * external URL): each check made to fire by the real condition (a long query, a blocked session, a forgotten
 * slot, a table without a key, a bloated table, a low connection limit...), and a healthy database all ✓.
 * max_connections is 20 and shared_buffers 1 MB, so the connection and cache checks can be driven for real.
 */
class DoctorTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path work;
    static Path dataDir;
    static int port;

    @BeforeAll
    static void startServer() throws Exception {
        HostPostgres15.assumeInstalled();
        work = StateDirectory.create();
        dataDir = work.resolve("pg15");
        port = OxyCli.freePort();
        HostPostgres15.initAndStart(dataDir, port, List.of("--data-checksums"),
            List.of("max_connections=20", "wal_level=logical", "shared_buffers=1MB", "max_replication_slots=4"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (dataDir != null) HostPostgres15.stopIfRunning(dataDir);
        StateDirectory.delete(work);
    }

    // --- helpers ---

    /** A new database of its own for a test (checks of tables and indexes look at one database). */
    static String newDatabase() throws SQLException {
        String name = "db_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection connection = OxyCli.connectLocal(port, "postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE " + name);
        }
        return name;
    }

    static String url(String database) { return "postgresql://postgres:postgres@localhost:" + port + "/" + database; }

    static Map<String, String> env() throws Exception {
        return OxyCli.env("OXY_STATE_DIR", work.resolve("state").toString(), "OXY_BACKUP_DIR", work.resolve("backups").toString());
    }

    /** doctor --json on the database, with the extra options; the parsed report and the exit code. */
    record Report(int exitCode, JsonNode json, String raw) {
        JsonNode check(String name) {
            for (JsonNode check : json.path("checks")) if (check.path("name").asText().equals(name)) return check;
            throw new AssertionError("no check " + name + " in\n" + raw);
        }

        String level(String name) { return check(name).path("level").asText(); }

        String text(String name) { return check(name).toString(); }
    }

    static Report doctor(String database, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("doctor", "--url", url(database), "--json"));
        args.addAll(List.of(options));
        OxyCli.Result result = OxyCli.run(env(), args.toArray(String[]::new));
        return new Report(result.exitCode(), JSON.readTree(result.stdout()), result.toString());
    }

    static Connection connect(String database) throws SQLException { return OxyCli.connectLocal(port, database); }

    static int pidOf(Connection connection) throws SQLException { return (int) OxyCli.queryLong(connection, "SELECT pg_backend_pid()"); }

    /** Until pg_stat_activity shows the condition for the pid (e.g. "state = 'active' AND now() - query_start > '200ms'"). */
    static void awaitSession(int pid, String condition) throws Exception {
        try (Connection watcher = connect("postgres")) {
            Await.until(Duration.ofSeconds(30), () -> OxyCli.queryLong(watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND " + condition) == 1,
                () -> "session " + pid + " with " + condition);
        }
    }

    /** A table of rows updated `updates` times over with autovacuum off for it, then analyzed: relpages grow, the rows do not. */
    static void makeBloatedTable(Connection connection, String table, int rows, int updates) throws SQLException {
        OxyCli.execute(connection, "CREATE TABLE " + table + " (id int PRIMARY KEY, v int, pad text) WITH (autovacuum_enabled = off, fillfactor = 100)");
        OxyCli.execute(connection, "INSERT INTO " + table + " SELECT g, 0, repeat('x', 100) FROM generate_series(1, " + rows + ") g");
        for (int i = 0; i < updates; i++) OxyCli.execute(connection, "UPDATE " + table + " SET v = v + 1");
        OxyCli.execute(connection, "ANALYZE " + table);
    }

    /** ANALYZE once the statistics counted the changes: counted after it, they would make the statistics stale again. */
    static void analyzeOnceCounted(Connection connection, String table, long changes) throws Exception {
        Await.until(Duration.ofSeconds(30), () -> OxyCli.queryLong(connection, "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = '" + table + "'") >= changes,
            () -> changes + " changes counted in " + table);
        OxyCli.execute(connection, "ANALYZE " + table);
    }

    static void awaitDeadRows(Connection connection, String table, long atLeast) throws Exception {
        Await.until(Duration.ofSeconds(30), () -> OxyCli.queryLong(connection, "SELECT coalesce(n_dead_tup, 0) FROM pg_stat_user_tables WHERE relname = '" + table + "'") >= atLeast,
            () -> atLeast + " dead rows counted in " + table);
    }

    // --- a healthy database ---

    @Test
    void aHealthyDatabaseIsAllOkAndExitsZero() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            OxyCli.execute(connection, "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)");
            OxyCli.execute(connection, "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g");
            analyzeOnceCounted(connection, "items", 2000);
        }
        OxyCli.Result backup = OxyCli.run(env(), "backup", "--url", url(database));
        assertEquals(0, backup.exitCode(), backup.toString());
        Report report = doctor(database, "--disk-free-warn", "1", "--disk-free-critical", "0");
        assertEquals(0, report.exitCode(), report.raw());
        for (JsonNode check : report.json().path("checks")) assertEquals("ok", check.path("level").asText(), check.toString());
        assertEquals(20, report.json().path("checks").size(), report.raw());
        assertTrue(report.text("data_checksums").contains("on"), report.raw());
        assertTrue(report.text("backup").contains("verified"), report.raw());
        assertTrue(report.text("largest_relations").contains("public.items"), report.raw());

        OxyCli.Result text = OxyCli.run(env(), "doctor", "--url", url(database), "--disk-free-warn", "1", "--disk-free-critical", "0");
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.stdout().contains("\u2713 Connections"), text.stdout());
        assertTrue(text.stdout().contains("20 ok, 0 warning(s), 0 critical, 0 unknown (exit 0)"), text.stdout());
    }

    // --- sessions ---

    @Test
    void aLongQueryWarnsAndCancelEndsIt() throws Exception {
        String database = newDatabase();
        try (Connection sleeper = connect(database)) {
            int pid = pidOf(sleeper);
            CompletableFuture<SQLException> sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    OxyCli.execute(sleeper, "SELECT pg_sleep(120)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            awaitSession(pid, "state = 'active' AND query LIKE '%pg_sleep(120)%' AND now() - query_start > interval '300 milliseconds'");
            Report report = doctor(database, "--long-query", "300ms");
            assertEquals("warn", report.level("long_queries"), report.raw());
            assertTrue(report.text("long_queries").contains("pid " + pid), report.raw());
            assertTrue(report.text("long_queries").contains("--cancel " + pid), report.raw());
            assertEquals(ExitCode.HEALTH_WARNING, report.exitCode(), report.raw());

            OxyCli.Result refused = OxyCli.run(env(), "doctor", "--url", url(database), "--cancel", String.valueOf(pid));
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString()); // no terminal, no --yes
            assertTrue(refused.all().contains("Pass --yes"), refused.toString());

            OxyCli.Result cancelled = OxyCli.run(env(), "doctor", "--url", url(database), "--cancel", String.valueOf(pid), "--yes");
            assertEquals(0, cancelled.exitCode(), cancelled.toString());
            assertTrue(cancelled.stdout().contains("Cancelled the query of pid " + pid), cancelled.toString());
            SQLException error = sleeping.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("57014", error.getSQLState(), String.valueOf(error)); // query_canceled
            assertEquals(1, OxyCli.queryLong(sleeper, "SELECT 1"), "the session stays after a cancel");
        }
    }

    @Test
    void anIdleTransactionWarnsTwiceAndTerminateEndsTheSession() throws Exception {
        String database = newDatabase();
        try (Connection idle = connect(database)) {
            idle.setAutoCommit(false);
            OxyCli.execute(idle, "SELECT 1");
            int pid = pidOf(idle);
            awaitSession(pid, "state = 'idle in transaction' AND now() - state_change > interval '300 milliseconds'");
            Report report = doctor(database, "--long-query", "300ms");
            assertEquals("warn", report.level("idle_in_transaction"), report.raw());
            assertEquals("warn", report.level("long_transactions"), report.raw());
            assertTrue(report.text("idle_in_transaction").contains("--terminate " + pid), report.raw());

            OxyCli.Result terminated = OxyCli.run(env(), "doctor", "--url", url(database), "--terminate", String.valueOf(pid), "--yes");
            assertEquals(0, terminated.exitCode(), terminated.toString());
            try (Connection watcher = connect("postgres")) {
                assertEquals(0, OxyCli.queryLong(watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid));
            }
            assertFalse(idle.isValid(5), "the terminated session is gone");
        }
    }

    @Test
    void aBlockedSessionNamesItsBlocker() throws Exception {
        String database = newDatabase();
        try (Connection holder = connect(database); Connection waiter = connect(database)) {
            OxyCli.execute(holder, "CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
            OxyCli.execute(holder, "INSERT INTO accounts VALUES (1, 100)");
            holder.setAutoCommit(false);
            OxyCli.execute(holder, "UPDATE accounts SET balance = 0 WHERE id = 1");
            int holderPid = pidOf(holder);
            int waiterPid = pidOf(waiter);
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                try {
                    OxyCli.execute(waiter, "UPDATE accounts SET balance = 1 WHERE id = 1");
                } catch (SQLException ignored) {
                    // ended with the test
                }
            });
            awaitSession(waiterPid, "wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0");
            Report report = doctor(database, "--lock-wait", "0s");
            assertEquals("warn", report.level("blocked_sessions"), report.raw());
            assertTrue(report.text("blocked_sessions").contains("held by pid " + holderPid), report.raw());
            assertTrue(report.text("blocked_sessions").contains("pid " + waiterPid), report.raw());
            holder.rollback();
            waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aLowConnectionLimitWarnsThenIsCritical() throws Exception {
        String database = newDatabase();
        List<Connection> held = new ArrayList<>();
        try {
            // max_connections 20: 16 held + doctor's own = 17 (85 %) warns; 19 (95 %) is critical
            while (held.size() < 16) held.add(connect(database));
            Report warned = doctor(database);
            assertEquals("warn", warned.level("connections"), warned.raw());
            assertTrue(warned.text("connections").contains("of max_connections 20"), warned.raw());
            assertTrue(warned.text("connections").contains("PostgreSQL JDBC Driver"), warned.raw()); // who holds them
            while (held.size() < 18) held.add(connect(database));
            Report critical = doctor(database);
            assertEquals("crit", critical.level("connections"), critical.raw());
            assertEquals(ExitCode.HEALTH_CRITICAL, critical.exitCode(), critical.raw());
        } finally {
            for (Connection connection : held) connection.close();
        }
    }

    // --- vacuum, bloat, wraparound ---

    @Test
    void aBloatedTableFiresDeadTuplesAndBloatAndVacuumShowsProgress() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            makeBloatedTable(connection, "bloated", 100_000, 3);
            awaitDeadRows(connection, "bloated", 200_000);
        }
        Report report = doctor(database, "--bloat-min-size", "1MB");
        assertEquals("warn", report.level("dead_tuples"), report.raw());
        assertTrue(report.text("dead_tuples").contains("public.bloated"), report.raw());
        assertTrue(report.text("dead_tuples").contains("maintain --vacuum public.bloated"), report.raw());
        assertEquals("warn", report.level("table_bloat"), report.raw());
        assertTrue(report.text("table_bloat").contains("public.bloated"), report.raw());
        assertEquals("warn", report.level("index_bloat"), report.raw());
        assertTrue(report.text("index_bloat").contains("public.bloated_pkey"), report.raw());

        OxyCli.Result vacuum = OxyCli.run(env(), "maintain", "--url", url(database), "--vacuum", "bloated", "--cost-delay", "5");
        assertEquals(0, vacuum.exitCode(), vacuum.toString());
        assertTrue(vacuum.stdout().contains("public.bloated: scanning heap"), vacuum.stdout()); // from pg_stat_progress_vacuum
        assertTrue(vacuum.stdout().matches("(?s).*Vacuumed and analyzed public.bloated in .*: dead rows [0-9]+ before, 0 after.*"), vacuum.stdout());
        assertEquals("ok", doctor(database, "--bloat-min-size", "1MB").level("dead_tuples"));
    }

    @Test
    void staleStatisticsOnALargeTableWarn() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            OxyCli.execute(connection, "CREATE TABLE events (id int PRIMARY KEY, body text) WITH (autovacuum_enabled = off)");
            OxyCli.execute(connection, "INSERT INTO events SELECT g, 'e' FROM generate_series(1, 20000) g");
            Await.until(Duration.ofSeconds(30), () -> OxyCli.queryLong(connection, "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'events'") >= 20000,
                () -> "20000 changes counted in events");
        }
        Report report = doctor(database);
        assertEquals("warn", report.level("vacuum_analyze"), report.raw());
        assertTrue(report.text("vacuum_analyze").contains("maintain --vacuum public.events"), report.raw());
        assertTrue(report.text("vacuum_analyze").contains("autovacuum off for it"), report.raw());
    }

    @Test
    void transactionIdAgeFiresAgainstItsThresholds() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            for (int i = 0; i < 500; i++) OxyCli.execute(connection, "SELECT txid_current()"); // 500 transaction IDs used
        }
        // 0.00001 % of 2^31 is 215 XIDs: the new database (frozen at CREATE DATABASE) is older than that now
        Report report = doctor(database, "--wraparound-warn", "0.00001", "--wraparound-critical", "0.00002");
        assertEquals("crit", report.level("wraparound"), report.raw());
        assertEquals(ExitCode.HEALTH_CRITICAL, report.exitCode(), report.raw());
        assertEquals("ok", doctor(database).level("wraparound"));
    }

    // --- indexes and keys ---

    @Test
    void duplicateUnusedIndexesAndATableWithoutAKeyWarn() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            OxyCli.execute(connection, "CREATE TABLE readings (sensor int, value float8)"); // no primary key
            OxyCli.execute(connection, "INSERT INTO readings SELECT g, random() FROM generate_series(1, 100000) g");
            OxyCli.execute(connection, "CREATE INDEX readings_sensor ON readings (sensor)");
            OxyCli.execute(connection, "CREATE INDEX readings_sensor_again ON readings (sensor)");
            analyzeOnceCounted(connection, "readings", 100000);
        }
        Report report = doctor(database);
        assertEquals("warn", report.level("tables_without_primary_key"), report.raw());
        assertTrue(report.text("tables_without_primary_key").contains("public.readings"), report.raw());
        assertTrue(report.text("tables_without_primary_key").contains("upgrade --method replicate"), report.raw());
        assertEquals("warn", report.level("duplicate_indexes"), report.raw());
        assertTrue(report.text("duplicate_indexes").contains("public.readings_sensor, public.readings_sensor_again"), report.raw());
        assertEquals("warn", report.level("unused_indexes"), report.raw());
        assertTrue(report.text("unused_indexes").contains("public.readings_sensor"), report.raw());
    }


    /** A database migrated by start: checkpoints' missing key and users.email's second index are the app's design, not a warning. */
    @Test
    void theAppsOwnSchemaIsNotWarnedAboutWhatMigrationsMake() throws Exception {
        String database = newDatabase();
        OxyCli.Result start = OxyCli.run(env(), "start", "--url", url(database), "--detach");
        assertEquals(0, start.exitCode(), start.toString());
        Report migrated = doctor(database);
        assertEquals("ok", migrated.level("tables_without_primary_key"), migrated.raw());
        assertTrue(migrated.text("tables_without_primary_key").contains("the app's own public.checkpoints"), migrated.raw());
        assertEquals("ok", migrated.level("duplicate_indexes"), migrated.raw());
        assertTrue(migrated.text("duplicate_indexes").contains("public.idx_users_email"), migrated.raw());

        try (Connection connection = connect(database)) { // what an operator adds beside them is still warned about
            OxyCli.execute(connection, "CREATE TABLE notes (body text)");
            OxyCli.execute(connection, "CREATE INDEX users_email_again ON users (email)");
        }
        Report added = doctor(database);
        assertEquals("warn", added.level("tables_without_primary_key"), added.raw());
        assertTrue(added.text("tables_without_primary_key").contains("1 table(s), e.g. public.notes"), added.raw());
        assertEquals("warn", added.level("duplicate_indexes"), added.raw());
        assertTrue(added.text("duplicate_indexes").contains("DROP INDEX CONCURRENTLY public.users_email_again"), added.raw());

        try (Connection connection = connect(database)) { // without either migrator's history, the same tables are anyone's
            OxyCli.execute(connection, "DROP TABLE flyway_schema_history, seaql_migrations");
        }
        Report foreign = doctor(database);
        assertTrue(foreign.text("tables_without_primary_key").contains("2 table(s), e.g. public.checkpoints"), foreign.raw());
    }
    @Test
    void anInterruptedReindexConcurrentlyIsFoundAndCleanedUp() throws Exception {
        String database = newDatabase();
        try (Connection writer = connect(database); Connection reindexer = connect(database)) {
            OxyCli.execute(writer, "CREATE TABLE orders (id int PRIMARY KEY, customer int)");
            OxyCli.execute(writer, "INSERT INTO orders SELECT g, g % 50 FROM generate_series(1, 10000) g");
            OxyCli.execute(writer, "CREATE INDEX orders_customer ON orders (customer)");
            // an open writing transaction: REINDEX CONCURRENTLY makes its new copy, then waits for it
            writer.setAutoCommit(false);
            OxyCli.execute(writer, "INSERT INTO orders VALUES (0, 0)");
            int reindexPid = pidOf(reindexer);
            CompletableFuture<SQLException> reindex = CompletableFuture.supplyAsync(() -> {
                try {
                    OxyCli.execute(reindexer, "REINDEX INDEX CONCURRENTLY orders_customer");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            awaitSession(reindexPid, "wait_event_type = 'Lock'");
            try (Connection admin = connect(database)) {
                OxyCli.execute(admin, "SELECT pg_cancel_backend(" + reindexPid + ")");
            }
            assertEquals("57014", reindex.get(30, java.util.concurrent.TimeUnit.SECONDS).getSQLState());
            writer.commit();
        }
        Report report = doctor(database);
        assertEquals("warn", report.level("invalid_indexes"), report.raw());
        assertTrue(report.text("invalid_indexes").contains("orders_customer_ccnew"), report.raw());
        assertTrue(report.text("invalid_indexes").contains("maintain --reindex"), report.raw());

        OxyCli.Result dryRun = OxyCli.run(env(), "maintain", "--url", url(database), "--reindex", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertTrue(dryRun.stdout().contains("would drop public.orders_customer_ccnew"), dryRun.stdout());
        OxyCli.Result reindexed = OxyCli.run(env(), "maintain", "--url", url(database), "--reindex", "orders");
        assertEquals(0, reindexed.exitCode(), reindexed.toString());
        assertTrue(reindexed.stdout().contains("Dropped public.orders_customer_ccnew: an interrupted REINDEX CONCURRENTLY left it invalid"), reindexed.stdout());
        assertTrue(reindexed.stdout().contains("Rebuilt public.orders"), reindexed.stdout());
        try (Connection connection = connect(database)) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
            assertEquals(2, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"));
        }
        assertEquals("ok", doctor(database).level("invalid_indexes"));

        OxyCli.Result unknown = OxyCli.run(env(), "maintain", "--url", url(database), "--reindex", "no_such_table");
        assertEquals(ExitCode.USAGE, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.stderr().contains("no table or index named no_such_table"), unknown.toString());
    }

    // --- server ---

    @Test
    void aForgottenReplicationSlotWarnsWithTheCommandThatDropsIt() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            OxyCli.execute(connection, "SELECT pg_create_logical_replication_slot('forgotten_slot', 'pgoutput')");
            try {
                OxyCli.execute(connection, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)"); // WAL the slot keeps
                Report report = doctor(database);
                assertEquals("warn", report.level("replication_slots"), report.raw());
                assertTrue(report.text("replication_slots").contains("forgotten_slot (logical, database " + database + "): inactive"), report.raw());
                assertTrue(report.text("replication_slots").contains("pg_drop_replication_slot('forgotten_slot')"), report.raw());
                Report critical = doctor(database, "--slot-wal-critical", "1kB");
                assertEquals("crit", critical.level("replication_slots"), critical.raw());
            } finally {
                OxyCli.execute(connection, "SELECT pg_drop_replication_slot('forgotten_slot')");
            }
        }
    }

    @Test
    void aLowCacheHitRatioWarns() throws Exception {
        String database = newDatabase();
        try (Connection connection = connect(database)) {
            OxyCli.execute(connection, "CREATE TABLE wide (id int PRIMARY KEY, pad text)");
            OxyCli.execute(connection, "INSERT INTO wide SELECT g, repeat('y', 200) FROM generate_series(1, 40000) g"); // ~9 MB, 1 MB of shared_buffers
            for (int i = 0; i < 12; i++) OxyCli.queryLong(connection, "SELECT count(*) FROM wide");
            Await.until(Duration.ofSeconds(30), () -> OxyCli.queryLong(connection, "SELECT heap_blks_read FROM pg_statio_user_tables WHERE relname = 'wide'") > 10000,
                () -> "the scans' block reads counted");
        }
        Report report = doctor(database);
        assertEquals("warn", report.level("cache_hit_ratio"), report.raw());
        assertTrue(report.text("cache_hit_ratio").contains("shared_buffers (1MB)"), report.raw());
    }

    @Test
    void checksumsOffWarns() throws Exception {
        Path other = work.resolve("pg15-no-checksums");
        int otherPort = OxyCli.freePort();
        HostPostgres15.initAndStart(other, otherPort);
        try {
            OxyCli.Result result = OxyCli.run(env(), "doctor", "--json", "--url", "postgresql://postgres:postgres@localhost:" + otherPort + "/oxy");
            Report report = new Report(result.exitCode(), JSON.readTree(result.stdout()), result.toString());
            assertEquals("warn", report.level("data_checksums"), report.raw());
            assertTrue(report.text("data_checksums").contains("pg_checksums --enable"), report.raw());
        } finally {
            HostPostgres15.stopIfRunning(other);
        }
    }

    // --- what a non-superuser sees; monitoring output ---

    @Test
    void aRoleWithoutMonitoringRightsGetsUnknownNotFailures() throws Exception {
        String database = newDatabase();
        try (Connection admin = connect(database)) {
            OxyCli.execute(admin, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN CREATE ROLE app_user LOGIN PASSWORD 'app'; END IF; END $$");
            OxyCli.execute(admin, "GRANT ALL ON SCHEMA public TO app_user");
            OxyCli.Result result = OxyCli.run(env(), "doctor", "--json", "--url", "postgresql://app_user:app@localhost:" + port + "/" + database, "--long-query", "0s");
            Report report = new Report(result.exitCode(), JSON.readTree(result.stdout()), result.toString());
            assertFalse(report.json().path("role").path("superuser").asBoolean(), report.raw());
            assertEquals("unknown", report.level("disk_free"), report.raw());
            assertTrue(report.text("disk_free").contains("not visible to role app_user"), report.raw());
            // the test's own admin session is another role's: its state and query are hidden from app_user
            assertEquals("unknown", report.level("long_queries"), report.raw());
            assertTrue(report.text("long_queries").contains("GRANT pg_monitor"), report.raw());
            assertEquals(20, report.json().path("checks").size(), report.raw());
        }
    }

    @Test
    void theMetricsFileCarriesEveryCheckAndTheExitCode() throws Exception {
        String database = newDatabase();
        Path metrics = work.resolve("doctor-" + database + ".prom");
        OxyCli.Result result = OxyCli.run(env(), "doctor", "--url", url(database), "--quiet", "--metrics-file", metrics.toString());
        String text = Files.readString(metrics);
        assertTrue(text.contains("# TYPE oxy_doctor_check_level gauge"), text);
        assertTrue(text.contains("oxy_doctor_check_level{database=\"" + database + "\",check=\"connections\"} 0"), text);
        assertTrue(text.contains("oxy_doctor_check_level{database=\"" + database + "\",check=\"backup\"} "), text);
        assertTrue(text.contains("oxy_doctor_exit_code{database=\"" + database + "\"} " + result.exitCode()), text);
        assertTrue(text.contains("oxy_doctor_database_up{database=\"" + database + "\"} 1"), text);
        assertFalse(result.stdout().contains("\u2713"), "--quiet prints only what is not OK:\n" + result.stdout());

        OxyCli.Result down = OxyCli.run(env(), "doctor", "--url", "postgresql://postgres:postgres@localhost:" + OxyCli.freePort() + "/" + database,
            "--metrics-file", metrics.toString());
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, down.exitCode(), down.toString());
        assertTrue(Files.readString(metrics).contains("oxy_doctor_database_up{database=\"" + database + "\"} 0"));
    }

    // --- psql ---

    @Test
    void psqlRunsOnTheServerWithThePasswordOnlyInItsEnvironment() throws Exception {
        String database = newDatabase();
        Map<String, String> env = env();
        env.put("OXY_DATABASE_URL", url(database));
        OxyCli.Result answered = OxyCli.run(env, "psql", "--", "-Atc", "SELECT 40 + 2, current_database()");
        assertEquals(0, answered.exitCode(), answered.toString());
        assertEquals("42|" + database, answered.stdout().strip());

        Process running = OxyCli.spawn(env, "psql", "--", "-Atc", "SELECT pg_sleep(120)");
        try (Connection watcher = connect("postgres")) {
            Await.whileRunning(running, Duration.ofSeconds(30), () -> OxyCli.queryLong(watcher,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oxy-psql' AND datname = '" + database + "' AND state = 'active'") == 1, "psql's session");
            ProcessHandle child = running.toHandle().descendants().filter(p -> p.info().command().orElse("").endsWith("/psql")).findFirst().orElseThrow();
            String commandLine = Files.readString(Path.of("/proc", String.valueOf(child.pid()), "cmdline")).replace('\0', ' ');
            assertFalse(commandLine.contains("postgres@") || commandLine.contains(":postgres"), commandLine);
            assertTrue(Files.readString(Path.of("/proc", String.valueOf(child.pid()), "environ")).contains("PGPASSWORD=postgres\0"));
            OxyCli.execute(watcher, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'oxy-psql' AND datname = '" + database + "'");
        }
        OxyCli.Result ended = OxyCli.finish(running, Duration.ofSeconds(30));
        assertTrue(ended.exitCode() != 0, "psql's own exit code is passed on: " + ended);
    }
}
