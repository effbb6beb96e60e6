import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrations/expected-columns.json, what status and start --baseline compare a foreign schema with, is what migrations/
 * make on a real PostgreSQL: each bundled migration applied in turn to an empty database, the columns read after each.
 * After adding a migration, make the file again with ExpectedColumns.REGENERATE (README, Schema).
 */
class ExpectedColumnsTest {
    private static final Path KEPT = Path.of(ExpectedColumns.FILE);

    @TempDir Path temp;

    @Test
    void theKeptFileIsWhatMigrationsMakeOnPostgres18() throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start()) {
            try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
                OxyCli.execute(connection, "CREATE DATABASE expected_columns");
            }
            PostgresUrl empty = PostgresUrl.parse("postgresql://postgres@localhost:" + postgres.getPort() + "/expected_columns");
            List<SchemaMigrations.Migration> bundled = new SchemaMigrations(empty).state().pending();
            String made = ExpectedColumns.toJson(madeBy(empty, bundled));
            if ("write".equals(System.getProperty("oxy.expectedColumns"))) {
                Files.writeString(KEPT, made); // the developer's regeneration (ExpectedColumns.REGENERATE); a plain run checks it
                return;
            }
            assertKept(made, "18");

            List<SchemaMigrations.Migration> added = new ArrayList<>(bundled);
            added.add(new SchemaMigrations.Migration("99", "new table", bundled.get(0).script()));
            OxyError refused = assertThrows(OxyError.class, () -> ExpectedColumns.after(added), "a migration added without making the file again");
            assertTrue(refused.getMessage().contains("(V99 new table is not in it)"), refused.getMessage());
        }
    }

    /** The same file holds on an older major (a user's own server): format_type names the types alike. */
    @Test
    void theKeptFileIsWhatMigrationsMakeOnPostgres15() throws Exception {
        HostPostgres15.assumeInstalled();
        Path data = temp.resolve("pg15");
        int port = OxyCli.freePort();
        try {
            HostPostgres15.initAndStart(data, port);
            PostgresUrl empty = PostgresUrl.parse("postgresql://postgres:postgres@localhost:" + port + "/oxy");
            assertKept(ExpectedColumns.toJson(madeBy(empty, new SchemaMigrations(empty).state().pending())), "15");
        } finally {
            HostPostgres15.stopIfRunning(data);
        }
    }

    @Test
    @Tag("unit")
    void aFileMadeFromOtherMigrationsIsRefusedNotBelieved() {
        List<SchemaMigrations.Migration> renamed = List.of(new SchemaMigrations.Migration("1", "oxy app schema", "V1__renamed.sql"));
        OxyError refused = assertThrows(OxyError.class, () -> ExpectedColumns.after(renamed));
        assertEquals("migrations/expected-columns.json was not made from the bundled migrations (it has V1__oxy_app_schema.sql where migrations/ have V1__renamed.sql)",
            refused.getMessage());
        assertTrue(refused.hint().contains(ExpectedColumns.REGENERATE), refused.hint());
    }

    private static void assertKept(String made, String major) throws Exception {
        assertEquals(made, Files.readString(KEPT).replace("\r\n", "\n"),
            KEPT + " is not what migrations/ make on PostgreSQL " + major + "; make it again: " + ExpectedColumns.REGENERATE);
    }

    /** What migrations/ make: each migration Flyway finds pending on the empty database applied in turn, the columns read after each. */
    static List<ExpectedColumns> madeBy(PostgresUrl emptyDatabase, List<SchemaMigrations.Migration> pending) throws Exception {
        List<String> scripts = SchemaMigrations.scriptsOf(pending);
        List<ExpectedColumns> made = new ArrayList<>();
        try (Connection connection = emptyDatabase.connect()) {
            for (int i = 0; i < pending.size(); i++) {
                OxyCli.execute(connection, scripts.get(i));
                made.add(new ExpectedColumns(pending.get(i).version(), pending.get(i).script(), ExpectedColumns.sha256Of(scripts.get(i)),
                    SchemaComparison.columnsOf(connection)));
            }
        }
        return made;
    }
}
