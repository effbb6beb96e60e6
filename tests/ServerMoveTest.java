import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * upgrade --from-url A --to-url B of a database no one here made: pgbench's, on Debian's PostgreSQL 15 (A),
 * to a PostgreSQL 18 (B). It moves as it is (no migrations/, one line says so), and a move killed at any
 * point leaves B without anything a plain rerun trips over: the rerun moves it, and A never changes.
 */
class ServerMoveTest {
    @RegisterExtension static final ExternalPostgres next = new ExternalPostgres("postgres", "pw18", "postgres");
    @TempDir static Path state;
    static Path dataDir;
    static int port;
    static String from;

    @BeforeAll
    static void startPostgres15WithPgbench() throws Exception {
        HostPostgres15.assumeInstalled();
        dataDir = state.resolve("pg15");
        port = OxyCli.freePort();
        HostPostgres15.initAndStart(dataDir, port);
        from = "postgresql://postgres:postgres@localhost:" + port + "/oxy";
        HostPostgres15.run("pgbench", "-i", "-s", "1", "-q", from); // 4 tables, 100,000 accounts
    }

    @AfterAll
    static void stopPostgres15() throws Exception {
        if (dataDir != null) HostPostgres15.stopIfRunning(dataDir);
    }

    private static Map<String, String> env() {
        return OxyCli.env("OXY_STATE_DIR", state.resolve("ops").toString(), "OXY_DATABASE_URL", from);
    }

    /** Row counts of every table and a checksum of the accounts: what a user compares after a move. */
    private static String contents(Connection connection) throws Exception {
        return RowCounts.exact(connection) + " " + OxyCli.queryString(connection,
            "SELECT md5(string_agg(aid || ':' || bid || ':' || abalance, ',' ORDER BY aid)) FROM pgbench_accounts");
    }

