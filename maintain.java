///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * maintain: the steps of a maintenance window, each safe to interrupt (Ctrl+C cancels the statement on the
 * server): REINDEX CONCURRENTLY, after cleaning up what an interrupted one left; VACUUM (ANALYZE) with progress.
 */
@Command(name = "maintain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Maintenance-window steps that keep the app running: rebuild indexes (REINDEX CONCURRENTLY) or VACUUM (ANALYZE) with progress.",
    footer = {"", "Exit codes: 0 done; 2 bad option or no such table/index; 3 database does not answer;",
        "            8 refused (PostgreSQL before 12 has no REINDEX CONCURRENTLY; an index build runs on the table now); 130 interrupted.",
        "", "Examples:", "  ./jbang oxy maintain --reindex                  # every table; drops invalid leftovers first",
        "  ./jbang oxy maintain --reindex public.messages", "  ./jbang oxy maintain --vacuum public.messages --cost-delay 2",
        "  ./jbang oxy maintain --vacuum --dry-run"})
public class maintain implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Step step;

    static class Step {
        @Option(names = "--reindex", arity = "0..1", fallbackValue = "", paramLabel = "TABLE|INDEX",
            description = "REINDEX CONCURRENTLY the table, the index, or (without a name) every table, one at a time; invalid leftovers of an interrupted run are dropped first.")
        String reindex;

        @Option(names = "--vacuum", arity = "0..1", fallbackValue = "", paramLabel = "TABLE",
            description = "VACUUM (ANALYZE) the table or (without a name) every table, largest first, with progress from pg_stat_progress_vacuum.")
        String vacuum;
    }

    @Option(names = "--cost-delay", paramLabel = "MS", defaultValue = "0", converter = Cli.AtLeastZero.class,
        description = "Throttle VACUUM: vacuum_cost_delay in milliseconds for this session (default ${DEFAULT-VALUE}: full speed; 2 is autovacuum's).")
    int costDelay;

    @Option(names = "--dry-run", description = "Say what would be dropped, rebuilt or vacuumed; change nothing.")
    boolean dryRun;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors.")
    boolean quiet;

    public static void main(String... args) {
        Cli.run(new maintain(), args);
    }

    @Override
    public Integer call() {
        Console console = Console.standard().quiet(quiet);
        PostgresUrl url = Runtimes.select(runtime).url();
        try (Connection session = url.connect()) {
            if (step.reindex != null) reindex(console, session);
            else vacuum(console, session, url);
            return ExitCode.OK;
        } catch (SQLException e) {
            if ("57014".equals(e.getSQLState())) throw new OxyError(ExitCode.INTERRUPTED, "cancelled: " + e.getMessage(), null, e);
            if (e.getSQLState() != null && (e.getSQLState().startsWith("08") || "28P01".equals(e.getSQLState()))) throw url.unavailable(e);
            throw new OxyError(ExitCode.FAILED, e.getMessage(), "Nothing after the step that failed was done; run again once it is fixed.", e);
        }
    }

    // --- reindex ---

    private void reindex(Console console, Connection session) throws SQLException {
        int version = Integer.parseInt(MaintenanceSql.strings(session, "SHOW server_version_num").get(0));
        if (version < 120000) {
            throw new OxyError(ExitCode.REFUSED, "PostgreSQL before 12 has no REINDEX CONCURRENTLY; a plain REINDEX blocks writes to the table",
                "Rebuild in a window with the app stopped (REINDEX TABLE ...), or upgrade: ./jbang oxy upgrade. Nothing was done.");
        }
        MaintenanceTarget target = MaintenanceTarget.resolve(session, step.reindex, true);
        List<String> running = Reindex.buildsRunning(session, target);
        if (!running.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, "an index build runs on " + target.describe() + " now: " + String.join(", ", running),
                "Let it finish (or cancel it: ./jbang oxy doctor --cancel PID), then run again. Nothing was done.");
        }
        List<Reindex.Leftover> invalid = Reindex.invalidIndexes(session, target);
        console.step((dryRun ? "Would rebuild " : "Rebuilding ") + target.describe() + " with REINDEX CONCURRENTLY (writes go on)");
        for (Reindex.Leftover leftover : invalid) {
            if (!leftover.fromReindex()) {
                console.info(leftover.index() + " on " + leftover.table() + " is invalid (an interrupted CREATE INDEX CONCURRENTLY?): the REINDEX rebuilds it");
                continue;
            }
            if (dryRun) {
                console.info("would drop " + leftover.index() + ": left invalid by an interrupted REINDEX CONCURRENTLY");
                continue;
            }
            Reindex.dropLeftover(session, leftover);
            console.ok("Dropped " + leftover.index() + ": an interrupted REINDEX CONCURRENTLY left it invalid (it was written to, never read)");
        }
        List<String> names = target.kind() == MaintenanceTarget.Kind.INDEX ? List.of(target.name()) : target.tables();
        int done = 0;
        for (String name : names) {
            done++;
            if (dryRun) {
                console.info("would run REINDEX " + (target.kind() == MaintenanceTarget.Kind.INDEX ? "INDEX" : "TABLE") + " CONCURRENTLY " + name);
                continue;
            }
            long started = System.nanoTime();
            Reindex.rebuild(session, target.kind(), name, () -> Console.standard().warn("interrupted while rebuilding " + name
                + ": its new index copy is left invalid (..._ccnew); ./jbang oxy maintain --reindex " + name + " drops it and rebuilds"));
            console.ok("Rebuilt " + name + " (" + done + "/" + names.size() + ", " + seconds(started) + ")");
        }
    }

    // --- vacuum ---

    private void vacuum(Console console, Connection session, PostgresUrl url) throws SQLException {
        MaintenanceTarget target = MaintenanceTarget.resolve(session, step.vacuum, false);
        console.step((dryRun ? "Would VACUUM (ANALYZE) " : "VACUUM (ANALYZE) ") + target.describe() + (costDelay > 0 ? ", vacuum_cost_delay " + costDelay + " ms" : ""));
        if (dryRun) {
            for (String table : target.tables()) console.info("would vacuum " + table + " (" + Vacuum.deadRows(session, table) + " dead rows)");
            return;
        }
        try (Connection watcher = url.connect()) {
            for (String table : target.tables()) {
                long deadBefore = Vacuum.deadRows(session, table);
                long started = System.nanoTime();
                Vacuum.run(session, watcher, table, costDelay, progress -> console.info("  " + table + ": " + progress.describe()),
                    () -> Console.standard().warn("interrupted while vacuuming " + table + ": the pages it cleaned stay clean; run it again to finish"));
                console.ok("Vacuumed and analyzed " + table + " in " + seconds(started) + ": dead rows " + deadBefore + " before, "
                    + Vacuum.deadRows(session, table) + " after");
            }
        }
    }

    private static String seconds(long startedNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", (System.nanoTime() - startedNanos) / 1e9);
    }
}
