///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * restore: bring a backup back without ever leaving less than there was. The dump goes into a new
 * database; only when it loaded fully and its row counts match are the names swapped. The old database
 * stays as <db>_pre_restore_<time> until --drop-kept.
 */
@Command(name = "restore", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Restore a backup (ours, or a pg_dump / .sql.gz from a runbook) into a new database and swap it in.",
    footer = {"", "Exit codes: 0 restored and checked; 1 the restore failed (the database is as it was); 2 bad argument;",
        "            3 database does not answer; 8 refused (not confirmed, role may not create databases);",
        "            9 the dump is damaged or its row counts differ; 10 another backup or restore is running;",
        "            12 the object store (s3://) does not answer or refuses the credentials.",
        "", "Examples:", "  ./jbang oxy restore                        # list what can be restored",
        "  ./jbang oxy restore latest --dry-run", "  ./jbang oxy restore oxy_20261122_030000",
        "  ./jbang oxy restore ~/backups/oxy-nightly.sql.gz --yes", "  ./jbang oxy restore latest --to-db oxy_copy",
        "  ./jbang oxy restore latest --from s3://acme-backups/oxy --identity key.txt",
        "  ./jbang oxy restore latest --create-roles --dry-run   # a new server: the roles the backup needs that it lacks"})
public class restore implements Callable<Integer> {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);

    @Mixin RuntimeOptions runtime;
    @Option(names = {"--from", "--dir"}, paramLabel = "DIR|s3://BUCKET/PREFIX",
        description = "Where the backups are: a directory or s3://bucket/prefix (env OXY_BACKUP_TO, or OXY_BACKUP_DIR; default $OXY_STATE_DIR/backups).")
    String from;

    @Mixin S3Options s3;

    @Option(names = "--identity", paramLabel = "FILE",
        description = "age identity file for an encrypted backup (env " + AgeEncryption.IDENTITY_VARIABLE + ").")
    Path identity;

    @Parameters(arity = "0..1", paramLabel = "NAME|FILE|latest", description = "A backup name, 'latest', or a dump file; none lists backups.")
    String what;

    @Option(names = "--dry-run", description = "Check the dump and print the plan; change nothing.")
    boolean dryRun;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation (scripts). Without a terminal, restore refuses unless given.")
    boolean yes;

    @Option(names = "--no-safety-backup", description = "Skip the backup of the current database taken before anything changes.")
    boolean noSafetyBackup;

    @ArgGroup(exclusive = true)
    Destination destination = new Destination();

    /** Where the dump goes instead of a new database swapped in: one or the other, picocli refuses both. */
    static class Destination {
        @Option(names = "--to-db", paramLabel = "NAME", description = "Restore into a new database NAME beside the live one; nothing is swapped.")
        String toDb;

        @Option(names = "--in-place", description = "For roles that may not create databases: restore into the database itself, in one transaction.")
        boolean inPlace;
    }

    @Option(names = "--jobs", converter = Cli.AtLeastOne.class, paramLabel = "N",
        description = "Parallel pg_restore jobs for archives (default: this machine's cores, at most 4).")
    Integer jobs;

    @Option(names = "--no-owner", description = "Do not restore owners and privileges (when the dump's roles do not exist here).")
    boolean noOwner;

    @Option(names = "--create-roles",
        description = "Create the roles the backup's owners and grants name that this server lacks (attributes, memberships, password hash when the backup has one) before loading; existing roles are never changed.")
    boolean createRoles;

    @Option(names = "--list-kept", description = "List the databases earlier restores kept (<db>_pre_restore_<time>).")
    boolean listKept;

    @Option(names = "--drop-kept", description = "Drop the databases earlier restores kept (asks first, or --yes).")
    boolean dropKept;

    private Console console;
    private java.util.concurrent.CompletableFuture<DatabaseRuntime> finding; // the database side, found while the store is read

    public static void main(String... args) {
        Cli.run(new restore(), args);
    }

    @Override
    public Integer call() throws Exception {
        console = Console.standard();
        if (listKept || dropKept) return keptDatabases();
        String source = BackupLocationOption.chosen(from);
        if (what != null && S3Location.isS3(what)) { // s3://bucket/prefix/NAME
            source = what.substring(0, what.lastIndexOf('/'));
            what = what.substring(what.lastIndexOf('/') + 1);
        }
        boolean remoteSource = S3Location.isS3(source);
        BackupStore backups = BackupStore.at(BackupStore.defaultDirectory(remoteSource || source == null ? null : Path.of(source), runtime));
        if (remoteSource && what != null) findDatabaseMeanwhile();
        try (S3Backups remote = remoteSource ? S3Backups.connect(s3.location(source)) : null) {
            if (what == null) {
                if (remote != null) BackupDirectoryOption.printTable(console, remote, remote.list());
                else BackupDirectoryOption.printTable(console, backups, backups.list());
                console.plain("Restore one: ./jbang oxy restore <NAME|latest> (add --dry-run to see the plan)");
                return ExitCode.OK;
            }
            StoredBackup stored = StoredBackup.resolve(what, backups, remote);
            // remote or encrypted: a private plaintext copy first, its stored bytes' sha256 checked before anything changes
            try (FetchedBackup fetched = stored.needsFetch() ? fetchFor(stored, backups) : null) {
                BackupArchive archive = fetched != null ? fetched.archive() : stored.archive();
                if (fetched == null) archive.checkChecksum();
                return restore(archive, stored.where(), backups);
            }
        }
    }

    private FetchedBackup fetchFor(StoredBackup stored, BackupStore backups) {
        console.step("Fetching " + stored.where() + (stored.manifest().map(BackupManifest::encrypted).orElse(false) ? " (decrypting with age)" : ""));
        FetchedBackup fetched = stored.fetch(AgeEncryption.identityFile(identity), BackupStore.create(backups.directory()), console);
        console.ok("sha256 of the stored bytes matches the manifest");
        return fetched;
    }

    /** The database side (docker client, server address) is made ready while the store is read: it needs nothing from it. */
    private void findDatabaseMeanwhile() {
        finding = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            DatabaseRuntime database = Runtimes.select(runtime);
            database.url();
            return database;
        });
    }

    private Integer restore(BackupArchive archive, String source, BackupStore backups) throws Exception {
        DatabaseRuntime database = finding != null ? Cli.join(finding) : Runtimes.select(runtime);
        PostgresUrl live = database.url();
        Databases databases = new Databases(live);
        String target = destination.toDb != null ? destination.toDb : live.database();
        boolean replacing = destination.toDb == null && databases.exists(target);
        if (destination.toDb != null && databases.exists(destination.toDb)) {
            throw new OxyError(ExitCode.REFUSED, "database " + destination.toDb + " already exists", "Choose a new name for --to-db; nothing was changed.");
        }
        if (!destination.inPlace && !databases.mayCreate()) {
            throw new OxyError(ExitCode.REFUSED, "user '" + live.user() + "' may not create databases, so restore cannot load into a new one",
                "Use --in-place: it restores into " + live.database() + " itself in one transaction, so a failure still changes nothing.");
        }
        // the maintenance database: on a fresh server (disaster recovery) the app's may not exist yet
        int toolMajor = Math.max(BackupMaker.serverMajor(live.withDatabase("postgres")), archive.manifest().map(m -> DatabaseRuntime.majorOf(m.pgDumpVersion())).orElse(0));
        try (PostgresTools tools = archive.format() == BackupArchive.Format.PLAIN ? null
                : PostgresTools.find(toolMajor, database, List.of(archive.path().getParent()), console)) {
            String tableOfContents = readTableOfContents(archive, tools);
            List<DatabaseRoles.Role> missingRoles = missingRoles(archive, live);
            printPlan(archive, source, backups, live, target, replacing);
            printRolePlan(missingRoles);
            if (dryRun) return ExitCode.OK;
            confirm(target, replacing);
            BackupStore writable = BackupStore.create(backups.directory());
            try (AutoCloseable lock = writable.lock("restore")) {
                if (replacing) reopenIfLeftClosed(databases, target);
                Optional<BackupManifest> safety = replacing && !noSafetyBackup ? Optional.of(takeSafetyBackup(database, live, writable)) : Optional.empty();
                List<DatabaseRoles.Role> created = List.of();
                try {
                    if (createRoles) created = createMissingRoles(missingRoles, live);
                    if (destination.inPlace) restoreInPlace(archive, tools, tableOfContents, live);
                    else restoreBeside(archive, tools, live, databases, target, replacing);
                } catch (RuntimeException failed) {
                    dropCreatedRoles(created, live);
                    safety.ifPresent(unneeded -> removeSafetyBackup(unneeded, writable, target));
                    throw failed;
                }
            }
        }
        console.ok("Restored " + archive.name() + " into " + target);
        return ExitCode.OK;
    }

    /**
     * pg_restore --list reads the archive's table of contents: a wrong or unreadable file stops here, before
     * anything changes. Returns the listing ("" for plain SQL, which has none).
     */
    private String readTableOfContents(BackupArchive archive, PostgresTools tools) {
        if (tools == null) return "";
        Processes.Result list = tools.run("pg_restore", List.of("--list", archive.path().toString()), null);
        if (!list.ok()) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, archive.name() + " cannot be read: " + String.join(" ", list.tail(1)),
                "Nothing was changed. Is it a complete pg_dump archive? ('./jbang oxy backup verify " + Cli.shellQuote(what) + "')");
        }
        return list.output();
    }

    private void printPlan(BackupArchive archive, String source, BackupStore backups, PostgresUrl live, String target, boolean replacing) {
        Optional<BackupManifest> manifest = archive.manifest();
        console.info("Plan:");
        console.info("  dump      " + source + " (" + archive.describeFormat()
            + manifest.map(m -> ", made " + m.finishedAt() + " from PostgreSQL " + m.serverVersion() + ", "
                + RowCounts.total(m.rowCounts()) + " rows in " + m.rowCounts().size() + " tables").orElse(", no manifest: row counts cannot be compared") + ")");
        console.info("  server    " + live.withDatabase(target));
        if (replacing && !noSafetyBackup) console.info("  1. safety backup of " + target + " into " + backups.directory());
        if (destination.inPlace) {
            console.info("  2. restore into " + target + " itself, in one transaction (a failure changes nothing)");
        } else {
            console.info("  2. restore into a new database " + target + "_restoring_<time>, stopping at the first error");
        }
        console.info("  3. compare row counts with the manifest, apply migrations/, ANALYZE");
        if (!destination.inPlace && replacing) {
            console.info("  4. end the sessions on " + target + ", rename it to " + target + "_pre_restore_<time>, rename the new one to " + target);
        } else if (!destination.inPlace) {
            console.info("  4. rename the new database to " + target);
        }
    }

    /** The roles the backup's manifest records that this server has none of (none for a dump without our manifest, or with --no-owner). */
    private List<DatabaseRoles.Role> missingRoles(BackupArchive archive, PostgresUrl live) {
        List<DatabaseRoles.Role> recorded = archive.manifest().map(BackupManifest::roles).orElse(null);
        if (createRoles && noOwner) {
            throw new OxyError(ExitCode.USAGE, "--create-roles creates the owners and grantees that --no-owner leaves out", "Use one of them; nothing was changed.");
        }
        if (recorded == null || recorded.isEmpty() || noOwner) {
            if (createRoles) console.info("The backup records no roles (no manifest, or made before oxy-ops recorded them): --create-roles has nothing to create.");
            return List.of();
        }
        PostgresUrl server = live.withDatabase("postgres");
        try (Connection connection = server.connect()) {
            return DatabaseRoles.missingOn(connection, recorded);
        } catch (SQLException e) {
            throw server.unavailable(e);
        }
    }

    /** One line: which roles are missing, and what --create-roles does (or would do) about them. */
    private void printRolePlan(List<DatabaseRoles.Role> missing) {
        if (missing.isEmpty()) return;
        if (createRoles) {
            console.info("  roles     create before loading (--create-roles; existing roles are left as they are): "
                + missing.stream().map(DatabaseRoles.Role::describe).collect(java.util.stream.Collectors.joining(", ")));
        } else {
            console.warn("this server lacks the roles " + DatabaseRoles.names(missing) + " that the backup's owners and grants name, and the restore stops at the first of them: "
                + "--create-roles creates them first (or --no-owner restores without owners and privileges)");
        }
    }

    /** In one transaction over JDBC (no password hash in any process argument); a refusal changes nothing. */
    private List<DatabaseRoles.Role> createMissingRoles(List<DatabaseRoles.Role> missing, PostgresUrl live) {
        if (missing.isEmpty()) return List.of();
        PostgresUrl server = live.withDatabase("postgres");
        try (Connection connection = server.connect()) {
            List<String> leftOut = DatabaseRoles.create(connection, missing);
            console.ok("Created the roles " + DatabaseRoles.names(missing) + " (as the backup recorded them)");
            if (!leftOut.isEmpty()) console.warn("memberships whose group this server does not have were left out: " + String.join(", ", leftOut));
            return missing;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new OxyError(ExitCode.REFUSED, "user '" + live.user() + "' may not create the roles " + DatabaseRoles.names(missing) + ": "
                    + e.getMessage().lines().findFirst().orElse(""), "Restore as a role with CREATEROLE (or a superuser); nothing was changed.", e);
            }
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) throw server.unavailable(e);
            throw new OxyError(ExitCode.FAILED, "creating the roles " + DatabaseRoles.names(missing) + " failed: " + e.getMessage().lines().findFirst().orElse(""),
                "Nothing was changed.", e);
        }
    }

    /** A failed restore leaves nothing behind: the roles it created own nothing once its database is dropped. */
    private void dropCreatedRoles(List<DatabaseRoles.Role> created, PostgresUrl live) {
        if (created.isEmpty()) return;
        try (Connection connection = live.withDatabase("postgres").connect()) {
            DatabaseRoles.dropQuietly(connection, created);
            console.info("Dropped the roles this restore had created: " + DatabaseRoles.names(created));
        } catch (SQLException ignored) {
            console.warn("could not drop the roles this restore had created (" + DatabaseRoles.names(created) + "); drop them by hand if unwanted");
        }
    }

    /** Typing the database name on a terminal, or --yes; never a silent yes when there is no terminal. */
    private void confirm(String target, boolean replacing) {
        if (yes || !replacing) return;
        Console.requireTyped(target, "Type the database name (" + target + ") to replace it: ",
            new OxyError(ExitCode.REFUSED, "restore replaces database " + target + " and there is no terminal to confirm it",
                "Pass --yes to restore from a script; nothing was changed."), "not confirmed; nothing was changed");
    }

    private BackupManifest takeSafetyBackup(DatabaseRuntime database, PostgresUrl live, BackupStore backups) {
        console.step("Safety backup of " + live.database() + " first");
        BackupManifest safety = new BackupMaker(database, live, backups, console).make(BackupMaker.Settings.standard(), false);
        console.ok("Safety backup " + safety.name() + " (" + Console.humanBytes(safety.bytes()) + "); restore it to undo this");
        return safety;
    }

    /**
     * A failed restore left the live database as it was, so its safety backup undoes nothing; kept, it would be the
     * newest backup, and the rerun's 'restore latest' would restore it instead of the backup that was asked for.
     */
    private void removeSafetyBackup(BackupManifest safety, BackupStore backups, String target) {
        try {
            Optional<BackupStore.Entry> entry = backups.find(safety.name());
            if (entry.isPresent()) backups.delete(entry.get());
            console.info("Removed the safety backup " + safety.name() + ": " + target + " is as it was");
        } catch (IOException | RuntimeException e) {
            console.warn("could not remove the safety backup " + safety.name() + " (" + Cli.describe(e) + "); 'restore latest' would now pick it: name the backup you meant");
        }
    }

    /** Indexes and tables load side by side; past four jobs a server rarely gets faster. */
    private int restoreJobs() {
        return jobs != null ? jobs : Math.min(4, Runtime.getRuntime().availableProcessors());
    }

    /** The default path: a new database, checked, then swapped in by renaming. */
    private void restoreBeside(BackupArchive archive, PostgresTools tools, PostgresUrl live, Databases databases,
                               String target, boolean replacing) throws SQLException {
        dropAbandonedRestores(databases, target);
        String stamp = STAMP.format(Instant.now());
        String loading = target + "_restoring_" + stamp;
        Thread dropOnInterrupt = new Thread(() -> {
            databases.dropQuietly(loading);
            allowConnectionsQuietly(databases, target); // interrupted mid-swap: the live database takes sessions again
            console.fail("restore interrupted: the half-loaded copy " + loading + " was dropped; " + target + " is unchanged");
        }, "drop-unfinished-restore");
        databases.create(loading);
        Runtime.getRuntime().addShutdownHook(dropOnInterrupt); // Ctrl+C: the half-loaded copy goes, the live database never changed
        try {
            console.step("Restoring " + archive.name() + " into new database " + loading);
            PostgresUrl loaded = live.withDatabase(loading);
            Map<String, Integer> leftOut;
            try (Console.Progress progress = console.progress(() -> Console.humanBytes(databases.sizeOf(loading)) + " loaded")) {
                leftOut = archive.restoreInto(tools, loaded, restoreJobs(), false, noOwner);
            }
            PreDataSection.reportLeftOut(console, leftOut);
            checkAndMigrate(archive, loaded);
            swapIn(databases, loading, target, replacing ? target + "_pre_restore_" + stamp : null);
        } catch (RuntimeException | SQLException e) {
            databases.dropQuietly(loading);
            throw e instanceof OxyError oxy ? new OxyError(oxy.exitCode(), oxy.getMessage() + "; " + target + " is unchanged", oxy.hint(), oxy.details(), oxy)
                : e instanceof SQLException sql ? live.unavailable(sql) : (RuntimeException) e;
        } finally {
            Cli.removeShutdownHook(dropOnInterrupt);
        }
    }

    /** For roles without CREATEDB: everything in one transaction on the database itself. */
    private void restoreInPlace(BackupArchive archive, PostgresTools tools, String tableOfContents, PostgresUrl live) {
        if (tools != null) refuseTablesTheArchiveLacks(tableOfContents, live);
        console.step("Restoring " + archive.name() + " into " + live.database() + " in one transaction");
        archive.restoreInto(tools, live, 1, true, noOwner);
        checkAndMigrate(archive, live);
    }

    /**
     * pg_restore --clean drops only what the archive holds: a table made after the backup would survive the
     * in-place restore and break the migrations after it committed. Refuse before anything changes.
     */
    private void refuseTablesTheArchiveLacks(String tableOfContents, PostgresUrl live) {
        java.util.Set<String> archived = new java.util.HashSet<>();
        // TOC lines: "215; 1259 16390 TABLE public notes postgres"
        tableOfContents.lines().map(line -> line.split(" ")).filter(p -> p.length > 5 && p[3].equals("TABLE"))
            .forEach(p -> archived.add(p[4] + "." + p[5]));
        List<String> extra = new java.util.ArrayList<>();
        try (Connection connection = live.connect()) {
            for (String table : RowCounts.tables(connection)) {
                if (!archived.contains(table.replace("\"", ""))) extra.add(table);
            }
        } catch (SQLException e) {
            throw live.unavailable(e);
        }
        if (!extra.isEmpty()) {
            throw new OxyError(ExitCode.REFUSED, live.database() + " has tables the backup does not (" + String.join(", ", extra)
                + "); an in-place restore would leave them behind", "Drop them first, or restore into a new database (needs CREATEDB); nothing was changed.");
        }
    }

    /** Row counts as the manifest says (before migrations change anything), then migrations/ and ANALYZE. */
    private void checkAndMigrate(BackupArchive archive, PostgresUrl loaded) {
        new PostLoadCheck(loaded, "restored", console).run(archive.manifest().map(BackupManifest::rowCounts).orElse(null), "the manifest", null);
    }

    /**
     * The swap: no new sessions on the old database, end the ones there, rename old to kept and new to
     * target. Renames are instant; clients reconnecting by name land on the restored data.
     */
    private void swapIn(Databases databases, String loading, String target, String kept) throws SQLException {
        if (kept == null) {
            databases.execute("ALTER DATABASE " + Databases.quote(loading) + " RENAME TO " + Databases.quote(target));
            return;
        }
        try (Connection connection = databases.connect(); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + Databases.quote(target) + " WITH ALLOW_CONNECTIONS false");
            try {
                Retry.attempts(20, java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1)).run(() -> {
                    try (var terminate = connection.prepareStatement(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
                        terminate.setString(1, target);
                        terminate.executeQuery().close();
                    }
                    // both renames in one transaction: there is never a moment without a database of that name
                    connection.setAutoCommit(false);
                    try {
                        statement.execute("ALTER DATABASE " + Databases.quote(target) + " RENAME TO " + Databases.quote(kept));
                        statement.execute("ALTER DATABASE " + Databases.quote(loading) + " RENAME TO " + Databases.quote(target));
                        statement.execute("ALTER DATABASE " + Databases.quote(kept) + " WITH ALLOW_CONNECTIONS true");
                        connection.commit();
                    } catch (SQLException e) {
                        connection.rollback();
                        throw e;
                    } finally {
                        connection.setAutoCommit(true);
                    }
                    return null;
                });
            } catch (Exception e) {
                statement.execute("ALTER DATABASE " + Databases.quote(target) + " WITH ALLOW_CONNECTIONS true");
                throw e instanceof SQLException sql ? sql : new SQLException("could not end the sessions on " + target, e);
            }
        }
        console.ok("Swapped: " + target + " is the restored data; the previous one is kept as " + kept
            + " (./jbang oxy restore --drop-kept removes it)");
    }

    /** A restore killed (-9) in the instant of its swap leaves the live database refusing sessions; we hold the lock, so reopen it. */
    private void reopenIfLeftClosed(Databases databases, String target) throws SQLException {
        try (Connection connection = databases.connect();
             var query = connection.prepareStatement("SELECT NOT datallowconn FROM pg_database WHERE datname = ?")) {
            query.setString(1, target);
            try (ResultSet closed = query.executeQuery()) {
                if (!closed.next() || !closed.getBoolean(1)) return;
            }
        }
        console.warn(target + " was refusing new sessions (left so by an interrupted restore); allowing them again");
        allowConnectionsQuietly(databases, target);
    }

    /** Half-loaded databases of restores that were killed: never the live one, never a kept one. */
    private void dropAbandonedRestores(Databases databases, String target) {
        for (String abandoned : databases.withPrefix(target + "_restoring_")) {
            console.warn("dropping " + abandoned + ", left by an interrupted restore");
            databases.dropQuietly(abandoned);
        }
    }

    private static void allowConnectionsQuietly(Databases databases, String name) {
        try {
            databases.execute("ALTER DATABASE " + Databases.quote(name) + " WITH ALLOW_CONNECTIONS true");
        } catch (SQLException | RuntimeException ignored) {
            // not there (a fresh server) or already allowed
        }
    }

    private Integer keptDatabases() throws SQLException {
        PostgresUrl live = Runtimes.select(runtime).url();
        Databases databases = new Databases(live);
        List<String> kept = databases.withPrefix(live.database() + "_pre_restore_");
        if (kept.isEmpty()) {
            console.info("No databases kept by earlier restores.");
            return ExitCode.OK;
        }
        kept.forEach(name -> console.plain(name));
        if (!dropKept) return ExitCode.OK;
        if (!yes) {
            Console.requireTyped("drop", "Drop these " + kept.size() + " databases? Type 'drop' to confirm: ",
                new OxyError(ExitCode.REFUSED, "no terminal to confirm dropping " + kept.size() + " databases", "Pass --yes."),
                "not confirmed; nothing was dropped");
        }
        for (String name : kept) {
            databases.drop(name);
            console.ok("Dropped " + name);
        }
        return ExitCode.OK;
    }
}
