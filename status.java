///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * status: is Docker there, is PostgreSQL running, does the database answer, is the schema current; and
 * for each thing that is wrong, what to do about it. Exit 0 when the database answers and its schema is current,
 * or is not ours to count (foreign, or empty for an app with its own migrator).
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Show Docker, PostgreSQL, database and schema state, with troubleshooting steps for whatever is wrong.",
    footer = {"", "Exit codes: 0 database answers, schema current (or foreign: not ours to count,",
        "            advice given; or empty with " + SchemaMigrations.OFF_VARIABLE + "=true);",
        "            3 database does not answer; 4 schema empty or ours and not current;",
        "            5 Docker runtime asked for but unavailable.",
        "", "Examples:", "  ./jbang oxy status", "  ./jbang oxy status --json | jq .database.connected"})
public class status implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;

    @Option(names = "--json", description = "Print one JSON object (for scripts and monitoring) instead of text.")
    boolean json;

    private final List<String> troubles = new ArrayList<>();

    public static void main(String... args) {
        Cli.run(new status(), args);
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        DatabaseRuntime database;
        try {
            database = Runtimes.select(runtime);
        } catch (OxyError e) {
            if (e.exitCode() != ExitCode.DOCKER_UNAVAILABLE) throw e;
            report.put("docker", dockerFacts(Optional.empty(), e));
            report.put("runtime", "docker");
            troubles.add(e.getMessage() + ".");
            troubles.add(e.hint());
            return print(report, ExitCode.DOCKER_UNAVAILABLE);
        }
        // Docker matters to the local runtimes only; an external URL never needs it. The daemon is pinged beside the
        // database checks below (the report keeps its place for it)
        Optional<DockerEngine> engine = database.dockerEngine();
        CompletableFuture<Map<String, Object>> docker = null;
        if (engine.isPresent()) {
            report.put("docker", dockerFacts(engine, null));
        } else if (database.isLocal()) {
            report.put("docker", null);
            docker = CompletableFuture.supplyAsync(status::pingDocker);
        }
        report.put("runtime", database.name());
        DatabaseRuntime.Report runtimeReport = database.report();
        Map<String, Object> postgres = new LinkedHashMap<>();
        postgres.put("running", runtimeReport.running());
        postgres.putAll(runtimeReport.facts());
        report.put("postgres", postgres);
        troubles.addAll(runtimeReport.troubles());
        PostgresUrl url = database.url();
        int schemaExitCode = ExitCode.DATABASE_UNAVAILABLE;
        // one session for every check: each connection is a handshake (SCRAM) on both sides
        try (Connection session = checkDatabase(report, url, runtimeReport.running())) {
            if (session != null) {
                warnOfUpgradeSlots(session);
                schemaExitCode = checkSchema(report, url, session);
            }
        }
        if (docker != null) report.put("docker", Cli.join(docker));
        reportBackups(report, url.database());
        reportPendingUpgrade(report, database);
        report.put("commands", runtimeReport.commands());
        return print(report, schemaExitCode);
    }

    private static Map<String, Object> pingDocker() {
        try {
            return dockerFacts(Optional.of(DockerEngine.connect()), null);
        } catch (OxyError e) {
            return dockerFacts(Optional.empty(), e);
        }
    }

    private static Map<String, Object> dockerFacts(Optional<DockerEngine> engine, OxyError unavailable) {
        Map<String, Object> docker = new LinkedHashMap<>();
        docker.put("available", engine.isPresent());
        engine.ifPresent(e -> {
            docker.put("version", e.version());
            docker.put("host", e.host());
        });
        if (unavailable != null) {
            docker.put("error", unavailable.getMessage());
            docker.put("hint", unavailable.hint());
        }
        return docker;
    }

    /** The session the other checks use, open; null when the database does not answer (what is wrong is in the report). */
    private Connection checkDatabase(Map<String, Object> report, PostgresUrl url, boolean runtimeRunning) {
        Map<String, Object> database = new LinkedHashMap<>();
        report.put("database", database);
        database.put("url", url.toString());
        if (!runtimeRunning) {
            database.put("connected", false);
            database.put("error", "PostgreSQL is not running");
            return null;
        }
        Connection connection = null;
        try {
            connection = url.connect();
            try (Statement statement = connection.createStatement();
                 ResultSet result = statement.executeQuery("SELECT current_setting('server_version'), pg_database_size(current_database())")) {
                result.next();
                database.put("connected", true);
                database.put("serverVersion", result.getString(1));
                database.put("sizeBytes", result.getLong(2));
            }
            return connection;
        } catch (SQLException e) {
            closeQuietly(connection);
            OxyError reason = url.unavailable(e);
            database.put("connected", false);
            database.put("error", reason.getMessage());
            troubles.add(reason.getMessage() + ".");
            troubles.add(reason.hint());
            return null;
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) return;
        try {
            connection.close();
        } catch (SQLException ignored) {
            // what went wrong is reported already
        }
    }

    /** A replication slot an upgrade --method replicate left (oxy_upgrade…) keeps WAL until the disk is full: named with what it keeps. */
    private void warnOfUpgradeSlots(Connection connection) {
        try {
            List<String> slots = LogicalReplication.slotsRetainingWal(connection);
            if (slots.isEmpty()) return;
            troubles.add("Replication slot(s) of an unfinished upgrade --method replicate keep WAL on this server: " + String.join("; ", slots) + ".");
            boolean wayBackOnly = slots.stream().allMatch(slot -> slot.startsWith(LogicalReplication.BACK + ":"));
            troubles.add((wayBackOnly ? "The way back to the old server until './jbang oxy upgrade --finalize' (or '--rollback'), which removes it"
                : "Run the upgrade again or './jbang oxy upgrade --rollback': either removes them")
                + " (or, as a superuser: SELECT pg_drop_replication_slot('<name>')).");
        } catch (SQLException olderThan10) {
            // PostgreSQL before 10 has no pg_current_wal_lsn, and no slot of ours: upgrade --method replicate needs 10 or newer
        }
    }

    /**
     * Whose the schema is decides what is wrong with it: empty or ours is measured against migrations/ (exit 4 when
     * something is pending or drifted); a foreign one is not ours to count, so it is reported with advice, exit 0.
     */
    private int checkSchema(Map<String, Object> report, PostgresUrl url, Connection session) {
        Map<String, Object> schema = new LinkedHashMap<>();
        report.put("schema", schema);
        SchemaOwner owner;
        try {
            owner = SchemaOwner.of(session);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
        boolean migrationsOff = SchemaMigrations.offByEnvironment();
        schema.put("managed", owner.kind().label());
        schema.put("description", owner.describe());
        schema.put("tables", owner.tables());
        schema.put("appMigrator", owner.appMigrator());
        if (migrationsOff) schema.put("migrations", "off");
        if (owner.kind() == SchemaOwner.Kind.FOREIGN) {
            adviseForeign(schema, owner, url, session, migrationsOff, "external".equals(report.get("runtime")) ? "another database in --url" : "--database NAME");
            return ExitCode.OK;
        }
        if (owner.kind() == SchemaOwner.Kind.EMPTY && migrationsOff) return ExitCode.OK; // the app's own migrator makes it
        SchemaMigrations.SchemaState state = new SchemaMigrations(url).state(session);
        schema.put("version", state.currentVersion());
        schema.put("pending", state.pending().size());
        schema.put("pendingMigrations", state.pending().stream().map(Object::toString).toList());
        schema.put("drift", state.drift());
        if (!state.pending().isEmpty()) {
            troubles.add(state.pending().size() + " schema migration(s) pending: " + state.pending());
            troubles.add("Apply them: " + (migrationsOff ? SchemaMigrations.OFF_VARIABLE + "=false " : "") + "./jbang oxy start --detach (applies migrations and returns).");
        }
        if (!state.drift().isEmpty()) {
            troubles.add("Schema drift: " + String.join("; ", state.drift()) + ".");
            troubles.add("A migration file was edited after it ran; restore the original file (git checkout migrations/).");
        }
        return state.current() ? ExitCode.OK : ExitCode.SCHEMA_NOT_CURRENT;
    }

    /**
     * A foreign schema gets advice that works when followed, never 'start' to migrate it (start leaves it alone):
     * adopt it when its tables match migrations/ (compared with the columns kept beside them: status only reads), else leave it be.
     */
    private void adviseForeign(Map<String, Object> schema, SchemaOwner owner, PostgresUrl url, Connection session,
                               boolean migrationsOff, String otherDatabase) {
        if (owner.appMigrator()) {
            if (!migrationsOff) {
                troubles.add("The app's own migrator keeps schema " + owner.schema() + "; start leaves it to that migrator and applies nothing.");
                troubles.add("To say that is intended (and silence this): " + SchemaMigrations.OFF_VARIABLE + "=true.");
            }
            return;
        }
        SchemaComparison comparison;
        try {
            comparison = SchemaComparison.of(url, new SchemaMigrations(url).state(session).pending());
        } catch (OxyError cannotCompare) { // e.g. Flyway cannot read the schema: advise without the comparison
            schema.put("comparisonError", cannotCompare.getMessage());
            troubles.add("Schema " + owner.schema() + " was not made by oxy-ops; start leaves it alone (" + cannotCompare.getMessage() + ").");
            troubles.add("If its tables are the app's, ./jbang oxy start --detach --baseline checks them column by column and adopts them;"
                + " otherwise give the app a database of its own (" + otherDatabase + ").");
            return;
        }
        schema.put("matchesMigrations", comparison.matches());
        schema.put("comparedWith", comparison.version());
        schema.put("differences", comparison.differences().size());
        schema.put("otherTables", comparison.otherTables());
        if (comparison.matches()) {
            troubles.add("The tables of schema " + owner.schema() + " match migrations/ up to V" + comparison.version() + " column by column, but oxy-ops has no history of them.");
            troubles.add("Adopt them: ./jbang oxy start --detach --baseline (records a baseline, so later migrations apply).");
        } else if (comparison.appTables() == 0) {
            troubles.add("Schema " + owner.schema() + " holds another program's tables (none of the app's); start leaves them alone.");
            troubles.add("Give the app a database of its own: " + otherDatabase + ".");
        } else {
            troubles.add("The tables of schema " + owner.schema() + " differ from migrations/ (up to V" + comparison.version() + ") in " + comparison.differences().size()
                + " place(s), e.g. " + comparison.differences().get(0) + "; start leaves them alone.");
            troubles.add("Make them match migrations/, then adopt them: ./jbang oxy start --detach --baseline; or give the app a database of its own ("
                + otherDatabase + ").");
        }
    }

    /** The newest backup of this database, when a backup directory exists (or OXY_BACKUP_TO names a store); informative, never an exit code. */
    private void reportBackups(Map<String, Object> report, String database) {
        String remote = BackupLocationOption.chosen(null);
        if (S3Location.isS3(remote)) {
            reportRemoteBackups(report, database, remote);
            return;
        }
        BackupStore store = BackupStore.at(BackupStore.defaultDirectory(null, runtime));
        if (!java.nio.file.Files.isDirectory(store.directory())) return;
        Map<String, Object> backups = new LinkedHashMap<>();
        report.put("backups", backups);
        backups.put("directory", store.directory().toString());
        try {
            putNewest(backups, store.list().stream().filter(BackupStore.Entry::present).map(BackupStore.Entry::manifest).toList(), database);
        } catch (OxyError refused) { // e.g. a manifest naming files outside the directory: said, not fatal here
            backups.put("problem", refused.getMessage());
        }
    }

    /** The same for backups in object storage (the store is asked only when OXY_BACKUP_TO names one). */
    private void reportRemoteBackups(Map<String, Object> report, String database, String where) {
        Map<String, Object> backups = new LinkedHashMap<>();
        report.put("backups", backups);
        backups.put("directory", where);
        try (S3Backups store = S3Backups.connect(S3Options.fromEnvironment(where))) {
            putNewest(backups, store.list().stream().filter(S3Backups.Entry::present).map(S3Backups.Entry::manifest).toList(), database);
        } catch (OxyError refused) { // the store is down or refuses us: said, not fatal here
            backups.put("problem", refused.getMessage());
        }
    }

    private static void putNewest(Map<String, Object> backups, List<BackupManifest> newestFirst, String database) {
        List<BackupManifest> ours = newestFirst.stream().filter(m -> database.equals(m.database())).toList();
        backups.put("count", ours.size());
        if (ours.isEmpty()) return;
        BackupManifest newest = ours.get(0);
        backups.put("newest", newest.name());
        backups.put("ageSeconds", java.time.Duration.between(newest.finishedAt(), java.time.Instant.now()).toSeconds());
        backups.put("sizeBytes", newest.bytes());
        backups.put("verification", newest.verification());
    }

    /** An upgrade that was started and not finalized or rolled back (its state file is in the state dir). */
    private void reportPendingUpgrade(Map<String, Object> report, DatabaseRuntime database) {
        java.nio.file.Path file = UpgradeState.file(runtime, database.dockerEngine().isPresent());
        try {
            UpgradeState state = UpgradeState.read(file).orElse(null);
            if (state == null) return;
            Map<String, Object> upgrade = new LinkedHashMap<>();
            upgrade.put("from", state.fromImage());
            upgrade.put("to", state.toImage());
            upgrade.put("done", state.done());
            upgrade.put("keptOldData", state.swapped() ? state.kept() : state.from());
            report.put("upgrade", upgrade);
            troubles.add(state.swapped()
                ? "The upgrade to " + state.toImage() + " is done but not finalized; the old PostgreSQL " + state.fromMajor() + " data is kept in " + state.kept() + "."
                : "An upgrade to " + state.toImage() + " was interrupted; the old data in " + state.from() + " is untouched.");
            troubles.add(state.swapped() ? "Check the app, then: ./jbang oxy upgrade --finalize   (or --rollback)"
                : "Resume it: ./jbang oxy upgrade --to " + state.toMajor() + "   (or --rollback)");
        } catch (java.io.IOException e) {
            troubles.add("Unreadable upgrade state " + file + " (" + e.getMessage() + ").");
        }
    }

    private int print(Map<String, Object> report, int exitCode) throws Exception {
        report.put("troubleshooting", troubles);
        report.put("exitCode", exitCode);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        } else {
            printText(report);
        }
        return exitCode;
    }

    @SuppressWarnings("unchecked")
    private void printText(Map<String, Object> report) {
        Console console = Console.standard();
        Map<String, Object> docker = (Map<String, Object>) report.get("docker");
        if (docker != null) {
            console.plain("Docker");
            if (Boolean.TRUE.equals(docker.get("available"))) {
                console.ok("Docker " + docker.get("version") + " is running (" + docker.get("host") + ")");
            } else {
                console.bad(String.valueOf(docker.get("error")));
            }
        }
        console.plain("PostgreSQL (" + report.get("runtime") + " runtime)");
        Map<String, Object> postgres = (Map<String, Object>) report.get("postgres");
        if (postgres != null) {
            Map<String, Object> facts = new LinkedHashMap<>(postgres);
            boolean running = Boolean.TRUE.equals(facts.remove("running"));
            Object uptime = facts.remove("uptimeSeconds");
            String summary = describe(facts) + (uptime == null ? "" : ", up " + humanDuration(((Number) uptime).longValue()));
            if (running) console.ok(summary); else console.bad(summary);
        }
        Map<String, Object> database = (Map<String, Object>) report.get("database");
        if (database != null) {
            console.plain("Database");
            if (Boolean.TRUE.equals(database.get("connected"))) {
                console.ok("Connected: PostgreSQL " + database.get("serverVersion") + " at " + database.get("url")
                    + " (" + Console.humanBytes(((Number) database.get("sizeBytes")).longValue()) + ")");
            } else {
                console.bad("Not connected: " + database.get("error") + " (" + database.get("url") + ")");
            }
        }
        Map<String, Object> schema = (Map<String, Object>) report.get("schema");
        if (schema != null) {
            console.plain("Schema");
            String description = schema.get("description") + (schema.containsKey("migrations") ? "; migrations are off (" + SchemaMigrations.OFF_VARIABLE + "=true)" : "");
            if (schema.containsKey("pending")) {
                int pending = (Integer) schema.get("pending");
                List<String> drift = (List<String>) schema.get("drift");
                String version = schema.get("version") == null ? "none applied" : "version " + schema.get("version");
                if (pending == 0 && drift.isEmpty()) console.ok("Current (" + version + "); " + description);
                else console.bad(version + ", " + pending + " pending" + (drift.isEmpty() ? "" : ", drift: " + drift) + "; " + description);
            } else if (schema.containsKey("migrations") && (Boolean.TRUE.equals(schema.get("appMigrator")) || "empty".equals(schema.get("managed")))) {
                console.info(description); // the app's own migrator keeps it, as intended
            } else {
                console.warn(description); // foreign: not ours to count, advice below
            }
        }
        Map<String, Object> backups = (Map<String, Object>) report.get("backups");
        if (backups != null) {
            console.plain("Backups");
            if (backups.get("problem") != null) {
                console.bad(String.valueOf(backups.get("problem")));
            } else if (backups.get("newest") == null) {
                console.bad("No backup of this database in " + backups.get("directory") + " (make one: ./jbang oxy backup)");
            } else {
                long age = ((Number) backups.get("ageSeconds")).longValue();
                String line = "Newest " + backups.get("newest") + ", " + humanDuration(age) + " old, "
                    + Console.humanBytes(((Number) backups.get("sizeBytes")).longValue()) + ", verified (" + backups.get("verification")
                    + "); " + backups.get("count") + " in " + backups.get("directory");
                if (age > 26 * 3600) console.bad(line + " -- older than a day: is the nightly backup running?");
                else console.ok(line);
            }
        }
        List<String> troubleshooting = (List<String>) report.get("troubleshooting");
        if (!troubleshooting.isEmpty()) {
            console.plain("Troubleshooting");
            troubleshooting.forEach(line -> console.plain("  " + line));
        }
        Map<String, String> commands = (Map<String, String>) report.get("commands");
        if (commands != null && !commands.isEmpty()) {
            console.plain("Helpful commands");
            commands.forEach((name, command) -> console.plain(String.format("  %-7s %s", name, command)));
        }
    }

    private static String describe(Map<String, Object> facts) {
        List<String> parts = new ArrayList<>();
        facts.forEach((key, value) -> parts.add(key + " " + value));
        return String.join(", ", parts);
    }

    static String humanDuration(long seconds) {
        if (seconds < 60) return seconds + "s";
        if (seconds < 3600) return seconds / 60 + "m";
        if (seconds < 86400) return seconds / 3600 + "h " + seconds % 3600 / 60 + "m";
        return seconds / 86400 + "d " + seconds % 86400 / 3600 + "h";
    }
}