    private static String sourceContents() throws Exception {
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            return contents(connection);
        }
    }

    private static long onTarget(String sql) throws Exception {
        try (Connection connection = next.connect()) {
            return OxyCli.queryLong(connection, sql);
        }
    }

    private static long databasesNamed(String likePattern) throws Exception {
        return onTarget("SELECT count(*) FROM pg_database WHERE datname LIKE '" + likePattern + "'");
    }

    /** Moves A to database name on B, exit 0, B's contents equal A's, nothing of the move's own left beside it. */
    private static OxyCli.Result moveAndCompare(String name, String sourceContents) throws Exception {
        OxyCli.Result moved = OxyCli.run(env(), "upgrade", "--from-url", from, "--to-url", next.url(name));
        assertEquals(0, moved.exitCode(), moved.toString());
        try (Connection connection = next.connect(next.url(name))) {
            assertEquals(sourceContents, contents(connection), "B holds what A holds: " + moved);
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"),
                "a foreign database is not migrated: " + moved);
        }
        assertEquals(0, databasesNamed(name + "\\_moving\\_%"), "no database of the move's own is left on B: " + moved);
        return moved;
    }

    @Test
    void aForeignDatabaseMovesAsItIsWithOneLineSayingSo() throws Exception {
        String before = sourceContents();
        String note = "schema public holds 4 tables and no oxy-ops schema history: moved as it is, migrations/ not applied";
        OxyCli.Result plan = OxyCli.run(env(), "upgrade", "--from-url", from, "--to-url", next.url("bench"), "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains(note), "the dry run says it too: " + plan);
        assertEquals(0, databasesNamed("bench%"), "a dry run leaves nothing on B: " + plan);

        OxyCli.Result moved = moveAndCompare("bench", before);
        assertEquals(2, moved.stdout().lines().filter(l -> l.contains(note)).count(), "in the plan and after the load: " + moved);
        assertTrue(!moved.all().contains("Applied migration"), moved.toString());
        OxyCli.Result again = OxyCli.run(env(), "upgrade", "--from-url", from, "--to-url", next.url("bench"));
        assertEquals(ExitCode.REFUSED, again.exitCode(), "a target database with tables is refused: " + again);
        assertEquals(before, sourceContents(), "A is unchanged");
    }

    /**
     * An empty database made beforehand with its own access rules (a managed service's usual set-up): the moved
     * database takes its grants; its ALTER DATABASE settings, which a copy cannot take, are named before anything moves.
     */
    @Test
    void anEmptyTargetDatabaseKeepsItsGrantsAndItsSettingsAreNamed() throws Exception {
        String before = sourceContents();
        try (Connection connection = next.connect()) {
            OxyCli.execute(connection, "CREATE ROLE reporting NOLOGIN");
            OxyCli.execute(connection, "CREATE DATABASE granted");
            OxyCli.execute(connection, "REVOKE ALL ON DATABASE granted FROM PUBLIC");
            OxyCli.execute(connection, "GRANT CONNECT ON DATABASE granted TO reporting");
            OxyCli.execute(connection, "ALTER DATABASE granted SET work_mem = '8MB'");
        }
        String acl = "SELECT array_to_string(ARRAY(SELECT coalesce(nullif(pg_get_userbyid(e.grantee), '-'), 'PUBLIC') || ':' || e.privilege_type "
            + "FROM pg_database d, aclexplode(d.datacl) e WHERE d.datname = 'granted' AND e.grantee <> d.datdba ORDER BY 1), ',')";
        String grantsBefore;
        try (Connection connection = next.connect()) {
            grantsBefore = OxyCli.queryString(connection, acl);
        }
        OxyCli.Result moved = moveAndCompare("granted", before);
        assertTrue(moved.stdout().contains("has settings the moved database will not have: work_mem=8MB"), moved.toString());
        try (Connection connection = next.connect()) {
            assertEquals("reporting:CONNECT", grantsBefore);
            assertEquals(grantsBefore, OxyCli.queryString(connection, acl), "PUBLIC still may not connect; reporting still may");
        }
    }

    /**
     * kill -9 at points seen in the run's output and on B (not at guessed times): after the rehearsal, while
     * dumping, while loading rows into B, after the row counts; and Ctrl+C while loading. Each into a new
     * database, or into an empty one created beforehand (which must stay, empty); each followed by a rerun.
     */
    @Test
    void killedAnywhereAMoveLeavesTheTargetAsItWasAndARerunMovesIt() throws Exception {
        String before = sourceContents();
        List<String> points = List.of("Schema rehearsed", "Dumping", "COPY", "Row counts match", "Ctrl+C");
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            String point = points.get(i);
            String name = "killed" + i;
            boolean existedEmpty = i % 2 == 1;
            if (existedEmpty) {
                try (Connection connection = next.connect()) {
                    OxyCli.execute(connection, "CREATE DATABASE " + name);
                }
            }
            Process move = OxyCli.spawn(env(), "upgrade", "--from-url", from, "--to-url", next.url(name));
            awaitPoint(move, point, name);
            if (point.equals("Ctrl+C")) {
                new ProcessBuilder("kill", "-INT", String.valueOf(move.pid())).start().waitFor();
                OxyCli.Result interrupted = OxyCli.finish(move, Duration.ofSeconds(60));
                assertTrue(interrupted.stderr().contains("move interrupted"), interrupted.toString());
                assertEquals(0, databasesNamed(name + "\\_moving\\_%"), "Ctrl+C drops the half-loaded copy at once: " + interrupted);
            } else {
                move.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook runs
            }
            OxyCli.Result killed = OxyCli.output(move, move.exitValue());
            assertTrue(move.exitValue() != 0, point + ": the kill landed before the move finished: " + killed);
            assertEquals(existedEmpty ? 1 : 0, databasesNamed(name), point + ": B's database is as it was: " + killed);
            if (existedEmpty) {
                try (Connection connection = next.connect(next.url(name))) {
                    assertEquals(List.of(), RowCounts.tables(connection), point + ": the empty database is still empty");
                }
            }
            assertEquals(before, sourceContents(), point + ": A is unchanged");
            OxyCli.Result rerun = moveAndCompare(name, before);
            outcomes.add(point + (existedEmpty ? " (empty database there)" : "") + ": killed, rerun "
                + (rerun.stdout().contains("left by an interrupted move") ? "dropped the leftover and " : "") + "moved");
        }
        System.out.println("move kill points: " + outcomes);
    }

    /**
     * Until the move reaches the point: a line of its output, or "COPY"/"Ctrl+C" when B runs a COPY into the
     * move's new database (rows loading). Looks every 5 ms; fails if the move ends first.
     */
    private static void awaitPoint(Process move, String point, String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        try (Connection watcher = next.connect()) {
            while (true) {
                boolean reached = point.equals("COPY") || point.equals("Ctrl+C")
                    ? OxyCli.queryLong(watcher, "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE '" + name
                        + "\\_moving\\_%' AND state = 'active' AND query LIKE 'COPY %'") > 0
                    : OxyCli.output(move, -1).stdout().contains(point);
                if (reached) return;
                if (!move.isAlive()) fail("the move ended before " + point + ":\n" + OxyCli.output(move, move.exitValue()));
                if (System.nanoTime() > deadline) fail("the move never reached " + point + ":\n" + OxyCli.output(move, -1));
                Thread.sleep(5);
            }
        }
    }
}
