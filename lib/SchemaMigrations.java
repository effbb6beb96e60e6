//DEPS org.flywaydb:flyway-core:13.12.0
//DEPS org.flywaydb:flyway-database-postgresql:13.12.0
//FILES migrations/=../migrations/*.sql

import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * The app's schema, kept by Flyway from the SQL files in migrations/ (bundled into each script).
 * Flyway takes a PostgreSQL advisory lock while migrating, so two runners at once wait for each other.
 */
public final class SchemaMigrations {
    /** A migration that was applied, or would be. */
    public record Migration(String version, String description) {
        @Override
        public String toString() { return "V" + version + " " + description; }
    }

    /** Where the schema stands: what is applied, what is pending, and any file changed after it was applied. */
    public record SchemaState(String currentVersion, List<Migration> pending, List<String> drift) {
        public boolean current() { return pending.isEmpty() && drift.isEmpty(); }
    }

    private final PostgresUrl url;

    public SchemaMigrations(PostgresUrl url) { this.url = url; }

    private Flyway flyway() {
        return Flyway.configure(SchemaMigrations.class.getClassLoader())
            .dataSource(url.jdbcUrl(), url.user(), passwordOf(url))
            .locations("classpath:migrations")
            .validateMigrationNaming(true)
            .failOnMissingLocations(true) // a build without the bundled migrations must not look "up to date"
            .load();
    }

    /** Applies what is pending; returns what was applied (empty when the schema was already current). */
    public List<Migration> migrate() {
        try {
            MigrateResult result = flyway().migrate();
            return result.migrations.stream().map(m -> new Migration(m.version, m.description)).toList();
        } catch (FlywayException e) {
            throw new OxyError(ExitCode.SCHEMA_NOT_CURRENT, "applying the schema migrations failed: " + firstLine(e.getMessage()),
                "Nothing after the failing migration was applied; fix the cause and run again (--verbose shows details).", e);
        }
    }

    /** Reads the schema's state without changing anything. */
    public SchemaState state() {
        try {
            Flyway flyway = flyway();
            MigrationInfoService info = flyway.info();
            MigrationInfo current = info.current();
            List<Migration> pending = Arrays.stream(info.pending())
                .map(m -> new Migration(m.getVersion().getVersion(), m.getDescription())).toList();
            ValidateResult validation = flyway.validateWithResult();
            List<String> drift = validation.invalidMigrations.stream()
                .filter(m -> m.errorDetails != null && m.errorDetails.errorCode != null
                    && m.errorDetails.errorCode.toString().contains("CHECKSUM"))
                .map(m -> "V" + m.version + " " + m.filepath + " changed after it was applied").toList();
            return new SchemaState(current == null ? null : current.getVersion().getVersion(), pending, drift);
        } catch (FlywayException e) {
            throw new OxyError(ExitCode.SCHEMA_NOT_CURRENT, "reading the schema history failed: " + firstLine(e.getMessage()), null, e);
        }
    }

    // Flyway's configuration wants the password as a string; it never logs it
    private static String passwordOf(PostgresUrl url) {
        return url.connectionProperties().getProperty("password");
    }

    private static String firstLine(String text) {
        if (text == null) return "";
        return text.strip().lines().filter(line -> !line.isBlank() && !line.startsWith("-")).findFirst().orElse(text.strip());
    }
}
