///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java
//COMPILE_OPTIONS -XDignore.symbol.file

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

/**
 * start: bring up PostgreSQL (docker, embedded or external), apply the schema migrations where the schema is
 * empty or ours (a foreign one is left alone, or adopted with --baseline), then run the app with OXY_DATABASE_URL set. Ctrl+C or SIGTERM stops the app, then PostgreSQL; a second one forces.
 */
@Command(name = "start", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = {
        "Start a migrated PostgreSQL and the Oxy app. Ctrl+C (or SIGTERM) stops the app, then PostgreSQL; data is kept.",
        "The app is the command after --, else $OXY_SERVE_COMMAND, else 'oxy serve' when oxy is on PATH."},
    footer = {"", "Examples:", "  ./jbang oxy start", "  ./jbang oxy start --detach", "  ./jbang oxy start -- ./my-app --flag",
        "  ./jbang oxy start --detach --baseline      # adopt tables migrations/ made without our history",
        "  OXY_NO_MIGRATIONS=true ./jbang oxy start   # the app runs its own migrator"})
public class start implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @Spec CommandSpec spec;

    @Option(names = "--timeout", converter = Cli.AtLeastOne.class, defaultValue = "30", paramLabel = "SECONDS",
        description = "How long to wait for PostgreSQL to accept queries (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = {"-d", "--detach"}, description = "Return once PostgreSQL is ready and migrated, leaving it running ('oxy stop' stops it).")
    boolean detach;

    @Option(names = "--baseline", description = "Adopt a schema whose tables match migrations/ but have no history of ours: "
        + "compared column by column first (any difference: refused, exit 8, nothing written), then a baseline is recorded.")
    boolean baseline;

    @Option(names = "--no-migrations", defaultValue = "${env:" + SchemaMigrations.OFF_VARIABLE + ":-false}",
        description = "Never touch the schema, for an app that runs its own migrator (env " + SchemaMigrations.OFF_VARIABLE + "=true).")
    boolean noMigrations;

    @Option(names = "--port", description = "Passed to 'oxy serve': the app's HTTP port.")
    Integer appPort;

    @Option(names = "--host", description = "Passed to 'oxy serve': the address the app listens on.")
    String appHost;

    @Option(names = "--readonly", description = "Passed to 'oxy serve'.")
    boolean readonly;

    @Option(names = "--http2-only", description = "Passed to 'oxy serve'.")
    boolean http2Only;

    @Option(names = "--stop-timeout", converter = Cli.AtLeastZero.class, defaultValue = "10", paramLabel = "SECONDS",
        description = "How long the app gets to exit after SIGTERM before it is killed (default ${DEFAULT-VALUE}).")
    int stopTimeoutSeconds;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "The app to run, after --.")
    List<String> appCommand = new ArrayList<>();

    private final Console console = Console.standard();
    private final ShutdownSignals signals = new ShutdownSignals();

    public static void main(String... args) {
        Cli.run(new start(), args);
    }

    /**
     * An upgrade killed mid-swap can leave the old server renamed and nothing under the usual name: starting
     * there would create an empty database. Say what to do instead.
     */
    private void refuseHalfSwappedUpgrade(DatabaseRuntime database) {
        if (!database.isLocal() || database.serverExists()) return;
        if (java.nio.file.Files.exists(UpgradeState.file(runtime, database.dockerEngine().isPresent()))) {
            throw new OxyError(ExitCode.DATA_NEEDS_ATTENTION, "an upgrade was interrupted while swapping the old and the new server",
                "Finish it with './jbang oxy upgrade --to <major>' or go back with './jbang oxy upgrade --rollback'; nothing was started.");
        }
    }

    @Override
    public Integer call() throws Exception {
        refuseDetachWithApp();
        refuseBaselineWithoutMigrations();
        DatabaseRuntime database = Runtimes.select(runtime);
        refuseHalfSwappedUpgrade(database);
        signals.install(() -> forceStop(database));
        boolean startedHere = database.start(console, Duration.ofSeconds(timeoutSeconds));
        PostgresUrl url = database.url();
        prepareSchema(url);
        if (detach) return reportDetached(database, url);
        if (signals.received()) return stopDatabase(database, startedHere, 0);
        List<String> app = appToRun();
        int exitCode;
        try {
            exitCode = app.isEmpty() ? keepDatabaseUp(url) : runApp(app, url);
        } catch (OxyError appFailed) {
            stopDatabase(database, startedHere, ExitCode.FAILED); // what this start started goes again
            throw appFailed;
        }
        return stopDatabase(database, startedHere, exitCode);
    }

    private void refuseDetachWithApp() {
        if (detach && !appCommand.isEmpty()) {
            throw new OxyError(ExitCode.USAGE, "--detach starts PostgreSQL only; it cannot run an app command too",
                "Run 'start --detach', then start the app yourself with OXY_DATABASE_URL set.");
        }
    }

    private void refuseBaselineWithoutMigrations() {
        if (baseline && noMigrations) {
            throw new OxyError(ExitCode.USAGE, "--baseline records our schema history, --no-migrations (or " + SchemaMigrations.OFF_VARIABLE
                + "=true) keeps off the schema: choose one", "Leave out one of them; nothing was started.");
        }
    }

    /** The one rule (SchemaOwner): migrations only where the schema is empty or ours; a foreign one is adopted only when asked. */
    private void prepareSchema(PostgresUrl url) {
        SchemaOwner owner = SchemaOwner.of(url);
        if (noMigrations) {
            console.info("Migrations are off (--no-migrations or " + SchemaMigrations.OFF_VARIABLE + "=true), the schema is the app's to keep: " + owner.describe());
            return;
        }
        if (owner.kind() == SchemaOwner.Kind.FOREIGN) {
            if (!baseline) {
                console.warn(owner.describe() + leftAlone(owner));
                return;
            }
            adopt(url, owner);
        } else if (baseline) {
            console.info("--baseline: nothing to adopt, " + owner.describe());
        }
        applyMigrations(url);
    }

    private static String leftAlone(SchemaOwner owner) {
        return owner.appMigrator()
            ? "; migrations/ not applied (--no-migrations or " + SchemaMigrations.OFF_VARIABLE + "=true says that is intended)"
            : "; not migrated, left as it is (if these are the app's tables, --baseline adopts them after checking them column by column;"
                + " otherwise give the app a database of its own)";
    }

    /** --baseline on a foreign schema: only when its tables are those migrations/ make, column by column; then later migrations apply. */
    private void adopt(PostgresUrl url, SchemaOwner owner) {
        if (owner.appMigrator()) {
            throw new OxyError(ExitCode.REFUSED, "--baseline: " + owner.describe() + "; adopting it would make two migrators keep one schema",
                "Leave it to the app: start --no-migrations (or " + SchemaMigrations.OFF_VARIABLE + "=true); nothing was written.");
        }
        SchemaComparison comparison = SchemaComparison.of(url);
        if (!comparison.matches()) {
            int count = comparison.differences().size();
            throw new OxyError(ExitCode.REFUSED, "--baseline: schema " + owner.schema() + " differs from migrations/ (up to V" + comparison.version() + ") in "
                + count + (count == 1 ? " place" : " places") + ", so it is not adopted",
                "Make the tables match migrations/, or leave --baseline out (start then leaves the schema alone); nothing was written.",
                comparison.firstDifferences(5), null);
        }
        new SchemaMigrations(url).baseline(comparison.version());
        console.ok("Adopted schema " + owner.schema() + ": its tables match migrations/ up to V" + comparison.version()
            + " column by column; recorded a baseline at V" + comparison.version());
        List<String> others = comparison.otherTables();
        if (!others.isEmpty()) {
            console.info(others.size() + (others.size() == 1 ? " other table is not the app's and stays as it is: "
                : " other tables are not the app's and stay as they are: ") + String.join(", ", others.subList(0, Math.min(10, others.size()))) + (others.size() > 10 ? ", ..." : ""));
        }
    }

    private void applyMigrations(PostgresUrl url) {
        List<SchemaMigrations.Migration> applied = new SchemaMigrations(url).migrate();
        if (applied.isEmpty()) {
            console.ok("Schema is up to date");
        } else {
            applied.forEach(migration -> console.ok("Applied migration " + migration));
        }
    }

    private int reportDetached(DatabaseRuntime database, PostgresUrl url) {
        console.ok("PostgreSQL is running (" + database.name() + "), detached");
        console.plain("  OXY_DATABASE_URL=" + url);
        if (!database.name().equals("external")) console.plain("  Stop it with: ./jbang oxy stop" + runtimeFlagsGiven());
        return ExitCode.OK;
    }

    /** The runtime flags given on this command line, so 'stop' finds the same server (never --url: it may hold a password). */
    private String runtimeFlagsGiven() {
        StringBuilder flags = new StringBuilder();
        for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
            String name = option.longestName();
            if (List.of("--runtime", "--container", "--volume", "--postgres-port", "--state-dir").contains(name)) {
                flags.append(" ").append(name).append(" ").append(Cli.shellQuote(option.originalStringValues().get(option.originalStringValues().size() - 1)));
            }
        }
        return flags.toString();
    }

    /** The command after --, else $OXY_SERVE_COMMAND (run by sh), else 'oxy serve' with the pass-through flags. */
    List<String> appToRun() {
        if (!appCommand.isEmpty()) return warnPassThroughIgnored(appCommand);
        String serveCommand = System.getenv("OXY_SERVE_COMMAND");
        if (serveCommand != null && !serveCommand.isBlank()) return warnPassThroughIgnored(List.of("sh", "-c", serveCommand));
        if (!Processes.onPath("oxy")) return List.of();
        List<String> serve = new ArrayList<>(List.of("oxy", "serve"));
        if (appPort != null) serve.addAll(List.of("--port", appPort.toString()));
        if (appHost != null) serve.addAll(List.of("--host", appHost));
        if (readonly) serve.add("--readonly");
        if (http2Only) serve.add("--http2-only");
        return serve;
    }

    private List<String> warnPassThroughIgnored(List<String> command) {
        if (appPort != null || appHost != null || readonly || http2Only) {
            console.warn("--port, --host, --readonly and --http2-only are for 'oxy serve'; pass them in your own command instead");
        }
        return command;
    }

    private int keepDatabaseUp(PostgresUrl url) throws InterruptedException {
        console.info("No app to run (no command after --, no OXY_SERVE_COMMAND, no 'oxy' on PATH); keeping PostgreSQL up.");
        console.plain("  OXY_DATABASE_URL=" + url);
        console.plain("  Press Ctrl+C to stop.");
        signals.await();
        return ExitCode.OK;
    }

    private int runApp(List<String> command, PostgresUrl url) throws Exception {
        console.step("Starting the app: " + String.join(" ", command));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("OXY_DATABASE_URL", url.secret());
        Process app;
        try {
            app = builder.start();
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot run the app '" + command.get(0) + "': "
                + String.valueOf(e.getMessage()).replaceFirst("^Cannot run program \"[^\"]*\"(: )?", "").replaceFirst("^error=\\d+, ", ""),
                "Check the command after -- (or OXY_SERVE_COMMAND): is it installed, on PATH, executable? PostgreSQL was stopped again.", e);
        }
        signals.onForce(app::destroyForcibly);
        while (!signals.awaitFor(200) && app.isAlive()) {
            // wait for the app to exit or for Ctrl+C / SIGTERM
        }
        if (!app.isAlive()) {
            int code = app.exitValue();
            if (code != 0) console.warn("the app exited with code " + code);
            return code;
        }
        console.step("Stopping the app (SIGTERM, up to " + stopTimeoutSeconds + " s)");
        app.destroy();
        if (!app.waitFor(stopTimeoutSeconds, TimeUnit.SECONDS)) {
            console.warn("the app did not exit in " + stopTimeoutSeconds + " s; killing it");
            app.destroyForcibly().waitFor();
        }
        console.ok("App stopped");
        return ExitCode.OK;
    }

    private int stopDatabase(DatabaseRuntime database, boolean startedHere, int exitCode) {
        if (startedHere) {
            database.stop(console);
        } else if (!database.name().equals("external")) {
            console.info("PostgreSQL was already running before this start; leaving it up ('./jbang oxy stop' stops it).");
        }
        return exitCode;
    }

    private void forceStop(DatabaseRuntime database) {
        console.warn("second interrupt: stopping now");
        database.stopNow();
        Runtime.getRuntime().halt(ExitCode.INTERRUPTED);
    }

    /** Ctrl+C and SIGTERM: the first asks for a clean stop, the second forces one. */
    static final class ShutdownSignals {
        private final CountDownLatch requested = new CountDownLatch(1);
        private final AtomicInteger count = new AtomicInteger();
        private final List<Runnable> onForce = new java.util.concurrent.CopyOnWriteArrayList<>();

        void install(Runnable force) {
            onForce.add(force);
            for (String name : List.of("INT", "TERM")) {
                Signal.handle(new Signal(name), signal -> {
                    if (count.incrementAndGet() == 1) {
                        requested.countDown();
                    } else {
                        // the app first (registered last), then the database and the exit
                        List<Runnable> actions = new ArrayList<>(onForce);
                        java.util.Collections.reverse(actions);
                        actions.forEach(Runnable::run);
                    }
                });
            }
        }

        void onForce(Runnable action) { onForce.add(action); }

        boolean received() { return requested.getCount() == 0; }

        void await() throws InterruptedException { requested.await(); }

        boolean awaitFor(long millis) throws InterruptedException { return requested.await(millis, TimeUnit.MILLISECONDS); }
    }
}
