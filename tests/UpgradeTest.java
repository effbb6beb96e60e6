import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Real docker-runtime upgrades from PostgreSQL 17 to 18, with the way back, and the cases upgrade must refuse. */
class UpgradeTest {
    @RegisterExtension final DockerFixture docker = new DockerFixture("oxy-up-");

    private boolean volumeExists(String name) { return docker.engine().volumeExists(name); }

    private boolean containerExists(String name) { return docker.engine().containerExists(name); }

    /** The docker runtime's container, started and migrated on that image. */
    private void startOn(String image) throws Exception {
        Map<String, String> onImage = new java.util.HashMap<>(docker.env());
        onImage.put("OXY_POSTGRES_IMAGE", image);
        assertEquals(0, OxyCli.run(onImage, "start", "--detach").exitCode());
    }

    /** The docker runtime's container on postgres:17-alpine, migrated, with that many users named by the SQL expression. */
    private void startPostgres17WithUsers(int users, String nameSql) throws Exception {
        startOn("postgres:17-alpine");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', " + nameSql
                + " FROM generate_series(1, " + users + ") g");
        }
    }

    /** One value, as text, from the runtime's oxy database. */
    private String queryOxy(String sql) throws Exception {
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            return OxyCli.queryString(connection, sql);
        }
    }

    private String serverVersion() throws Exception { return queryOxy("SHOW server_version"); }

    @Test
    void upgradeFrom17To18KeepsTheOldVolumeAndRollsBack() throws Exception {
        startPostgres17WithUsers(500, "'n'");
        long columnsWithPgAttver; // PostgreSQL 17.12 writes this column option, which 18.6 does not know
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            columnsWithPgAttver = OxyCli.queryLong(connection, "SELECT count(*) FROM pg_attribute WHERE attoptions::text LIKE '%pg_attver=%'");
        }
        OxyCli.Result plan = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.stdout().contains("Plan: PostgreSQL 17"), plan.stdout());
        assertTrue(plan.stdout().contains("Schema rehearsed on postgres:18-alpine"), plan.stdout());
        assertTrue(!volumeExists(docker.volume() + "-18"), "a dry run creates nothing");
        assertTrue(!containerExists(docker.container() + "-upgrade-18"), "a dry run removes the server it rehearsed on");
        OxyCli.Result same = OxyCli.run(docker.env(), "upgrade", "--to", "17");
        assertEquals(8, same.exitCode(), same.toString());

        try (Connection app = OxyCli.connectLocal(docker.port(), "oxy")) {
            OxyCli.Result refused = OxyCli.run(docker.env(), "upgrade", "--to", "18");
            assertEquals(8, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("connected"), refused.toString());
        }
        OxyCli.Result upgraded = OxyCli.run(docker.env(), "upgrade", "--to", "18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        assertTrue(serverVersion().startsWith("18"), serverVersion());
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(500, OxyCli.queryLong(connection, "SELECT count(*) FROM users"));
            if (columnsWithPgAttver > 0) {
                assertTrue(upgraded.stdout().contains("column option pg_attver (on "), "the left-out option is named: " + upgraded);
                assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_attribute WHERE attoptions::text LIKE '%pg_attver=%'"));
            }
        }
        assertTrue(volumeExists(docker.volume()), "the old volume is kept until --finalize");
        OxyCli.Result status = OxyCli.run(docker.env(), "status");
        assertTrue(status.stdout().contains("is done but not finalized"), status.stdout());

        OxyCli.Result back = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(0, back.exitCode(), back.toString());
        assertTrue(serverVersion().startsWith("17"), serverVersion());
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(500, OxyCli.queryLong(connection, "SELECT count(*) FROM users"));
        }
        assertTrue(!volumeExists(docker.volume() + "-18"));

        assertEquals(0, OxyCli.run(docker.env(), "upgrade", "--to", "18").exitCode());
        OxyCli.Result finalized = OxyCli.run(docker.env(), "upgrade", "--finalize", "--yes");
        assertEquals(0, finalized.exitCode(), finalized.toString());
        assertTrue(!volumeExists(docker.volume()), "finalize removes the old volume");
        assertTrue(serverVersion().startsWith("18"));
    }

    /**
     * The old container and volume removed from outside after the swap: --rollback must not make a new, empty
     * server under the old name and call it "as before"; it refuses, creates nothing, and names the final backup.
     */
    @Test
    void aRollbackWhoseOldDataIsGoneRefusesAndCreatesNothing() throws Exception {
        startPostgres17WithUsers(200, "'n'");
        OxyCli.Result upgraded = OxyCli.run(docker.env(), "upgrade", "--to", "18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        docker.engine().removeContainerIfExists(docker.container() + "-pg17");
        docker.client().removeVolumeCmd(docker.volume()).exec();
        OxyCli.Result back = OxyCli.run(docker.env(), "upgrade", "--rollback");
        assertEquals(ExitCode.DATA_NEEDS_ATTENTION, back.exitCode(), back.toString());
        assertTrue(back.stderr().contains("cannot roll back") && back.stderr().contains("oxy restore oxy_"), back.toString());
        assertTrue(!back.all().contains("as before"), back.toString());
        assertTrue(!volumeExists(docker.volume()) && !containerExists(docker.container() + "-pg17"), "no storage was created");
        assertTrue(serverVersion().startsWith("18"), "the new server is left as it was");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(200, OxyCli.queryLong(connection, "SELECT count(*) FROM users"));
        }
    }

    private String usersChecksum() throws Exception {
        return queryOxy("SELECT count(*) || ':' || md5(string_agg(email, ',' ORDER BY email)) FROM users");
    }

    /** kill -9 at six points of an upgrade: a rerun finishes it, or --rollback restores the old server, data identical. */
    @Test
    void killedAnywhereAnUpgradeResumesOrRollsBackWithTheSameData() throws Exception {
        startPostgres17WithUsers(20000, "repeat('n', 200)");
        String checksum = usersChecksum();
        long started = System.nanoTime();
        assertEquals(0, OxyCli.run(docker.env(), "upgrade", "--to", "18").exitCode());
        long full = (System.nanoTime() - started) / 1_000_000;
        assertEquals(0, OxyCli.run(docker.env(), "upgrade", "--rollback").exitCode());
        java.util.List<String> outcomes = new java.util.ArrayList<>();
        for (int point = 1; point <= 6; point++) {
            long killAfter = full * point / 7;
            Process upgrade = OxyCli.spawn(docker.env(), "upgrade", "--to", "18");
            boolean finished = upgrade.waitFor(killAfter, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (!finished) upgrade.destroyForcibly().waitFor();
            assertTrue(volumeExists(docker.volume()), "the old volume survives a kill at " + killAfter + " ms");
            if (point % 2 == 1) {
                OxyCli.Result resumed = OxyCli.run(docker.env(), "upgrade", "--to", "18");
                assertTrue(resumed.exitCode() == 0 || resumed.stderr().contains("done but not finalized"), killAfter + " ms: " + resumed);
                assertTrue(serverVersion().startsWith("18"), serverVersion());
                assertEquals(checksum, usersChecksum(), "resumed after a kill at " + killAfter + " ms");
            }
            OxyCli.Result back = OxyCli.run(docker.env(), "upgrade", "--rollback");
            assertTrue(back.exitCode() == 0 || back.stderr().contains("no upgrade to roll back"), killAfter + " ms: " + back);
            assertTrue(serverVersion().startsWith("17"), serverVersion());
            assertEquals(checksum, usersChecksum(), "rolled back after a kill at " + killAfter + " ms");
            outcomes.add(killAfter + " ms: " + (finished ? "finished" : "killed"));
        }
        System.out.println("upgrade kill points: " + outcomes);
    }

    /** External: move a database from a PostgreSQL 17 server to a PostgreSQL 18 one, by URL; the source stays as it was. */
    @Test
    void moveBetweenTwoServersByUrl() throws Exception {
        try (var old = new org.testcontainers.postgresql.PostgreSQLContainer("postgres:17-alpine").withUsername("svc").withPassword("pw17").withDatabaseName("oxy");
             var next = new org.testcontainers.postgresql.PostgreSQLContainer("postgres:18-alpine").withUsername("svc").withPassword("pw18").withDatabaseName("postgres")) {
            old.start();
            next.start();
            String from = "postgresql://svc:pw17@localhost:" + old.getMappedPort(5432) + "/oxy";
            String to = "postgresql://svc:pw18@localhost:" + next.getMappedPort(5432) + "/oxy";
            Map<String, String> external = OxyCli.env("OXY_STATE_DIR", docker.state().toString(), "OXY_DATABASE_URL", from);
            assertEquals(0, OxyCli.run(external, "start", "--detach").exitCode());
            try (Connection connection = OxyCli.connect(old.getJdbcUrl(), "svc", "pw17")) {
                OxyCli.execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', 'n' FROM generate_series(1, 300) g");
            }
            OxyCli.Result moved = OxyCli.run(external, "upgrade", "--from-url", from, "--to-url", to);
            assertEquals(0, moved.exitCode(), moved.toString());
            assertTrue(!moved.all().contains("pw17") && !moved.all().contains("pw18"), "no password printed: " + moved);
            try (Connection connection = OxyCli.connect(PostgresUrl.parse(to).jdbcUrl(), "svc", "pw18")) {
                assertEquals(300, OxyCli.queryLong(connection, "SELECT count(*) FROM users"));
                assertTrue(OxyCli.queryLong(connection, "SELECT current_setting('server_version_num')::int") >= 180000);
            }
            try (Connection connection = OxyCli.connect(old.getJdbcUrl(), "svc", "pw17")) {
                assertEquals(300, OxyCli.queryLong(connection, "SELECT count(*) FROM users"), "the source is unchanged");
            }
            OxyCli.Result again = OxyCli.run(external, "upgrade", "--from-url", from, "--to-url", to);
            assertEquals(8, again.exitCode(), "a target database with tables is refused: " + again);
        }
    }

    /** pgvector in use: postgres:18-alpine lacks it, so the upgrade is refused before anything changes; the pgvector image works. */
    @Test
    void aMissingExtensionIsRefusedAndTheRightImageWorks() throws Exception {
        startOn("pgvector/pgvector:pg17");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            OxyCli.execute(connection, "CREATE EXTENSION vector");
            OxyCli.execute(connection, "CREATE TABLE embeddings (id int PRIMARY KEY, v vector(3))");
            OxyCli.execute(connection, "INSERT INTO embeddings SELECT g, ('[' || g || ',1,2]')::vector FROM generate_series(1, 50) g");
        }
        OxyCli.Result refused = OxyCli.run(docker.env(), "upgrade", "--to", "18");
        assertEquals(8, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("vector") && refused.stderr().contains("pgvector/pgvector:pg18"), refused.toString());
        assertTrue(!volumeExists(docker.volume() + "-18"), "nothing was created");
        OxyCli.Result upgraded = OxyCli.run(docker.env(), "upgrade", "--to", "pgvector/pgvector:pg18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(50, OxyCli.queryLong(connection, "SELECT count(*) FROM embeddings"));
        }
        assertTrue(serverVersion().startsWith("18"), serverVersion());
    }

    /**
     * A schema the target rejects (a C function whose library only the old image has) stops the upgrade
     * before the downtime, in the server's words: the old server runs on untouched, and nothing new is left.
     */
    @Test
    void aSchemaTheTargetRejectsStopsTheUpgradeBeforeTheDowntime() throws Exception {
        startOn("pgvector/pgvector:pg17");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            OxyCli.execute(connection, "CREATE FUNCTION public.vector_text(cstring, oid, integer) RETURNS cstring "
                + "AS '$libdir/vector', 'vector_in' LANGUAGE C IMMUTABLE STRICT");
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) SELECT gen_random_uuid(), g || '@x.org', 'n' FROM generate_series(1, 100) g");
        }
        String checksum = usersChecksum();
        for (String[] args : new String[][] {{"upgrade", "--to", "18", "--dry-run"}, {"upgrade", "--to", "18"}}) {
            OxyCli.Result refused = OxyCli.run(docker.env(), args);
            assertEquals(8, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("rejects the schema of database oxy") && refused.stderr().contains("could not access file \"vector\"")
                && refused.stderr().contains("(in: CREATE FUNCTION public.vector_text"), "the server's own words and the object: " + refused);
            assertTrue(refused.stderr().contains("the old server still runs"), refused.toString());
            assertTrue(!refused.stdout().contains("Final backup"), "stopped before the downtime: " + refused);
            assertTrue(serverVersion().startsWith("17"), "the old server still runs");
            assertEquals(checksum, usersChecksum());
            assertTrue(!volumeExists(docker.volume() + "-18") && !containerExists(docker.container() + "-upgrade-18"), "no new server is left: " + refused);
            assertTrue(!java.nio.file.Files.exists(docker.state().resolve("upgrade-" + docker.container() + ".json")), "no upgrade state");
        }
    }

    /**
     * An app that keeps reconnecting and writing while the final backup runs: its writes would be lost at the
     * swap, so the upgrade refuses and the old server keeps everything; once the app stops, it goes through.
     */
    @Test
    void writesAfterTheFinalBackupAreNeverLost() throws Exception {
        startPostgres17WithUsers(50000, "repeat('n', 200)");
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread app = new Thread(() -> {
            while (!stop.get()) {
                try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
                    OxyCli.execute(connection, "INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'app-' || gen_random_uuid() || '@x.org', 'a')");
                    written.incrementAndGet();
                } catch (java.sql.SQLException ignored) {
                    // ended by the upgrade, or the server is stopping: reconnect, as apps do
                }
                try { Thread.sleep(20); } catch (InterruptedException e) { return; }
            }
        });
        app.start();
        OxyCli.Result refused;
        try {
            refused = OxyCli.run(docker.env(), "upgrade", "--to", "18", "--yes");
        } finally {
            stop.set(true);
            app.join();
        }
        assertEquals(8, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("wrote to the old server after the final backup"), refused.stderr());
        assertTrue(written.get() > 0);
        assertTrue(serverVersion().startsWith("17"), "the old server still runs");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(50000 + written.get(), OxyCli.queryLong(connection, "SELECT count(*) FROM users"), "every write is on the old server");
        }
        OxyCli.Result upgraded = OxyCli.run(docker.env(), "upgrade", "--to", "18");
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        assertTrue(serverVersion().startsWith("18"));
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(50000 + written.get(), OxyCli.queryLong(connection, "SELECT count(*) FROM users"), "every write made it to 18");
        }
    }

    /** The volume's disk (a 200 MB tmpfs) cannot hold a second copy of the database: refused before anything changes. */
    @Test
    void notEnoughDiskIsRefusedBeforeAnythingChanges() throws Exception {
        docker.client().createVolumeCmd().withName(docker.volume()).withDriver("local")
            .withDriverOpts(Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=200m")).exec();
        startOn("postgres:17-alpine");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            // unlogged: the rows take disk without as much again in WAL, which would fill the small volume first
            OxyCli.execute(connection, "CREATE UNLOGGED TABLE ballast AS SELECT g AS id, md5(g::text) || md5((-g)::text) AS filler "
                + "FROM generate_series(1, 500000) g");
            OxyCli.execute(connection, "CHECKPOINT");
        }
        OxyCli.Result refused = OxyCli.run(docker.env(), "upgrade", "--to", "18");
        assertEquals(8, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("not enough free disk"), refused.stderr());
        assertTrue(!volumeExists(docker.volume() + "-18"), "no new volume");
        assertTrue(!java.nio.file.Files.exists(docker.state().resolve("upgrade-" + docker.container() + ".json")), "no upgrade state");
        assertTrue(serverVersion().startsWith("17"), "the server still runs");
        try (Connection connection = OxyCli.connectLocal(docker.port(), "oxy")) {
            assertEquals(500000, OxyCli.queryLong(connection, "SELECT count(*) FROM ballast"));
        }
    }
}
