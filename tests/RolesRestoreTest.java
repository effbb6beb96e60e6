import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup carries the roles its objects name, so it restores onto a new server: two PostgreSQL 18 servers, the
 * source where the tables belong to app (a grant to reader, a member of the group readers), and a fresh one with
 * only its own superuser. Every command runs as its own process, without a terminal.
 */
class RolesRestoreTest {
    static final String SOURCE_PASSWORD = "src-S3cret-pw";
    static final String TARGET_PASSWORD = "dst-S3cret-pw";
    @RegisterExtension static final ExternalPostgres source = new ExternalPostgres("svc", SOURCE_PASSWORD, "app");
    @RegisterExtension static final ExternalPostgres target = new ExternalPostgres("admin", TARGET_PASSWORD, "landing");

    @TempDir Path state;

    /** The source: roles readers (group), reader (LOGIN, in readers), app (LOGIN CREATEDB, 7 connections); app owns the tables. */
    private String sourceDatabase() throws Exception {
        String url = source.newDatabase();
        try (Connection connection = source.connect(url)) {
            OxyCli.execute(connection, "CREATE ROLE readers NOLOGIN");
            OxyCli.execute(connection, "CREATE ROLE reader LOGIN PASSWORD 'reader-pw' IN ROLE readers");
            OxyCli.execute(connection, "CREATE ROLE app LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'app-pw'");
            OxyCli.execute(connection, "CREATE SCHEMA billing AUTHORIZATION app");
            OxyCli.execute(connection, "CREATE TABLE billing.invoices (id int PRIMARY KEY, total numeric)");
            OxyCli.execute(connection, "INSERT INTO billing.invoices SELECT g, g * 1.5 FROM generate_series(1, 60) g");
            OxyCli.execute(connection, "ALTER TABLE billing.invoices OWNER TO app");
            OxyCli.execute(connection, "GRANT USAGE ON SCHEMA billing TO readers");
            OxyCli.execute(connection, "GRANT SELECT ON billing.invoices TO reader");
            OxyCli.execute(connection, "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA billing GRANT SELECT ON TABLES TO readers");
        }
        return url;
    }

