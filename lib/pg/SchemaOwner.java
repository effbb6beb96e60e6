import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;

/**
 * Whose the app's schema in a database is, the one rule every command follows before it writes: EMPTY (no
 * tables in it), OURS (our Flyway history is there) or FOREIGN (anything else: made by the app's own migrator,
 * by another program, or holding other apps' tables). Migrations are applied only to EMPTY and OURS; a FOREIGN
 * database is never written to implicitly.
 *
 * @param tables       tables in the schema, our history table not counted
 * @param appMigrator  the app's own migrator (SeaORM) keeps its ledger there: seaql_migrations
 * @param ourVersion   the newest of our migrations applied, when the schema is OURS
 * @param elsewhere    tables in the database's other schemas, counted only by ofDatabase
 */
public record SchemaOwner(Kind kind, String schema, int tables, boolean appMigrator, Optional<String> ourVersion, int elsewhere) {

    public enum Kind {
        EMPTY, OURS, FOREIGN;

        /** As --json and the README write it: empty, ours, foreign. */
        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /** SeaORM's ledger table: its presence means the app's own migrator made (or manages) the schema. */
    public static final String APP_MIGRATOR_LEDGER = "seaql_migrations";

    /** The tables in the connection's current schema (a partitioned one once), by name; reads only. */
    public static java.util.SortedSet<String> tablesIn(Connection connection) throws SQLException {
        java.util.SortedSet<String> tables = new java.util.TreeSet<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(
                 "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     + "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition")) {
            while (rows.next()) tables.add(rows.getString(1));
        }
        return tables;
    }

    /** Looks at the connection's current schema; reads only. */
    public static SchemaOwner of(Connection connection) throws SQLException {
        String schema;
        try (Statement statement = connection.createStatement(); ResultSet current = statement.executeQuery("SELECT current_schema()")) {
            current.next();
            schema = current.getString(1);
        }
        java.util.SortedSet<String> names = tablesIn(connection);
        boolean ledger = names.contains(APP_MIGRATOR_LEDGER);
        int tables = names.size() - (names.contains("flyway_schema_history") ? 1 : 0);
        Optional<String> ours = SchemaMigrations.appliedVersion(connection);
        Kind kind = ours.isPresent() ? Kind.OURS : tables == 0 ? Kind.EMPTY : Kind.FOREIGN;
        return new SchemaOwner(kind, schema, tables, ledger, ours, 0);
    }

    /**
     * For a whole database moved as it is (restore, upgrade): an empty schema in a database whose tables all live in
     * other schemas is not empty for us, since pg_dump does not carry the database's search_path. Reads only.
     */
    public static SchemaOwner ofDatabase(Connection connection) throws SQLException {
        SchemaOwner inSchema = of(connection);
        if (inSchema.kind != Kind.EMPTY) return inSchema;
        int elsewhere = RowCounts.tables(connection).size(); // the schema is empty: every user table is elsewhere
        return elsewhere == 0 ? inSchema : new SchemaOwner(Kind.FOREIGN, inSchema.schema, 0, false, Optional.empty(), elsewhere);
    }

    /** Connects, looks, disconnects. */
    public static SchemaOwner of(PostgresUrl url) {
        try (Connection connection = url.connect()) {
            return of(connection);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /** ofDatabase, connecting and disconnecting. */
    public static SchemaOwner ofDatabase(PostgresUrl url) {
        try (Connection connection = url.connect()) {
            return ofDatabase(connection);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    public boolean mayMigrate() { return kind != Kind.FOREIGN; }

    /** One line for the user: what was found. */
    public String describe() {
        return switch (kind) {
            case EMPTY -> "schema " + schema + " is empty";
            case OURS -> "schema " + schema + " is ours (migrations/ up to V" + ourVersion.orElse("?") + ", " + tables + " tables)";
            case FOREIGN -> tables == 0 && elsewhere > 0
                ? "schema " + schema + " is empty, and the database holds " + elsewhere + (elsewhere == 1 ? " table" : " tables") + " in other schemas and no oxy-ops schema history"
                : "schema " + schema + " holds " + tables + (tables == 1 ? " table" : " tables") + " and no oxy-ops schema history"
                + (appMigrator ? " (" + APP_MIGRATOR_LEDGER + ": managed by the app's own migrator)" : "");
        };
    }
}
