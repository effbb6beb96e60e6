import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The external runtime: a PostgreSQL the tests start (as a managed service would be), reached only by URL. */
class ExternalRuntimeTest {
    static final String PASSWORD = "ext-S3cret-pw";
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("svc", PASSWORD, "app");

    @TempDir Path state;

    private Map<String, String> env(String url) {
        return OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url);
    }

    @Test
    void startMigratesTheExternalDatabaseAndNeverPrintsThePassword() throws Exception {
        String url = server.newDatabase();
        OxyCli.Result started = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(started.stdout().contains("Using external PostgreSQL at postgresql://svc:****@localhost:"), started.stdout());
        assertTrue(started.stdout().contains("Applied migration V1 oxy app schema"), started.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(17, OxyCli.appTableCount(connection));
        }
        OxyCli.Result status = OxyCli.run(env(url), "status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("PostgreSQL (external runtime)"), status.stdout());
        assertTrue(status.stdout().contains("Current (version 2); schema public is ours"), status.stdout());
        assertFalse(status.stdout().contains("Docker\n"), "external status does not look for Docker: " + status.stdout());

        OxyCli.Result stop = OxyCli.run(env(url), "stop");
        assertEquals(0, stop.exitCode(), stop.toString());
        assertTrue(stop.stdout().contains("is not managed here; nothing to stop"), stop.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(17, OxyCli.appTableCount(connection), "stop leaves an external database alone");
        }
        for (OxyCli.Result result : List.of(started, status, stop)) assertFalse(result.all().contains(PASSWORD), result.all());
    }

    @Test
    void statusReportsPendingMigrationsWithExitCode4() throws Exception {
        String url = server.newDatabase();
        OxyCli.Result text = OxyCli.run(env(url), "status");
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, text.exitCode(), text.toString());
        assertTrue(text.stdout().contains("none applied, 2 pending"), text.stdout());
        assertTrue(text.stdout().contains("./jbang oxy start --detach"), text.stdout());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        assertEquals("external", json.path("runtime").asText());
        assertTrue(json.path("database").path("connected").asBoolean());
        assertEquals(2, json.path("schema").path("pending").asInt());
        assertEquals("empty", json.path("schema").path("managed").asText());
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, json.path("exitCode").asInt());
    }

    @Test
    void statusReportsAnEditedMigrationAsDrift() throws Exception {
        String url = server.newDatabase();
        assertEquals(0, OxyCli.run(env(url), "start", "--detach").exitCode());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'");
        }
        OxyCli.Result status = OxyCli.run(env(url), "status", "--json");
        assertEquals(ExitCode.SCHEMA_NOT_CURRENT, status.exitCode(), status.toString());
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertEquals(0, json.path("schema").path("pending").asInt());
        assertTrue(json.path("schema").path("drift").get(0).asText().contains("V1"), json.toString());
    }

    @Test
    void twoStartsAtOnceMigrateOnceWithoutColliding() throws Exception {
        String url = server.newDatabase();
        List<Process> starts = new ArrayList<>();
        for (int i = 0; i < 3; i++) starts.add(OxyCli.spawn(env(url), "start", "--detach"));
        for (Process start : starts) {
            OxyCli.Result result = OxyCli.finish(start, java.time.Duration.ofMinutes(2));
            assertEquals(0, result.exitCode(), result.toString());
        }
        try (Connection connection = server.connect(url)) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM flyway_schema_history WHERE version = '1'"));
            assertEquals(17, OxyCli.appTableCount(connection));
        }
    }

    @Test
    void aWrongPasswordIsNamedWithoutPrintingIt() throws Exception {
        String url = server.newDatabase().replace(PASSWORD, "not-the-password");
        OxyCli.Result status = OxyCli.run(env(url), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("refused the password for user 'svc'"), status.stdout());
        assertFalse(status.all().contains("not-the-password"), status.all());
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        assertFalse(json.path("database").path("connected").asBoolean());

        long started = System.nanoTime();
        OxyCli.Result start = OxyCli.run(env(url), "start", "--detach");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("refused the password"), start.stderr());
        assertTrue(System.nanoTime() - started < 20_000_000_000L, "a wrong password is not retried until the timeout");
    }

    @Test
    void anUnreachableOrUnknownHostIsNamed() throws Exception {
        String closed = "postgresql://svc:" + PASSWORD + "@localhost:" + OxyCli.freePort() + "/app";
        OxyCli.Result status = OxyCli.run(env(closed), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, status.exitCode(), status.toString());
        assertTrue(status.stdout().contains("does not answer"), status.stdout());
        OxyCli.Result start = OxyCli.run(env(closed), "start", "--detach", "--timeout", "2");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("PostgreSQL did not become ready within 2 s"), start.stderr());

        String unknown = "postgresql://svc:" + PASSWORD + "@no-such-host.invalid:5432/app";
        OxyCli.Result unknownStatus = OxyCli.run(env(unknown), "status");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, unknownStatus.exitCode(), unknownStatus.toString());
        assertTrue(unknownStatus.stdout().contains("unknown host 'no-such-host.invalid'"), unknownStatus.stdout());
        for (OxyCli.Result result : List.of(status, start, unknownStatus)) assertFalse(result.all().contains(PASSWORD), result.all());
    }

    // ---- databases we did not make (issue 13): start and status follow SchemaOwner --------------------------------

    /** A pgbench-like database with another program's tables, and a fingerprint of all of them (tables, columns, rows). */
    private static final String FOREIGN_TABLES = "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));"
        + "CREATE TABLE \"Order Lines\" (\"select\" text NOT NULL, qty numeric(10,2));"
        + "INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 1000) g;"
        + "INSERT INTO \"Order Lines\" VALUES ('a', 1.50), ('b', 2.25);";

    private static String fingerprint(Connection connection) throws Exception {
        return OxyCli.queryString(connection, "SELECT string_agg(format('%s.%s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull), '; '"
            + " ORDER BY c.relname, a.attnum) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid"
            + " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped")
            + " rows " + OxyCli.queryLong(connection, "SELECT (SELECT count(*) FROM pgbench_accounts) * 1000 + (SELECT count(*) FROM \"Order Lines\")");
    }

    private static boolean historyExists(Connection connection) throws Exception {
        return OxyCli.queryString(connection, "SELECT to_regclass('flyway_schema_history')::text") != null;
    }

    /**
     * A new database with the app's tables as migrations/V1 makes them but without Flyway (as a hand-run script or a
     * dump restored without our history leaves them), then the given SQL; its URL.
     */
    private static String databaseMadeByHand(String thenSql) throws Exception {
        String url = server.newDatabase();
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, java.nio.file.Files.readString(Path.of("migrations/V1__oxy_app_schema.sql")));
            OxyCli.execute(connection, thenSql);
        }
        return url;
    }

    @Test
    void startLeavesAForeignDatabaseAloneAndStatusDoesNotAdviseStart() throws Exception {
        String url = server.newDatabase();
        String before;
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, FOREIGN_TABLES);
            before = fingerprint(connection);
        }
        OxyCli.Result started = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertEquals(1, started.stdout().lines().filter(line -> line.contains("schema public holds 2 tables and no oxy-ops schema history; not migrated")).count(),
            started.stdout());
        assertFalse(started.all().contains("no schema history table"), "Flyway's refusal is gone: " + started.all());
        try (Connection connection = server.connect(url)) {
            assertFalse(historyExists(connection), "a foreign database gets no flyway_schema_history");
            assertEquals(before, fingerprint(connection), "its tables and rows are as they were");
        }

        OxyCli.Result status = OxyCli.run(env(url), "status", "--json");
        assertEquals(0, status.exitCode(), "a foreign schema is not an error by itself: " + status);
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertEquals("foreign", json.path("schema").path("managed").asText(), json.toString());
        assertFalse(json.path("schema").path("matchesMigrations").asBoolean(), json.toString());
        String advice = json.path("troubleshooting").toString();
        assertTrue(advice.contains("another program's tables") && advice.contains("a database of its own"), advice);
        assertFalse(advice.contains("oxy start"), "no advice to start, which leaves it alone: " + advice);
        try (Connection connection = server.connect(url)) {
            assertEquals(before, fingerprint(connection), "status only looks");
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'oxy_ops%'"));
        }
    }

    @Test
    void startBaselineAdoptsTablesMigrationsMadeByHand() throws Exception {
        String url = databaseMadeByHand("CREATE TABLE notes (id int); INSERT INTO users (id, email, name) VALUES (gen_random_uuid(), 'a@example.com', 'A')");
        OxyCli.Result before = OxyCli.run(env(url), "status", "--json");
        assertEquals(0, before.exitCode(), before.toString());
        JsonNode json = new ObjectMapper().readTree(before.stdout());
        assertEquals("foreign", json.path("schema").path("managed").asText(), json.toString());
        assertTrue(json.path("schema").path("matchesMigrations").asBoolean(), json.toString());
        assertTrue(json.path("troubleshooting").toString().contains("./jbang oxy start --detach --baseline"), json.toString());

        OxyCli.Result adopted = OxyCli.run(env(url), "start", "--detach", "--baseline");
        assertEquals(0, adopted.exitCode(), adopted.toString());
        assertTrue(adopted.stdout().contains("Adopted schema public: its tables match migrations/ up to V"), adopted.stdout());
        assertTrue(adopted.stdout().contains("1 other table is not the app's and stays as it is: notes"), adopted.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM flyway_schema_history WHERE type = 'BASELINE' AND success"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM users"), "the adopted rows stay");
        }
        OxyCli.Result rerun = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(rerun.stdout().contains("Schema is up to date"), rerun.stdout());
        assertFalse(rerun.stdout().contains("Adopted") || rerun.stdout().contains("not migrated"), rerun.stdout());
        OxyCli.Result after = OxyCli.run(env(url), "status", "--json");
        assertEquals(0, after.exitCode(), after.toString());
        assertEquals("ours", new ObjectMapper().readTree(after.stdout()).path("schema").path("managed").asText(), after.stdout());
    }

    @Test
    void startBaselineRefusesADifferingColumnAndWritesNothing() throws Exception {
        String url = databaseMadeByHand("ALTER TABLE users ALTER COLUMN role TYPE text");
        OxyCli.Result refused = OxyCli.run(env(url), "start", "--detach", "--baseline");
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("--baseline: schema public differs from migrations/"), refused.stderr());
        assertTrue(refused.stderr().contains("column users.role is text NOT NULL, migrations/ make it character varying NOT NULL"), refused.stderr());
        assertTrue(refused.stderr().contains("nothing was written"), refused.stderr());
        try (Connection connection = server.connect(url)) {
            assertFalse(historyExists(connection));
            assertEquals("text", OxyCli.queryString(connection, "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'role'"));
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'oxy_ops%'"), "the scratch schema was rolled back");
        }
        JsonNode json = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        assertEquals(1, json.path("schema").path("differences").asInt(), json.toString());
        assertTrue(json.path("troubleshooting").toString().contains("column users.role is text"), json.toString());
    }

    // ---- status only reads (issue 29): a monitor's read-only role gets the same verdict, and sends nothing that writes ----

    private static final String MONITOR_PASSWORD = "mon-S3cret-pw";

    /**
     * A monitor's role on the database of the URL: CONNECT, USAGE and SELECT only (no CREATE anywhere), its transactions
     * read-only as on a standby, every statement it sends logged by the server; its URL.
     */
    private static String monitorOf(String url) throws Exception {
        String database = PostgresUrl.parse(url).database();
        String role = "monitor_" + database;
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "CREATE ROLE " + role + " LOGIN PASSWORD '" + MONITOR_PASSWORD + "';"
                + "REVOKE ALL ON DATABASE " + database + " FROM PUBLIC; GRANT CONNECT ON DATABASE " + database + " TO " + role + ";"
                + "GRANT USAGE ON SCHEMA public TO " + role + "; GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role + ";"
                + "ALTER ROLE " + role + " SET default_transaction_read_only = on; ALTER ROLE " + role + " SET log_statement = 'all'");
        }
        return server.url(role, MONITOR_PASSWORD, database);
    }

    /** Runs status as the monitor; returns what the server logged meanwhile (the monitor's statements, and any error). */
    private String serverLogOf(String monitorUrl, String... statusArgs) throws Exception {
        int from = server.container().getLogs().length();
        OxyCli.Result status = OxyCli.run(env(monitorUrl), statusArgs);
        assertEquals(0, status.exitCode(), status.toString());
        String marker = "end of status run " + java.util.UUID.randomUUID();
        try (Connection connection = OxyCli.connect(PostgresUrl.parse(monitorUrl).jdbcUrl(), PostgresUrl.parse(monitorUrl).user(), MONITOR_PASSWORD)) {
            OxyCli.execute(connection, "SELECT '" + marker + "'");
        }
        Await.until(java.time.Duration.ofSeconds(30), () -> server.container().getLogs().indexOf(marker, from) >= 0, () -> "'" + marker + "' in the server log");
        String logged = server.container().getLogs();
        return logged.substring(from, logged.indexOf(marker, from));
    }

    /** Nothing the monitor sent writes or failed (the log holds its statements: logging was on). */
    private static void assertOnlyReads(String logged) {
        assertTrue(logged.contains("SELECT current_schema()"), "the monitor's statements are logged: " + logged);
        java.util.regex.Matcher writing = java.util.regex.Pattern.compile("(?i)(?:statement|execute [^:]*):\\s*(?:--[^\\n]*\\n\\s*)*"
            + "(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|TRUNCATE|GRANT|REVOKE|COMMENT|LOCK|COPY|SET LOCAL)\\b[^\\n]*").matcher(logged);
        if (writing.find()) org.junit.jupiter.api.Assertions.fail("status sent " + writing.group() + "\n" + logged);
        assertFalse(logged.contains("oxy_ops_compare"), "no scratch schema: " + logged);
        assertFalse(logged.contains("ERROR:"), "nothing status sent failed: " + logged);
    }

    @Test
    void statusComparesAForeignSchemaAsAReadOnlyMonitorWithoutWriting() throws Exception {
        String url = databaseMadeByHand("CREATE TABLE notes (id int)");
        String monitor = monitorOf(url);
        JsonNode asOwner = new ObjectMapper().readTree(OxyCli.run(env(url), "status", "--json").stdout());
        String logged = serverLogOf(monitor, "status", "--json");
        assertOnlyReads(logged);
        OxyCli.Result json = OxyCli.run(env(monitor), "status", "--json");
        JsonNode schema = new ObjectMapper().readTree(json.stdout()).path("schema");
        assertTrue(schema.path("matchesMigrations").asBoolean(), json.stdout());
        assertEquals("1", schema.path("comparedWith").asText(), json.stdout());
        assertEquals(0, schema.path("differences").asInt(), json.stdout());
        assertEquals("[\"notes\"]", schema.path("otherTables").toString(), json.stdout());
        assertFalse(schema.has("comparisonError"), json.stdout());
        assertEquals(asOwner.path("schema"), schema, "the monitor gets the owner's verdict");
        assertEquals(asOwner.path("troubleshooting"), new ObjectMapper().readTree(json.stdout()).path("troubleshooting"));

        assertOnlyReads(serverLogOf(monitor, "status"));
        OxyCli.Result text = OxyCli.run(env(monitor), "status");
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.stdout().contains("The tables of schema public match migrations/ up to V1 column by column, but oxy-ops has no history of them."), text.stdout());
        assertTrue(text.stdout().contains("Adopt them: ./jbang oxy start --detach --baseline"), text.stdout());
    }

    @Test
    void aSchemaDifferingInSixPlacesGetsOneVerdictFromStatusAndBaseline() throws Exception {
        String url = databaseMadeByHand("ALTER TABLE users ALTER COLUMN role TYPE text; ALTER TABLE logs DROP COLUMN prompts;"
            + "ALTER TABLE runs ADD COLUMN extra int; DROP TABLE tasks; ALTER TABLE threads ALTER COLUMN user_id SET NOT NULL;"
            + "ALTER TABLE branches ALTER COLUMN name TYPE varchar(100)");
        List<String> firstFive = List.of(
            "column branches.name is character varying(100) NOT NULL, migrations/ make it character varying(255) NOT NULL",
            "column logs.prompts is missing", "column runs.extra is not in migrations/", "table tasks is missing",
            "column threads.user_id is uuid NOT NULL, migrations/ make it uuid");
        String monitor = monitorOf(url);
        assertOnlyReads(serverLogOf(monitor, "status", "--json"));
        OxyCli.Result status = OxyCli.run(env(monitor), "status", "--json");
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertFalse(json.path("schema").path("matchesMigrations").asBoolean(true), status.stdout());
        assertEquals("1", json.path("schema").path("comparedWith").asText(), status.stdout());
        assertEquals(6, json.path("schema").path("differences").asInt(), status.stdout());
        assertEquals("The tables of schema public differ from migrations/ (up to V1) in 6 place(s), e.g. " + firstFive.get(0) + "; start leaves them alone.",
            json.path("troubleshooting").path(0).asText(), status.stdout());

        OxyCli.Result refused = OxyCli.run(env(url), "start", "--detach", "--baseline");
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("--baseline: schema public differs from migrations/ (up to V1) in 6 places, so it is not adopted"), refused.stderr());
        List<String> listed = refused.stderr().lines().filter(line -> line.startsWith("  | ")).map(line -> line.substring(4)).toList();
        List<String> expected = new ArrayList<>(firstFive);
        expected.add("... and 1 more");
        assertEquals(expected, listed, refused.stderr());
        try (Connection connection = server.connect(url)) {
            assertFalse(historyExists(connection));
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'oxy_ops%'"));
        }
    }

    @Test
    void theAppsOwnMigratorsSchemaIsLeftToItAndNotAdopted() throws Exception {
        String url = server.newDatabase();
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint NOT NULL); CREATE TABLE threads (id uuid PRIMARY KEY)");
        }
        OxyCli.Result started = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        assertTrue(started.stdout().contains("(seaql_migrations: managed by the app's own migrator); migrations/ not applied"), started.stdout());
        OxyCli.Result baseline = OxyCli.run(env(url), "start", "--detach", "--baseline");
        assertEquals(ExitCode.REFUSED, baseline.exitCode(), baseline.toString());
        assertTrue(baseline.stderr().contains("adopting it would make two migrators keep one schema"), baseline.stderr());
        OxyCli.Result status = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url, "OXY_NO_MIGRATIONS", "true"), "status", "--json");
        assertEquals(0, status.exitCode(), status.toString());
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertTrue(json.path("schema").path("appMigrator").asBoolean(), json.toString());
        assertEquals(0, json.path("troubleshooting").size(), "intended: nothing to advise " + json);
        try (Connection connection = server.connect(url)) {
            assertFalse(historyExists(connection));
        }
    }

    @Test
    void noMigrationsLeavesAnEmptyDatabaseEmpty() throws Exception {
        String url = server.newDatabase();
        OxyCli.Result flag = OxyCli.run(env(url), "start", "--detach", "--no-migrations");
        assertEquals(0, flag.exitCode(), flag.toString());
        assertTrue(flag.stdout().contains("Migrations are off (--no-migrations or OXY_NO_MIGRATIONS=true)"), flag.stdout());
        Map<String, String> off = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url, "OXY_NO_MIGRATIONS", "true");
        OxyCli.Result variable = OxyCli.run(off, "start", "--detach");
        assertEquals(0, variable.exitCode(), variable.toString());
        assertTrue(variable.stdout().contains("Migrations are off"), variable.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "no tables created");
        }
        OxyCli.Result status = OxyCli.run(off, "status", "--json");
        assertEquals(0, status.exitCode(), "empty is fine when the app's migrator makes it: " + status);
        JsonNode json = new ObjectMapper().readTree(status.stdout());
        assertEquals("empty", json.path("schema").path("managed").asText());
        assertEquals("off", json.path("schema").path("migrations").asText());
        OxyCli.Result both = OxyCli.run(off, "start", "--detach", "--baseline");
        assertEquals(ExitCode.USAGE, both.exitCode(), both.toString());
    }
}
