import java.util.Locale;
import java.util.Map;

/**
 * Which schema migrate_sqlite moves into, decided once and said in one line. APP: the source is the app's own
 * file (it has SeaORM's seaql_migrations ledger, which every Oxy db.sqlite has) or the target is ours; our
 * migrations/ are applied first, but only to an empty or our own target. GENERIC: anything else; the file's own
 * tables move (--create-schema creates them) and the app's schema is never applied, whatever the tables are called.
 */
public record MigrationMode(Kind kind, String reason, SchemaOwner target) {

    public enum Kind { APP, GENERIC }

    /** requested: --mode, "auto" (or null) to decide from what is there. */
    public static MigrationMode decide(String requested, Map<String, SqliteSchema.Table> source, SchemaOwner target) {
        String asked = requested == null ? "auto" : requested.strip().toLowerCase(Locale.ROOT);
        switch (asked) {
            case "app": return new MigrationMode(Kind.APP, "--mode app", target);
            case "generic": return new MigrationMode(Kind.GENERIC, "--mode generic", target);
            case "auto": break;
            default: throw new OxyError(ExitCode.USAGE, "--mode is '" + requested + "', not app, generic or auto",
                "Leave it out to decide from the file and the target; app loads into the app's schema, generic moves the file's own.");
        }
        if (source.containsKey(SchemaOwner.APP_MIGRATOR_LEDGER)) {
            return new MigrationMode(Kind.APP, "the SQLite file has " + SchemaOwner.APP_MIGRATOR_LEDGER + ", the app's migration ledger", target);
        }
        if (target.kind() == SchemaOwner.Kind.OURS) return new MigrationMode(Kind.APP, "the target holds our schema", target);
        return new MigrationMode(Kind.GENERIC, "the SQLite file has no " + SchemaOwner.APP_MIGRATOR_LEDGER + " and the target is not ours", target);
    }

    /** Our migrations/ go only into the app's mode, and only where we may migrate (never a foreign schema). */
    public boolean appliesOurMigrations() { return kind == Kind.APP && target.mayMigrate(); }

    /** The one line said at the start: the mode, why, what the target is and what happens to its schema. */
    public String describe() {
        String what = kind == Kind.GENERIC
            ? "the file's own tables move (--create-schema creates the missing ones); the app's schema is not applied"
            : appliesOurMigrations() ? "our migrations/ are applied where pending"
            : "loading into its tables as they are; our migrations/ are not applied to a schema we did not make";
        return "Mode: " + kind.name().toLowerCase(Locale.ROOT) + " (" + reason + "); target " + target.describe() + ": " + what;
    }
}
