//FILES migrations/=../../migrations/*.sql

import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The app's schema, kept by Flyway from the SQL files in migrations/ (bundled into each script).
 * Flyway takes a PostgreSQL advisory lock while migrating, so two runners at once wait for each other.
 */
public final class SchemaMigrations {
    /** A migration that was applied, or would be; script is its file name under migrations/. */
    public record Migration(String version, String description, String script) {
        @Override
        public String toString() { return "V" + version + " " + description; }
    }

    /** Where the schema stands: what is applied, what is pending, and any file changed after it was applied. */
    public record SchemaState(String currentVersion, List<Migration> pending, List<String> drift) {
        public boolean current() { return pending.isEmpty() && drift.isEmpty(); }
    }

    /** OXY_NO_MIGRATIONS=true: the app runs its own migrator; start never touches the schema, status counts nothing pending. */
    public static final String OFF_VARIABLE = "OXY_NO_MIGRATIONS";

    /** true or false as start's --no-migrations reads it (picocli's boolean); any other value is a usage error, not "on". */
    public static boolean offByEnvironment() {
        String value = System.getenv(OFF_VARIABLE);
        if (value == null || value.isBlank() || value.equalsIgnoreCase("false")) return false;
        if (value.equalsIgnoreCase("true")) return true;
        throw new OxyError(ExitCode.USAGE, OFF_VARIABLE + "=" + value + " is neither true nor false", "Set it to true or false, or unset it.");
    }

    private final PostgresUrl url;

    public SchemaMigrations(PostgresUrl url) { this.url = url; }

    private Flyway flyway() { return configuration().load(); }

    private FluentConfiguration configuration() {
        return Flyway.configure(SchemaMigrations.class.getClassLoader())
            .dataSource(url.jdbcUrl(), url.user(), passwordOf(url))
            .locations("classpath:migrations")
            .validateMigrationNaming(true)
            .failOnMissingLocations(true); // a build without the bundled migrations must not look "up to date"
    }

    /** Applies what is pending; returns what was applied (empty when the schema was already current). */
    public List<Migration> migrate() {
        try {
            MigrateResult result = flyway().migrate();
            return result.migrations.stream()
                .map(m -> new Migration(m.version, m.description, java.nio.file.Path.of(m.filepath).getFileName().toString())).toList();
        } catch (FlywayException e) {
            throw new OxyError(ExitCode.SCHEMA_NOT_CURRENT, "applying the schema migrations failed: " + firstLine(e.getMessage()),
                "Nothing after the failing migration was applied; fix the cause and run again (--verbose shows details).", e);
        }
    }

    /**
     * Adopts a schema whose tables migrations/ up to this version made without Flyway (checked first with
     * SchemaComparison): records a baseline row at that version, so only later migrations are applied to it.
     */
    public void baseline(String version) {
        try {
            configuration().baselineVersion(version).baselineDescription("adopted by oxy-ops start --baseline").load().baseline();
        } catch (FlywayException e) {
            throw new OxyError(ExitCode.FAILED, "recording the schema baseline failed: " + firstLine(e.getMessage()),
                "Nothing was applied; run again (--verbose shows details).", e);
        }
    }

    /** Reads the schema's state without changing anything (one pass: Flyway's info, no separate validate). */
    public SchemaState state() {
        try {
            MigrationInfoService info = flyway().info();
            MigrationInfo current = info.current();
            List<Migration> pending = Arrays.stream(info.pending())
                .map(m -> new Migration(m.getVersion().getVersion(), m.getDescription(), m.getScript())).toList();
            List<String> drift = Arrays.stream(info.applied()).map(SchemaMigrations::driftOf).filter(d -> d != null).toList();
            return new SchemaState(current == null ? null : current.getVersion().getVersion(), pending, drift);
        } catch (FlywayException e) {
            throw new OxyError(ExitCode.SCHEMA_NOT_CURRENT, "reading the schema history failed: " + firstLine(e.getMessage()), null, e);
        }
    }

    /**
     * The same, read on the caller's connection when the history is plain (SchemaHistory: no Flyway set-up, no second
     * connection); Flyway's info, with its rules, for anything else.
     */
    public SchemaState state(java.sql.Connection connection) {
        try {
            java.util.Optional<SchemaState> plain = SchemaHistory.plainState(connection);
            if (plain.isPresent()) return plain.get();
        } catch (java.sql.SQLException unreadable) {
            // Flyway reads it again and says what is wrong
        }
        return state();
    }

    /** Why an applied migration no longer matches the bundled files, or null when it does. */
    private static String driftOf(MigrationInfo applied) {
        String name = "V" + (applied.getVersion() == null ? "?" : applied.getVersion().getVersion()) + " " + applied.getDescription();
        return switch (applied.getState()) {
            case FUTURE_SUCCESS, FUTURE_FAILED -> name + " was applied by a newer oxy-ops";
            case MISSING_SUCCESS, MISSING_FAILED -> name + " was applied but is no longer in migrations/";
            default -> applied.getResolvedChecksum() != null && !applied.isChecksumMatching()
                ? name + " (" + applied.getScript() + ") changed after it was applied" : null;
        };
    }

    /** The newest applied version in flyway_schema_history, read on a connection (inside a snapshot, for backups). */
    public static java.util.Optional<String> appliedVersion(java.sql.Connection connection) throws java.sql.SQLException {
        try (java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet exists = statement.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
            exists.next();
            if (!exists.getBoolean(1)) return java.util.Optional.empty();
        }
        try (java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet version = statement.executeQuery(
                 "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
            return version.next() ? java.util.Optional.of(version.getString(1)) : java.util.Optional.empty();
        }
    }

    /** The SQL of migrations as bundled, in order: for running them inside a transaction that will be rolled back (a dry run), and for their checksums. */
    public static List<String> scriptsOf(List<Migration> migrations) {
        return migrations.stream().map(migration -> {
            try (var in = SchemaMigrations.class.getResourceAsStream("/migrations/" + migration.script())) {
                if (in == null) throw new OxyError(ExitCode.FAILED, "migration " + migration.script() + " is not bundled", null);
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new OxyError(ExitCode.FAILED, "cannot read migration " + migration.script() + ": " + e.getMessage(), null, e);
            }
        }).toList();
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
