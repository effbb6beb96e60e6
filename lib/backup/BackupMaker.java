import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Makes one verified backup (for backup, and restore's safety backup): pg_dump into a temporary name under
 * the exported snapshot whose exact row counts go in the manifest, fsync, prove the archive readable to
 * the end, then rename it and write the manifest. No file with a final name is ever unverified.
 * A custom archive streams: pg_dump's output comes to us (hashed, maybe encrypted) on its way into the
 * file or the store, while pg_restore reads it back beside pg_dump.
 */
public final class BackupMaker {

    /** What to make: pg_dump's format, compression and parallel jobs. */
    public record Settings(BackupArchive.Format format, DumpCompression compression, int jobs) {
        /** The default backup (the safety backup before a restore, upgrade's final one): custom archive, auto compression. */
        public static Settings standard() { return new Settings(BackupArchive.Format.CUSTOM, DumpCompression.AUTO, 1); }

        Settings forTools(int toolMajor) {
            return new Settings(format, compression.forTools(format, toolMajor), jobs);
        }

        String extension() {
            return switch (format) {
                case CUSTOM -> ".dump";
                case DIRECTORY -> "";
                case PLAIN -> ".sql" + compression.plainSuffix();
            };
        }
    }

    private final DatabaseRuntime runtime;
    private final PostgresUrl url;
    private final BackupStore store;
    private final Console console;

    private CompletableFuture<S3Backups> remoteReady; // the store, still connecting while the database side gets ready
    private S3Backups remote;        // the backup streams here instead of into store (which then only holds the lock)
    private AgeEncryption encryption; // the stored bytes are age ciphertext

    public BackupMaker(DatabaseRuntime runtime, PostgresUrl url, BackupStore store, Console console) {
        this.runtime = runtime;
        this.url = url;
        this.store = store;
        this.console = console;
    }

    /** Streams the backup into an S3 prefix: nothing of it is written to local disk. */
    public BackupMaker uploadingTo(CompletableFuture<S3Backups> remote) {
        this.remoteReady = remote;
        return this;
    }

    /** Encrypts the backup on its way out (age, to these recipients). */
    public BackupMaker encryptingTo(AgeEncryption encryption) {
        this.encryption = encryption;
        return this;
    }

    /** Server facts read before dumping. */
    private record Server(String version, int major) {}

    /** Makes the backup; the caller holds the store's lock. restoreTest: also restore it into a scratch database first. */
    public BackupManifest make(Settings settings, boolean restoreTest) {
        return make(settings, restoreTest, 0);
    }

    /** toolMajor: pg_dump at least this major (upgrade dumps with the target's); 0 for the server's. */
    public BackupManifest make(Settings requested, boolean restoreTest, int toolMajor) {
        Instant started = Instant.now();
        // the server's version (a first JDBC connection) is read while the tools container starts: a few hundred ms each
        CompletableFuture<Server> inspecting = CompletableFuture.supplyAsync(this::inspectServer);
        // a streamed archive shares no files with the tools, so the docker runtime's own server container can run them
        boolean streamed = requested.format() == BackupArchive.Format.CUSTOM;
        List<Path> shared = streamed && !restoreTest ? List.of() : List.of(store.directory());
        try (PostgresTools tools = PostgresTools.find(() -> Math.max(Cli.join(inspecting).major(), toolMajor), runtime, shared, console)) {
            Server server = Cli.join(inspecting);
            Settings settings = requested.forTools(tools.major());
            checkCompressionSupported(settings, tools);
            if (remoteReady != null) remote = Cli.join(remoteReady);
            String name = remote != null ? newRemoteName(started) : store.newName(started);
            String fileName = name + settings.extension() + (encryption != null ? AgeEncryption.EXTENSION : "");
            Path temporary = store.temporary(fileName);
            java.util.concurrent.atomic.AtomicReference<Destination> streaming = new java.util.concurrent.atomic.AtomicReference<>();
            Thread onInterrupt = new Thread(() -> {
                if (streaming.get() != null) streaming.get().abandon();
                if (remote != null) remote.abortUploads(fileName); // also one whose id had not come back yet
                try {
                    DurableFiles.deleteRecursively(temporary);
                } catch (IOException ignored) {
                    // removed with the leftovers of the next run
                }
                console.fail("backup interrupted: no backup was made; the previous backups are untouched");
            }, "abandon-unfinished-backup");
            Runtime.getRuntime().addShutdownHook(onInterrupt); // Ctrl+C or SIGTERM: say so, leave no partial file or upload
            try {
                // the hook is in place before the upload exists: no moment leaves one behind
                streaming.set(remote != null ? Destination.upload(remote.startUpload(fileName), encryption)
                    : streamed ? Destination.file(temporary, encryption) : null);
                Destination destination = streaming.get();
                console.step("Dumping " + url.database() + " (PostgreSQL " + server.version() + ") with " + tools.describe()
                    + (remote != null ? " to " + remote.location() : "") + (encryption != null ? ", encrypted with age" : ""));
                Snapshot snapshot;
                try (Console.Progress progress = console.progress(() -> destination != null ? Console.humanBytes(destination.bytes()) + (remote != null ? " uploaded" : " written")
                        : Console.humanBytes(sizeSoFar(temporary)) + " written")) {
                    snapshot = dumpUnderSnapshot(tools, settings, temporary, destination);
                }
                String sha256;
                if (destination != null) {
                    destination.finish();
                    sha256 = destination.sha256();
                } else {
                    sha256 = verify(tools, temporary, name); // plain SQL or a directory: read back now
                }
                if (remote == null) {
                    BackupStore.restrict(temporary);
                    DurableFiles.fsync(temporary);
                }
                if (restoreTest) { // a local unencrypted file (backup refuses --verify full otherwise)
                    restoreIntoScratch(tools, url, BackupArchive.open(temporary, Optional.empty()), snapshot.rowCounts(), console);
                }
                BackupManifest manifest = manifest(name, fileName, settings, server, tools, snapshot, sha256,
                    destination != null ? destination.bytes() : BackupStore.size(temporary), started);
                if (restoreTest) manifest = manifest.verifiedBy("full");
                if (remote != null) {
                    remote.putManifest(manifest); // last: from here on the remote backup exists
                } else {
                    Files.move(temporary, store.directory().resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
                    manifest.write(store.directory());
                    DurableFiles.fsync(store.directory());
                }
                return manifest;
            } catch (IOException e) {
                if (streaming.get() != null) streaming.get().abandon();
                if (remote != null) {
                    throw new OxyError(ExitCode.STORE_UNAVAILABLE, "uploading to " + remote.location() + " failed: " + e.getMessage() + "; no remote backup was made",
                        "The next run removes the unfinished upload; the previous backups are untouched.", e);
                }
                throw new OxyError(ExitCode.FAILED, "could not write the backup in " + store.directory() + ": " + diskProblem(e.getMessage()),
                    "Free space or fix permissions there; the previous backups are untouched.", e);
            } catch (RuntimeException e) {
                if (streaming.get() != null) streaming.get().abandon();
                throw e;
            } finally {
                Cli.removeShutdownHook(onInterrupt);
                try {
                    DurableFiles.deleteRecursively(temporary);
                } catch (IOException ignored) {
                    // removed with the leftovers of the next run
                }
            }
        }
    }

    private BackupManifest manifest(String name, String fileName, Settings settings, Server server, PostgresTools tools, Snapshot snapshot,
                                    String sha256, long bytes, Instant started) {
        Instant finished = Instant.now();
        return new BackupManifest(name, fileName, settings.format().name().toLowerCase(),
            settings.compression().toString(), sha256, bytes, url.database(), runtime.name(), server.version(), tools.version(),
            snapshot.schemaVersion(), snapshot.rowCounts(), started, finished,
            Duration.between(started, finished).toMillis() / 1000.0, "archive", "oxy-ops " + VersionProvider.VERSION,
            encryption != null ? "age" : null, encryption != null ? encryption.fingerprints() : null, snapshot.roles());
    }

    /** A name no object under the remote prefix starts with yet (the local staging directory never holds data). */
    private String newRemoteName(Instant started) {
        String base = store.newName(started);
        String name = base;
        for (int n = 2; remote.nameTaken(name); n++) name = base + "_" + n;
        return name;
    }

    /**
     * Where a streamed dump's bytes go as pg_dump writes them: through age when encrypting, hashed as they
     * leave (the manifest's sha256 is of exactly the stored bytes), into an S3 upload or a local file.
     */
    static final class Destination {
        private final HashingOutputStream hashed;
        private final java.io.OutputStream sink;
        private final MultipartUpload upload; // or null: a local file
        private final Path file;
        private String sha256;

        private Destination(HashingOutputStream hashed, AgeEncryption encryption, MultipartUpload upload, Path file) throws IOException {
            this.hashed = hashed;
            this.sink = encryption != null ? encryption.encrypting(hashed) : hashed;
            this.upload = upload;
            this.file = file;
        }

        static Destination upload(MultipartUpload upload, AgeEncryption encryption) {
            try {
                return new Destination(new HashingOutputStream(upload), encryption, upload, null);
            } catch (IOException e) {
                upload.abort();
                throw new OxyError(ExitCode.FAILED, "cannot start encrypting: " + e.getMessage(), null, e);
            }
        }

        static Destination file(Path file, AgeEncryption encryption) {
            try {
                Files.createFile(file);
                BackupStore.restrict(file); // 0600 before the first byte
                java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
                return new Destination(new HashingOutputStream(out), encryption, null, file);
            } catch (IOException e) {
                throw new OxyError(ExitCode.FAILED, "cannot write " + file + ": " + diskProblem(e.getMessage()), null, e);
            }
        }

        java.io.OutputStream sink() { return sink; }

        long bytes() { return hashed.bytes(); }

        String sha256() { return sha256; }

        /** The last encrypted chunk, then the object appears under its key (or the file is complete). */
        void finish() throws IOException {
            sink.close();
            sha256 = hashed.sha256();
            if (upload != null) upload.complete();
        }

        /** Failure or Ctrl+C: the upload's parts are dropped (the caller deletes a local file). */
        void abandon() {
            if (upload != null) upload.abort();
            else {
                try {
                    sink.close();
                } catch (IOException | RuntimeException ignored) {
                    // the file is deleted anyway
                }
            }
        }
    }

    private Server inspectServer() {
        String version = serverVersion(url);
        return new Server(version, DatabaseRuntime.majorOf(version));
    }

    /** "18.1", from the server itself; exit 3 with what to do when it does not answer. */
    public static String serverVersion(PostgresUrl url) {
        try (Connection connection = url.connect()) {
            return Databases.serverVersion(connection).split(" ")[0];
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    public static int serverMajor(PostgresUrl url) { return DatabaseRuntime.majorOf(serverVersion(url)); }

    /**
     * The strongest check there is: restore into a scratch database beside the real one, compare exact
     * row counts with what the dump held, drop the scratch database whatever happens.
     */
    public static void restoreIntoScratch(PostgresTools tools, PostgresUrl url, BackupArchive archive, Map<String, Long> expected, Console console) {
        Databases databases = new Databases(url);
        String scratch = url.database() + "_verify_" + System.currentTimeMillis();
        console.step("Restoring into scratch database " + scratch + " to compare row counts");
        try {
            databases.create(scratch);
            try {
                archive.restoreInto(tools, url.withDatabase(scratch), 1, false, false);
                try (Connection connection = url.withDatabase(scratch).connect()) {
                    RowCounts.requireMatching(expected, RowCounts.exact(connection), "the dump's", "The archive is not trustworthy.");
                }
            } finally {
                databases.drop(scratch);
            }
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new OxyError(ExitCode.REFUSED, "user '" + url.user() + "' may not create the scratch database for --verify full",
                    "Use --verify archive, or grant CREATEDB.", e);
            }
            throw url.unavailable(e);
        }
    }

    private static void checkCompressionSupported(Settings settings, PostgresTools tools) {
        if (settings.compression().method() == DumpCompression.Method.ZSTD && tools.major() < 16) {
            throw new OxyError(ExitCode.USAGE, "zstd needs pg_dump 16 or newer; this backup would use " + tools.describe(),
                "Use --compress gzip, or install newer PostgreSQL client tools.");
        }
    }

    /** What the dump's snapshot held: exact counts, the schema version and the roles its objects name, consistent with the dump itself. */
    private record Snapshot(Map<String, Long> rowCounts, String schemaVersion, List<DatabaseRoles.Role> roles) {}

    /**
     * A custom archive is verified as it is written: tee copies pg_dump's stream to fd 3 (the script's
     * stdout, read by Java on its way to age, the file or the store) and on into pg_restore, which reads
     * every block to the end on another core. Only tee holds fd 3, so stdout ends when tee does. A failing
     * step leaves its mark on stderr; the sh's own exit status is not trusted.
     */
    private static final String DUMP_VERIFY_AND_STREAM = """
        exec 3>&1
        { pg_dump "$@" || echo "oxy-ops: pg_dump failed" >&2; } 3>&- \
          | { tee /dev/fd/3 || echo "oxy-ops: writing the archive failed" >&2; } \
          | { pg_restore --file=/dev/null || echo "oxy-ops: the archive did not read back" >&2; } >&2 3>&-
        """;

    /**
     * Exports a snapshot, runs pg_dump on it, and counts every table's rows in the same snapshot meanwhile:
     * the manifest's counts are exactly the dump's, however busy the app is.
     */
    private Snapshot dumpUnderSnapshot(PostgresTools tools, Settings settings, Path temporary, Destination destination) throws IOException {
        try (Connection connection = url.connect()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            String snapshotId;
            try (Statement statement = connection.createStatement();
                 ResultSet result = statement.executeQuery("SELECT pg_export_snapshot()")) {
                result.next();
                snapshotId = result.getString(1);
            }
            CompletableFuture<Snapshot> counting = CompletableFuture.supplyAsync(() -> readSnapshot(connection));
            List<String> arguments = dumpArguments(settings, tools.major(), snapshotId);
            if (settings.format() != BackupArchive.Format.CUSTOM) {
                arguments.add(0, "--file=" + temporary);
                Processes.Result dump = tools.run("pg_dump", arguments, url);
                Snapshot snapshot = awaitCounts(counting);
                connection.commit();
                if (!dump.ok()) throw dumpFailed(dump);
                return snapshot;
            }
            Processes.Result dump = tools.runShellStreaming(DUMP_VERIFY_AND_STREAM, arguments, url, destination.sink());
            Snapshot snapshot = awaitCounts(counting);
            connection.commit();
            String output = dump.output();
            if (output.contains("oxy-ops: pg_dump failed") || output.contains(NO_SPACE)) {
                throw dumpFailed(dump);
            }
            if (output.contains("oxy-ops: the archive did not read back")) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "the new backup failed verification: pg_restore could not read it back",
                    "It was not kept; the previous backups are untouched.", dump.tail(5), null);
            }
            if (output.contains("oxy-ops: writing the archive failed") || !dump.ok()) {
                throw new OxyError(ExitCode.FAILED, "writing the backup failed: " + String.join(" ", dump.tail(1)),
                    "Check the backup directory's space and permissions; the previous backups are untouched.", dump.tail(5), null);
            }
            return snapshot;
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    private OxyError dumpFailed(Processes.Result dump) {
        String reason = dump.output().contains(NO_SPACE) ? "the disk is full (" + store.directory() + ")"
            : String.join(" ", dump.output().lines().filter(l -> l.startsWith("pg_dump:")).findFirst().map(List::of).orElse(dump.tail(1)));
        return new OxyError(ExitCode.FAILED, "pg_dump failed: " + reason, "The previous backups are untouched.", dump.tail(5), null);
    }

    private List<String> dumpArguments(Settings settings, int toolMajor, String snapshotId) {
        List<String> arguments = new ArrayList<>(List.of("--no-password", "--snapshot=" + snapshotId));
        arguments.add("--format=" + settings.format().name().toLowerCase());
        if (settings.format() == BackupArchive.Format.DIRECTORY && settings.jobs() > 1) arguments.add("--jobs=" + settings.jobs());
        arguments.addAll(settings.compression().pgDumpArguments(settings.format(), toolMajor));
        arguments.add(url.database());
        return arguments;
    }

    /**
     * An encrypted backup's manifest stays plaintext (it is read without the identity), so it keeps no password hashes;
     * an unencrypted one is 0600 beside a dump that holds the data itself.
     */
    private Snapshot readSnapshot(Connection connection) {
        try {
            Map<String, Long> counts = RowCounts.exact(connection);
            return new Snapshot(counts, SchemaMigrations.appliedVersion(connection).orElse(null), DatabaseRoles.namedBy(connection, encryption == null));
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }

    private Snapshot awaitCounts(CompletableFuture<Snapshot> counting) throws SQLException {
        try {
            return counting.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SQLException sql) throw sql;
            throw e;
        }
    }

    /** Proves the archive readable to the end while hashing it (both read the file, on two threads). */
    private static String verify(PostgresTools tools, Path temporary, String name) {
        BackupArchive archive = BackupArchive.open(temporary, Optional.empty());
        CompletableFuture<String> hashing = CompletableFuture.supplyAsync(() -> {
            try {
                return BackupStore.sha256(temporary);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
        try {
            archive.checkReadable(tools);
        } catch (OxyError e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the new backup " + name + " failed verification: " + e.getMessage(),
                "It was not kept; the previous backups are untouched.", e);
        }
        try {
            return hashing.join();
        } catch (CompletionException e) {
            throw new OxyError(ExitCode.FAILED, "could not read back the new backup (" + Cli.describe(e) + ")", null, e);
        }
    }

    private static long sizeSoFar(Path path) {
        try {
            return BackupStore.size(path);
        } catch (IOException e) {
            return 0; // not created yet
        }
    }

    /** What the OS says when a disk is full (pg_dump, tee and Java all pass it on). */
    private static final String NO_SPACE = "No space left on device";

    /** NO_SPACE said plainly. */
    static String diskProblem(String message) {
        String text = message == null ? "" : message;
        return text.contains(NO_SPACE) ? "the disk is full (" + text.strip() + ")" : text.strip();
    }
}