    private Map<String, String> env(String url) {
        return OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url);
    }

    @Test
    void aBackupRestoresOntoAFreshServerWithItsRolesAndLeavesExistingRolesAlone() throws Exception {
        String from = sourceDatabase();
        OxyCli.Result made = OxyCli.run(env(from), "backup", "--json");
        assertEquals(0, made.exitCode(), made.toString());
        String appHash;
        try (Connection connection = source.connect()) {
            appHash = OxyCli.queryString(connection, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'");
        }
        assertTrue(appHash.startsWith("SCRAM-SHA-256$"), appHash);
        assertTrue(made.stdout().contains("\"name\" : \"reader\"") && made.stdout().contains("\"group\" : \"readers\""), made.stdout());
        assertFalse(made.all().contains(appHash), "the password hash is never printed: " + made);
        Path manifest;
        try (var files = Files.list(state.resolve("backups"))) {
            manifest = files.filter(p -> p.toString().endsWith(BackupManifest.SUFFIX)).findFirst().orElseThrow();
        }
        assertTrue(Files.readString(manifest).contains(appHash), "the manifest (0600, beside the dump) keeps the hash to restore");
        assertFalse(Files.readString(manifest).contains("\"name\" : \"svc\""), "the bootstrap superuser owns nothing here and is not recorded");
        OxyCli.Result listed = OxyCli.run(env(from), "backup", "list", "--json");
        assertEquals(0, listed.exitCode(), listed.toString());
        assertFalse(listed.all().contains(appHash), "nor listed: " + listed);

        // a fresh server that comes with an empty database: the failed restore removes the safety backup it took of it,
        // which would otherwise be the newest backup and what the rerun's 'restore latest' restores
        try (Connection connection = target.connect()) {
            OxyCli.execute(connection, "CREATE DATABASE occupied");
        }
        List<String> backupsBefore = backupFiles();
        OxyCli.Result occupied = OxyCli.run(env(target.url("occupied")), "restore", "latest", "--yes");
        assertEquals(ExitCode.REFUSED, occupied.exitCode(), occupied.toString());
        assertTrue(occupied.all().contains("Safety backup oxy_") && occupied.all().contains("Removed the safety backup"), occupied.toString());
        assertEquals(backupsBefore, backupFiles(), "the backup directory is as it was: " + occupied);

        // a fresh server without the roles: restore says which are missing and stops where pg_restore meets the first one
        String fresh = target.url("restored");
        OxyCli.Result without = OxyCli.run(env(fresh), "restore", "latest", "--yes");
        assertEquals(ExitCode.REFUSED, without.exitCode(), without.toString()); // the schema goes first: the server refuses it, as before
        assertTrue(without.stderr().contains("role \"app\" does not exist"), without.toString());
        assertTrue(without.stderr().contains("Create the role on this server first (restore --create-roles"), "the way out, not 'use another image': " + without);
        assertTrue(without.all().contains("this server lacks the roles app, reader, readers") && without.all().contains("--create-roles"), without.toString());
        assertFalse(databases().contains("restored"), "the failed restore left no database");
        assertEquals(List.of(), targetRoles(), "and no role");

        OxyCli.Result dryRun = OxyCli.run(env(fresh), "restore", "latest", "--create-roles", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertTrue(dryRun.stdout().contains("create before loading") && dryRun.stdout().contains("app (LOGIN, CREATEDB, CONNECTION LIMIT 7, password)")
            && dryRun.stdout().contains("reader (LOGIN, password; member of readers)"), dryRun.toString());
        assertFalse(dryRun.all().contains(appHash), dryRun.toString());
        assertEquals(List.of(), targetRoles(), "the dry run created nothing");

        OxyCli.Result restored = OxyCli.run(env(fresh), "restore", "latest", "--yes", "--create-roles");
        assertEquals(0, restored.exitCode(), restored.toString());
        assertTrue(restored.stdout().contains("Created the roles app, reader, readers"), restored.toString());
        assertFalse(restored.all().contains(appHash), "the hash is never printed: " + restored);
        try (Connection connection = target.connect(fresh)) {
            assertEquals(60, OxyCli.queryLong(connection, "SELECT count(*) FROM billing.invoices"));
            assertEquals("app", OxyCli.queryString(connection, "SELECT tableowner FROM pg_tables WHERE tablename = 'invoices'"));
            assertEquals("app", OxyCli.queryString(connection, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'billing'"));
            assertEquals("true", OxyCli.queryString(connection, "SELECT has_table_privilege('reader', 'billing.invoices', 'SELECT')::text"));
            assertEquals("false", OxyCli.queryString(connection, "SELECT has_table_privilege('readers', 'billing.invoices', 'SELECT')::text"));
            assertEquals("true", OxyCli.queryString(connection, "SELECT has_schema_privilege('readers', 'billing', 'USAGE')::text"));
            assertEquals("true", OxyCli.queryString(connection, "SELECT pg_has_role('reader', 'readers', 'MEMBER')::text"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_default_acl WHERE defaclrole = 'app'::regrole"));
            assertEquals("7 true true", OxyCli.queryString(connection, "SELECT rolconnlimit || ' ' || rolcanlogin::text || ' ' || rolcreatedb::text FROM pg_roles WHERE rolname = 'app'"));
            assertEquals("false", OxyCli.queryString(connection, "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = 'readers'"));
            assertEquals(appHash, OxyCli.queryString(connection, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'"), "the same verifier");
        }
        try (Connection asApp = OxyCli.connect(PostgresUrl.parse(fresh).jdbcUrl(), "app", "app-pw")) {
            assertEquals(60, OxyCli.queryLong(asApp, "SELECT count(*) FROM billing.invoices"), "app logs in with its old password");
        }

        // an existing role with other attributes is left as it is: app now exists here with 2 connections and no CREATEDB
        try (Connection connection = target.connect()) {
            OxyCli.execute(connection, "ALTER ROLE app CONNECTION LIMIT 2 NOCREATEDB");
            OxyCli.execute(connection, "REVOKE readers FROM reader");
        }
        String again = target.url("restored_again");
        OxyCli.Result second = OxyCli.run(env(again), "restore", "latest", "--yes", "--create-roles");
        assertEquals(0, second.exitCode(), second.toString());
        assertFalse(second.all().contains("Created the roles") || second.all().contains("lacks the roles"), second.toString());
        try (Connection connection = target.connect(again)) {
            assertEquals("2 false", OxyCli.queryString(connection, "SELECT rolconnlimit || ' ' || rolcreatedb::text FROM pg_roles WHERE rolname = 'app'"));
            assertEquals("false", OxyCli.queryString(connection, "SELECT pg_has_role('reader', 'readers', 'MEMBER')::text"), "no membership added to an existing role");
            assertEquals("app", OxyCli.queryString(connection, "SELECT tableowner FROM pg_tables WHERE tablename = 'invoices'"));
        }
    }

    private List<String> backupFiles() throws Exception {
        try (var files = Files.list(state.resolve("backups"))) {
            return files.map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
        }
    }

    private static List<String> databases() throws Exception {
        return targetNames("SELECT datname FROM pg_database ORDER BY 1");
    }

    /** The roles on the target besides its own superuser and the built-in ones. */
    private static List<String> targetRoles() throws Exception {
        return targetNames("SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' AND rolname <> 'admin' ORDER BY 1");
    }

    private static List<String> targetNames(String query) throws Exception {
        try (Connection connection = target.connect(); var rows = connection.createStatement().executeQuery(query)) {
            List<String> names = new java.util.ArrayList<>();
            while (rows.next()) names.add(rows.getString(1));
            return names;
        }
    }
}
