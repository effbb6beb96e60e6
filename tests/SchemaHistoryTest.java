import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * status reads the schema history itself (SchemaHistory) where it is plain, and asks Flyway otherwise: on a real
 * PostgreSQL, the plain answer is Flyway's own, and every history Flyway's rules must judge is left to Flyway.
 */
class SchemaHistoryTest {
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("svc", "history-pw", "app");

    private static void migrateUpTo(String url, String target) {
        PostgresUrl parsed = PostgresUrl.parse(url);
        Flyway.configure(SchemaMigrations.class.getClassLoader()).dataSource(parsed.jdbcUrl(), parsed.user(), "history-pw")
            .locations("classpath:migrations").target(target).load().migrate();
    }

    @Test
    void emptyPartlyAndFullyMigratedSchemasAreReadWithoutFlywayAsFlywayReadsThem() throws Exception {
        String url = server.newDatabase();
        SchemaMigrations flyway = new SchemaMigrations(PostgresUrl.parse(url));
        for (String target : List.of("none", "1", "latest")) {
            if (!target.equals("none")) migrateUpTo(url, target);
            try (Connection connection = server.connect(url)) {
                Optional<SchemaMigrations.SchemaState> plain = SchemaHistory.plainState(connection);
                assertTrue(plain.isPresent(), "a plain history after migrating to " + target + " is read without Flyway");
                assertEquals(flyway.state(), plain.get(), "after migrating to " + target);
            }
        }
        try (Connection connection = server.connect(url)) {
            SchemaMigrations.SchemaState current = SchemaHistory.plainState(connection).orElseThrow();
            assertEquals("2", current.currentVersion());
            assertTrue(current.current(), current.toString());
        }
    }

    @Test
    void anEditedFailedOrBaselinedHistoryIsLeftToFlyway() throws Exception {
        List<String> changes = List.of(
            "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '1'",   // an edited file: drift
            "UPDATE flyway_schema_history SET success = false WHERE version = '2'",           // a failed migration
            "DELETE FROM flyway_schema_history WHERE version = '1'",                          // applied V2 without V1
            "UPDATE flyway_schema_history SET version = '3' WHERE version = '2'",             // applied by a newer oxy-ops
            "UPDATE flyway_schema_history SET type = 'BASELINE', checksum = NULL WHERE version = '1'"); // adopted
        for (String change : changes) {
            String url = server.newDatabase();
            migrateUpTo(url, "latest");
            try (Connection connection = server.connect(url)) {
                OxyCli.execute(connection, change);
                assertEquals(Optional.empty(), SchemaHistory.plainState(connection), change);
                SchemaMigrations migrations = new SchemaMigrations(PostgresUrl.parse(url));
                assertEquals(migrations.state(), migrations.state(connection), change);
            }
        }
        String edited = server.newDatabase();
        migrateUpTo(edited, "latest");
        try (Connection connection = server.connect(edited)) {
            OxyCli.execute(connection, changes.get(0));
            SchemaMigrations.SchemaState state = new SchemaMigrations(PostgresUrl.parse(edited)).state(connection);
            assertEquals(List.of("V1 oxy app schema (V1__oxy_app_schema.sql) changed after it was applied"), state.drift());
        }
    }
}
