import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * What every load of a whole database ends with (restore, and upgrade's restore into the new server): exact row
 * counts against what the dump held, then migrations/ (only where the database is ours or empty), then quick
 * planner statistics. One place, so a restore and an upgrade check the same things in the same order.
 */
public final class PostLoadCheck {
    private final PostgresUrl loaded;
    private final String verb;
    private final Console console;

    /** verb: what the command did to the database, for the line about a foreign one ("restored", "moved"). */
    public PostLoadCheck(PostgresUrl loaded, String verb, Console console) {
        this.loaded = loaded;
        this.verb = verb;
        this.console = console;
    }

    /** The one line about a database the rule says is not ours to migrate; also the plans' line. */
    public static String asItIs(SchemaOwner owner, String verb) {
        return owner.describe() + ": " + verb + " as it is, migrations/ not applied";
    }

    /**
     * Row counts as expected (before migrations change anything), then migrations/ and ANALYZE. expectedFrom
     * names whose counts they are ("the manifest"); hint says what to do when they differ.
     */
    public void run(Map<String, Long> expected, String expectedFrom, String hint) {
        try (Connection connection = loaded.connect()) {
            if (expected != null) {
                RowCounts.requireMatching(expected, RowCounts.exact(connection), expectedFrom, hint);
                console.ok("Row counts match " + expectedFrom + " (" + RowCounts.total(expected) + " rows in " + expected.size() + " tables)");
            }
            applyMigrations(connection);
            analyze(connection);
            console.ok("Analyzed (statistics target 10; autovacuum refines them)");
        } catch (SQLException e) {
            throw loaded.unavailable(e);
        }
    }

    /** migrations/ only where the one rule (SchemaOwner) allows: an empty database or ours; a foreign one stays as it is. */
    private void applyMigrations(Connection connection) throws SQLException {
        SchemaOwner owner = SchemaOwner.ofDatabase(connection);
        if (!owner.mayMigrate()) {
            console.warn(asItIs(owner, verb));
            return;
        }
        List<SchemaMigrations.Migration> applied = new SchemaMigrations(loaded).migrate();
        applied.forEach(m -> console.ok("Applied migration " + m));
    }

    /**
     * The first stage of vacuumdb --analyze-in-stages: usable plans at once, autovacuum refines them. No tables
     * given: the whole database.
     */
    public static void analyze(Connection connection, String... tables) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET default_statistics_target = 10");
            if (tables.length == 0) statement.execute("ANALYZE");
            else for (String table : tables) statement.execute("ANALYZE " + table);
            statement.execute("RESET default_statistics_target");
        }
    }
}
