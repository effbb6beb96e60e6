///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/**/*.java

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * backup: one verified dump of the app's database, safe to run from cron. Exit 0 only when the new backup
 * is on disk under its final name and proven readable; then, and only then, retention removes old ones.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
    description = "Make a verified backup of the database (pg_dump), then apply retention.",
    subcommands = {backup.ListBackups.class, backup.VerifyBackup.class, backup.PruneBackups.class},
    footer = {"", "Exit codes: 0 backup made and verified; 1 failed (pg_dump, disk full, permissions); 2 bad option;",
        "            3 database does not answer; 9 verification failed; 10 another run holds the lock;",
        "            11 no pg_dump of the server's major (and no Docker to run one);",
        "            12 the object store (s3://) does not answer, refuses the credentials, has no such bucket, or the upload failed.",
        "", "Examples:", "  ./jbang oxy backup", "  ./jbang oxy backup --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --quiet",
        "  ./jbang oxy backup --format plain            # oxy_YYYYmmdd_HHMMSS.sql.gz, restorable with gunzip -c | psql",
        "  ./jbang oxy backup --to s3://acme-backups/oxy --encrypt-to age1...   # off-site, encrypted (AWS_* credentials)",
        "  ./jbang oxy backup --copy-to s3://acme-backups/oxy --copy-keep-daily 30",
        "  ./jbang oxy backup list"})
public class backup implements Callable<Integer> {

    @Mixin RuntimeOptions runtime;
    @Mixin BackupLocationOption store;

    @Option(names = "--format", defaultValue = "custom", paramLabel = "custom|plain|directory",
        description = "custom (default: one compressed archive, .dump), plain (.sql.gz: gunzip -c | psql), directory (parallel with --jobs).")
    BackupArchive.Format format;

    @Option(names = "--jobs", converter = Cli.AtLeastOne.class, defaultValue = "1", description = "Parallel pg_dump jobs (directory format only; default ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--compress", defaultValue = "auto", converter = DumpCompression.Converter.class, paramLabel = "auto|gzip[:LEVEL]|zstd[:LEVEL]|none",
        description = "Compression (default ${DEFAULT-VALUE}: zstd for custom and directory archives when pg_dump is 16 or newer, else gzip; "
            + "zstd is faster and smaller, and only the manifest's sha256 guards it). gzip: its checksums let pg_restore catch a damaged archive even without its manifest.")
    DumpCompression compress;

    @Option(names = "--verify", defaultValue = "archive", paramLabel = "archive|full",
        description = "archive (default): read the whole archive back; full: also restore it into a scratch database and compare row counts.")
    String verify;

    @Mixin Retention retention;

    @Option(names = "--encrypt-to", paramLabel = "RECIPIENT|FILE",
        description = "Encrypt with age to this X25519 public key (age1...; repeatable) or a file of them: the server never holds the private key.")
    List<String> encryptTo = new java.util.ArrayList<>();

    @Option(names = "--copy-to", paramLabel = "s3://BUCKET/PREFIX",
        description = "Also copy the verified local backup there (off-site); --copy-keep-* is that side's retention.")
    String copyTo;

    @Mixin CopyRetention copyRetention;

    @Option(names = "--dry-run", description = "Show what would be dumped and what retention would remove; change nothing.")
    boolean dryRun;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors (for cron).")
    boolean quiet;

    @Option(names = "--json", description = "Print the new backup's manifest as JSON.")
    boolean json;

    @Option(names = "--ping-url", paramLabel = "URL",
        description = "Healthchecks-style monitoring: URL/start before, URL on success, URL/fail (with the error) on failure.")
    String pingUrl;

    @Option(names = "--metrics-file", paramLabel = "PATH",
        description = "Write Prometheus textfile metrics (last success time, size, duration) here after every run.")
    Path metricsFile;

    private String databaseName; // the metrics' label, once known

    public static void main(String... args) {
        Cli.run(new backup(), args);
    }

    @Override
    public Integer call() {
        Console console = (json ? Console.forJson() : Console.standard()).quiet(quiet);
        BackupMaker.Settings settings = settings();
        AgeEncryption encryption = encryptTo.isEmpty() ? null : AgeEncryption.toRecipients(encryptTo);
        checkOffSiteSettings(settings, encryption);
        if (dryRun) return showPlan(console, settings, encryption);
        ping("/start", null);
        Instant started = Instant.now();
        try {
            // the S3 client's first request (a second of class loading) overlaps with getting the database side ready
            java.util.concurrent.CompletableFuture<S3Backups> connecting = store.isRemote()
                ? java.util.concurrent.CompletableFuture.supplyAsync(() -> S3Backups.connect(store.remote())) : null;
            BackupStore backups = BackupStore.create(store.directory(runtime));
            DatabaseRuntime database = Runtimes.select(runtime);
            databaseName = database.url().database();
            BackupManifest made;
            try (S3Backups copy = copyTo != null ? S3Backups.connect(store.s3.location(copyTo)) : null) {
                made = makeBackup(console, settings, encryption, backups, connecting, copy, database);
            } finally {
                if (connecting != null) connecting.thenAccept(S3Backups::close);
            }
            writeMetrics(made, started, true);
            ping("", "backup " + made.name() + " verified, " + Console.humanBytes(made.bytes()));
            if (json) System.out.println(made.toJson());
            return ExitCode.OK;
        } catch (RuntimeException failure) {
            writeMetrics(null, started, false);
            ping("/fail", failure.getMessage());
            throw failure;
        }
    }

    private BackupMaker.Settings settings() {
        if (!verify.equals("archive") && !verify.equals("full")) {
            throw new OxyError(ExitCode.USAGE, "--verify " + verify + " is not archive or full", null);
        }
        if (jobs > 1 && format != BackupArchive.Format.DIRECTORY) {
            throw new OxyError(ExitCode.USAGE, "--jobs needs --format directory (pg_dump dumps in parallel only into a directory)", null);
        }
        return new BackupMaker.Settings(format, compress, jobs);
    }

    /** Off-site and encrypted backups stream one custom-format archive; what cannot stream is refused before anything runs. */
    private void checkOffSiteSettings(BackupMaker.Settings settings, AgeEncryption encryption) {
        boolean streamed = store.isRemote() || encryption != null;
        if (store.isRemote()) store.remote(); // a malformed s3:// location is a usage error here, in --dry-run too
        if (streamed && settings.format() != BackupArchive.Format.CUSTOM) {
            throw new OxyError(ExitCode.USAGE, (store.isRemote() ? "--to s3://" : "--encrypt-to") + " streams one custom-format archive, not --format "
                + settings.format().name().toLowerCase(), "Drop --format, or keep that format local and unencrypted.");
        }
        if (streamed && verify.equals("full")) {
            throw new OxyError(ExitCode.USAGE, "--verify full restores a local unencrypted file, and this backup " + (store.isRemote() ? "goes to the store" : "is encrypted"),
                "Back up with --verify archive, then run 'backup verify --full NAME'" + (encryption != null ? " --identity FILE" : "") + ".");
        }
        if (copyTo != null) {
            if (!S3Location.isS3(copyTo)) throw new OxyError(ExitCode.USAGE, "--copy-to takes s3://bucket/prefix, not " + copyTo, null);
            if (store.isRemote()) throw new OxyError(ExitCode.USAGE, "--copy-to copies a local backup off-site, and --to is already " + store.where(), "Use one of them.");
            if (settings.format() == BackupArchive.Format.DIRECTORY) throw new OxyError(ExitCode.USAGE, "--copy-to uploads one file, and --format directory makes a directory", null);
            store.s3.location(copyTo);
        } else if (copyRetention.given()) {
            throw new OxyError(ExitCode.USAGE, "--copy-keep-* is the retention of --copy-to, which was not given", null);
        }
    }

    /** The steps of a nightly run: lock, clear leftovers, dump and verify, optionally restore-test, copy off-site, retention. */
    private BackupManifest makeBackup(Console console, BackupMaker.Settings settings, AgeEncryption encryption, BackupStore backups,
                                      java.util.concurrent.CompletableFuture<S3Backups> connecting, S3Backups copy, DatabaseRuntime database) {
        java.util.concurrent.CompletableFuture<S3Backups> remoteReady = null;
        try (AutoCloseable lock = backups.lock("backup")) {
            backups.removeLeftovers();
            // under the lock, beside finding the database: a run of ours killed earlier left these
            remoteReady = connecting == null ? null : connecting.thenApply(remote -> removeLeftovers(console, remote));
            if (copy != null) removeLeftovers(console, copy);
            // a directory we did not create keeps its mode (it is not ours to change); the files in it are 0600 anyway
            if (connecting == null) backups.modeIfOpenToOthers().ifPresent(mode -> console.warn("the backup directory " + backups.directory() + " is open to others (" + mode
                + "): the backups are 0600, but their names and sizes show. 'chmod 700 " + Cli.shellQuote(backups.directory().toString()) + "' closes it"));
            PostgresUrl url = database.url();
            BackupMaker maker = new BackupMaker(database, url, backups, console).uploadingTo(remoteReady).encryptingTo(encryption);
            BackupManifest made = maker.make(settings, verify.equals("full"));
            S3Backups remote = remoteReady == null ? null : remoteReady.join();
            console.ok("Backup " + made.name() + " verified (" + Console.humanBytes(made.bytes()) + ", "
                + RowCounts.total(made.rowCounts()) + " rows in " + made.rowCounts().size() + " tables, "
                + String.format(java.util.Locale.ROOT, "%.1f", made.durationSeconds()) + " s" + (made.encrypted() ? ", age-encrypted" : "") + "): "
                + (remote != null ? remote.location() + "/" + made.file() : backups.directory().resolve(made.file())));
            if (retention.given()) {
                if (remote != null) removeExpired(console, remote, false, retention);
                else removeExpired(console, backups, false);
            }
            if (copy != null) copyOffSite(console, backups, copy, made);
            return made;
        } catch (OxyError e) {
            throw e;
        } catch (Exception e) {
            throw new OxyError(ExitCode.FAILED, "backup failed: " + Cli.describe(e), null, e);
        } finally {
            if (remoteReady != null) remoteReady.exceptionally(failed -> null).join(); // no clean-up of the store outlives the lock
        }
    }

    private static S3Backups removeLeftovers(Console console, S3Backups store) {
        store.removeLeftovers().forEach(left -> console.info("Removed " + left + " left in " + store.location() + " by an interrupted run"));
        return store;
    }

    /** The plan; the store is asked too, so a wrong endpoint, key or bucket is refused here as in the real run. */
    private Integer showPlan(Console console, BackupMaker.Settings settings, AgeEncryption encryption) {
        DatabaseRuntime database = Runtimes.select(runtime);
        console.info("Would dump " + database.url() + " (" + database.name() + " runtime) as " + settings.format().name().toLowerCase()
            + ", compression " + (settings.compression().method() == DumpCompression.Method.AUTO ? "auto (zstd with pg_dump 16+, else gzip)" : settings.compression()) + (settings.jobs() > 1 ? ", " + settings.jobs() + " jobs" : "")
            + ", verification " + verify + (encryption != null ? ", encrypted with age to " + String.join(", ", encryption.fingerprints()) : ""));
        String fileName = BackupStore.PREFIX + "YYYYmmdd_HHMMSS" + settings.extension() + (encryption != null ? AgeEncryption.EXTENSION : "");
        if (store.isRemote()) {
            try (S3Backups remote = S3Backups.connect(store.remote())) {
                console.info("streamed into " + remote.location() + "/" + fileName + " (multipart upload; the manifest last)");
                if (retention.given()) removeExpired(console, remote, true, retention);
                else console.info("No retention options: no backup would be removed.");
            }
        } else {
            BackupStore backups = BackupStore.at(store.directory(runtime));
            console.info("into " + backups.directory() + "/" + fileName);
            if (retention.given()) removeExpired(console, backups, true);
            else console.info("No retention options: no backup would be removed.");
        }
        if (copyTo != null) {
            try (S3Backups copy = S3Backups.connect(store.s3.location(copyTo))) {
                console.info("then copied to " + copy.location() + "/" + fileName);
                if (copyRetention.given()) removeExpired(console, copy, true, copyRetention.toRetention());
            }
        }
        return ExitCode.OK;
    }

    /** 3-2-1: the verified local backup goes up too; the copy counts only when its bytes' sha256 is the manifest's. */
    private void copyOffSite(Console console, BackupStore backups, S3Backups copy, BackupManifest made) {
        console.step("Copying " + made.name() + " to " + copy.location());
        try {
            String sha256 = copy.upload(backups.directory().resolve(made.file()), made.file());
            if (!sha256.equals(made.sha256())) {
                throw new OxyError(ExitCode.VERIFICATION_FAILED, "the copy of " + made.name() + " read back other bytes than were verified (the local file changed?)",
                    "The local backup is kept; the copy has no manifest and the next run removes it.");
            }
            copy.putManifest(made);
        } catch (java.io.IOException e) {
            throw new OxyError(ExitCode.STORE_UNAVAILABLE, "the local backup " + made.name() + " is made and verified, but copying it to " + copy.location()
                + " failed: " + e.getMessage(), "The next run removes the unfinished upload and copies again.", e);
        } catch (OxyError e) {
            throw new OxyError(e.exitCode(), "the local backup " + made.name() + " is made and verified, but " + e.getMessage(), e.hint(), e);
        }
        console.ok("Copied to " + copy.location() + "/" + made.file());
        if (copyRetention.given()) removeExpired(console, copy, false, copyRetention.toRetention());
    }

    /** Retention after a verified backup: never the newest, only backups with our manifest. */
    static void removeExpired(Console console, BackupStore backups, boolean dryRun, Retention retention) {
        removeExpired(console, backups.list().stream().filter(BackupStore.Entry::present).toList(), BackupStore.Entry::manifest, backups::delete, dryRun, retention);
    }

    /** The same rules in an S3 prefix: only objects with our manifest are candidates. */
    static void removeExpired(Console console, S3Backups remote, boolean dryRun, Retention retention) {
        removeExpired(console, remote.list().stream().filter(S3Backups.Entry::present).toList(), S3Backups.Entry::manifest, remote::delete, dryRun, retention);
    }

    interface Removal<T> { void remove(T backup) throws IOException; }

    private static <T> void removeExpired(Console console, List<T> all, Function<T, BackupManifest> manifestOf, Removal<T> removal, boolean dryRun, Retention retention) {
        List<T> expired = retention.expired(all, manifestOf);
        if (expired.isEmpty()) {
            console.ok("Retention: keeping all " + all.size() + " backups");
            return;
        }
        for (T entry : expired) {
            String name = manifestOf.apply(entry).name();
            if (dryRun) {
                console.info("Would remove " + name);
                continue;
            }
            try {
                removal.remove(entry);
                console.ok("Removed " + name + " (retention)");
            } catch (IOException | OxyError e) {
                console.warn("could not remove " + name + ": " + e.getMessage());
            }
        }
        console.ok("Retention: " + (all.size() - expired.size()) + " backups kept" + (dryRun ? " (dry run, nothing removed)" : ""));
    }

    private void removeExpired(Console console, BackupStore backups, boolean dryRun) {
        removeExpired(console, backups, dryRun, retention);
    }

    // --- monitoring ---

    /** Healthchecks.io convention; a monitoring hiccup never fails the backup, it is only reported. */
    private void ping(String suffix, String body) {
        if (pingUrl == null) return;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(pingUrl.replaceAll("/+$", "") + suffix))
                .timeout(Duration.ofSeconds(10))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status >= 400) Console.standard().warn("ping " + suffix + " answered HTTP " + status);
        } catch (IOException | IllegalArgumentException e) {
            Console.standard().warn("could not ping the monitoring URL (" + Cli.describe(e) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Prometheus textfile: the last success survives failed runs, so an alert can say how old it is. */
    private void writeMetrics(BackupManifest made, Instant started, boolean success) {
        if (metricsFile == null) return;
        Map<String, String> previous = PrometheusTextfile.read(metricsFile);
        double now = Instant.now().toEpochMilli() / 1000.0;
        String database = databaseName != null ? databaseName : runtime.database;
        Map<String, String> values = new LinkedHashMap<>();
        values.put("oxy_backup_last_run_timestamp_seconds", String.valueOf(now));
        values.put("oxy_backup_last_run_success", success ? "1" : "0");
        values.put("oxy_backup_last_run_duration_seconds", String.valueOf(Duration.between(started, Instant.now()).toMillis() / 1000.0));
        values.put("oxy_backup_last_success_timestamp_seconds", success ? String.valueOf(now) : previous.getOrDefault("oxy_backup_last_success_timestamp_seconds", "0"));
        values.put("oxy_backup_last_success_size_bytes", success ? String.valueOf(made.bytes()) : previous.getOrDefault("oxy_backup_last_success_size_bytes", "0"));
        values.put("oxy_backup_last_success_duration_seconds", success ? String.valueOf(made.durationSeconds()) : previous.getOrDefault("oxy_backup_last_success_duration_seconds", "0"));
        PrometheusTextfile.write(metricsFile, values.entrySet().stream()
            .map(value -> PrometheusTextfile.Sample.of(value.getKey(), value.getValue(), "database", database)).toList(), Console.standard());
    }

    // --- shared options ---

    /** Which backups to keep: the newest N, and the newest of each of the last D days, W weeks, M months (UTC). */
    public static class Retention {
        @Option(names = "--keep-last", converter = Cli.AtLeastZero.class, paramLabel = "N", description = "Keep the newest N backups.")
        Integer last;
        @Option(names = "--keep-daily", converter = Cli.AtLeastZero.class, paramLabel = "D", description = "Keep the newest backup of each of the last D days that have one.")
        Integer daily;
        @Option(names = "--keep-weekly", converter = Cli.AtLeastZero.class, paramLabel = "W", description = "Keep the newest backup of each of the last W ISO weeks that have one.")
        Integer weekly;
        @Option(names = "--keep-monthly", converter = Cli.AtLeastZero.class, paramLabel = "M", description = "Keep the newest backup of each of the last M months that have one.")
        Integer monthly;

        boolean given() { return last != null || daily != null || weekly != null || monthly != null; }

        /** The backups no rule keeps, from a newest-first list; the newest is always kept. */
        List<BackupStore.Entry> expired(List<BackupStore.Entry> newestFirst) {
            return expired(newestFirst, BackupStore.Entry::manifest);
        }

        /** The same rules for any list of backups (local or remote), given each one's manifest. */
        <T> List<T> expired(List<T> newestFirst, Function<T, BackupManifest> manifestOf) {
            List<BackupManifest> manifests = newestFirst.stream().map(manifestOf).toList();
            Set<String> kept = new HashSet<>();
            if (!manifests.isEmpty()) kept.add(manifests.get(0).name());
            manifests.stream().limit(last == null ? 0 : Math.max(0, last)).forEach(m -> kept.add(m.name()));
            keepNewestPer(manifests, daily, date -> date.toString(), kept);
            keepNewestPer(manifests, weekly, date -> date.get(IsoFields.WEEK_BASED_YEAR) + "-W" + date.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), kept);
            keepNewestPer(manifests, monthly, date -> date.getYear() + "-" + date.getMonthValue(), kept);
            return newestFirst.stream().filter(e -> !kept.contains(manifestOf.apply(e).name())).toList();
        }

        private static void keepNewestPer(List<BackupManifest> newestFirst, Integer periods, Function<LocalDate, String> period, Set<String> kept) {
            if (periods == null || periods <= 0) return;
            Set<String> seen = new HashSet<>();
            for (BackupManifest manifest : newestFirst) {
                String key = period.apply(LocalDate.ofInstant(manifest.startedAt(), ZoneOffset.UTC));
                if (seen.contains(key)) continue;
                if (seen.size() == periods) break;
                seen.add(key);
                kept.add(manifest.name());
            }
        }
    }

    /** --copy-to's own retention: the off-site side may keep longer (or less) than the local one. */
    public static class CopyRetention {
        @Option(names = "--copy-keep-last", converter = Cli.AtLeastZero.class, paramLabel = "N", description = "--copy-to: keep the newest N copies.")
        Integer last;
        @Option(names = "--copy-keep-daily", converter = Cli.AtLeastZero.class, paramLabel = "D", description = "--copy-to: keep one copy for each of the last D days.")
        Integer daily;
        @Option(names = "--copy-keep-weekly", converter = Cli.AtLeastZero.class, paramLabel = "W", description = "--copy-to: keep one copy for each of the last W weeks.")
        Integer weekly;
        @Option(names = "--copy-keep-monthly", converter = Cli.AtLeastZero.class, paramLabel = "M", description = "--copy-to: keep one copy for each of the last M months.")
        Integer monthly;

        boolean given() { return last != null || daily != null || weekly != null || monthly != null; }

        Retention toRetention() {
            Retention retention = new Retention();
            retention.last = last;
            retention.daily = daily;
            retention.weekly = weekly;
            retention.monthly = monthly;
            return retention;
        }
    }

    // --- subcommands ---

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "List backups: name, age, size, verification, server version.")
    static class ListBackups implements Callable<Integer> {
        @Mixin RuntimeOptions runtime;
        @Mixin BackupLocationOption store;
        @Option(names = "--json", description = "Print a JSON array of the manifests.") boolean json;

        @Override
        public Integer call() throws Exception {
            if (store.isRemote()) {
                try (S3Backups remote = S3Backups.connect(store.remote())) {
                    List<S3Backups.Entry> entries = remote.list();
                    if (json) System.out.println(BackupManifest.json().writeValueAsString(entries.stream().map(e -> withPresence(e.manifest(), e.present())).toList()));
                    else BackupDirectoryOption.printTable(Console.standard(), remote, entries);
                }
                return ExitCode.OK;
            }
            BackupStore backups = BackupStore.at(store.directory(runtime));
            List<BackupStore.Entry> entries = backups.list();
            if (json) {
                System.out.println(BackupManifest.json().writeValueAsString(entries.stream().map(e -> withPresence(e.manifest(), e.present())).toList()));
                return ExitCode.OK;
            }
            BackupDirectoryOption.printTable(Console.standard(), backups, entries);
            return ExitCode.OK;
        }

        private static Map<String, Object> withPresence(BackupManifest manifest, boolean present) {
            Map<String, Object> row = BackupManifest.json().convertValue(manifest.withoutPasswordHashes(), LinkedHashMap.class);
            row.put("present", present);
            return row;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Check a backup: sha256 against its manifest and the archive readable to the end; --full restores it into a scratch database.",
        footer = {"", "Exit codes: 0 sound; 9 damaged, incomplete or not matching its manifest; 2 no such backup, or encrypted and the identity does not open it;",
            "            12 the store does not answer or refuses us."})
    static class VerifyBackup implements Callable<Integer> {
        @Mixin RuntimeOptions runtime;
        @Mixin BackupLocationOption store;
        @Parameters(paramLabel = "NAME|FILE|latest", description = "A backup name, 'latest', or a dump file.") String what;
        @Option(names = "--full", description = "Also restore into a scratch database and compare row counts with the manifest.") boolean full;
        @Option(names = "--identity", paramLabel = "FILE",
            description = "age identity file for encrypted backups (env " + AgeEncryption.IDENTITY_VARIABLE + "); without it only the stored bytes' sha256 is checked.")
        Path identity;

        @Override
        public Integer call() {
            Console console = Console.standard();
            BackupStore local = BackupStore.at(store.directory(runtime));
            Path identityFile = AgeEncryption.identityFile(identity);
            try (S3Backups remote = store.isRemote() ? S3Backups.connect(store.remote()) : null) {
                StoredBackup stored = StoredBackup.resolve(what, local, remote);
                if (stored.manifest().isPresent() && stored.manifest().get().encrypted() && identityFile == null) {
                    if (full) throw new OxyError(ExitCode.USAGE, "--full restores the backup, and it is encrypted", "Pass --identity FILE.");
                    FetchedBackup.checkStored(stored.manifest().get(), stored.open(), stored.where());
                    console.ok("sha256 of the stored (encrypted) bytes matches the manifest; pass --identity FILE to also prove the dump readable");
                    return ExitCode.OK;
                }
                try (FetchedBackup fetched = stored.fetch(identityFile, BackupStore.create(local.directory()), console)) {
                    BackupArchive archive = fetched != null ? fetched.archive() : stored.archive();
                    if (fetched == null) archive.checkChecksum();
                    if (archive.manifest().isPresent()) console.ok("sha256 matches the manifest");
                    checkArchive(console, archive);
                }
            }
            return ExitCode.OK;
        }

        private void checkArchive(Console console, BackupArchive archive) {
            DatabaseRuntime database = Runtimes.select(runtime);
            if (archive.format() == BackupArchive.Format.PLAIN && !full) {
                archive.checkReadable(null);
            } else {
                // pg_restore as new as the pg_dump that made it; the server is asked only when no manifest says
                Optional<Integer> dumpedBy = archive.manifest().map(m -> DatabaseRuntime.majorOf(m.pgDumpVersion()));
                int major = dumpedBy.isPresent() && !full ? dumpedBy.get()
                    : Math.max(dumpedBy.orElse(0), BackupMaker.serverMajor(database.url().withDatabase("postgres")));
                try (PostgresTools tools = PostgresTools.find(major, database,
                        List.of(archive.path().getParent()), console)) {
                    archive.checkReadable(tools);
                    if (full) {
                        BackupManifest manifest = archive.manifest().orElseThrow(() -> new OxyError(ExitCode.USAGE,
                            "--full compares row counts with a manifest, and " + archive.name() + " has none", "Verify it without --full."));
                        BackupMaker.restoreIntoScratch(tools, database.url(), archive, manifest.rowCounts(), console);
                    }
                }
            }
            console.ok(archive.name() + " is readable to the end (" + archive.describeFormat() + ")" + (full ? " and restores with matching row counts" : ""));
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Apply retention now: remove backups no --keep-* rule keeps (never the newest; only backups with our manifest).")
    static class PruneBackups implements Callable<Integer> {
        @Mixin RuntimeOptions runtime;
        @Mixin BackupLocationOption store;
        @Mixin Retention retention;
        @Option(names = "--dry-run", description = "Show what would be removed.") boolean dryRun;

        @Override
        public Integer call() throws Exception {
            if (!retention.given()) {
                throw new OxyError(ExitCode.USAGE, "prune needs at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly", null);
            }
            if (store.isRemote()) {
                try (S3Backups remote = S3Backups.connect(store.remote())) {
                    removeExpired(Console.standard(), remote, dryRun, retention);
                }
                return ExitCode.OK;
            }
            BackupStore backups = BackupStore.at(store.directory(runtime));
            if (!Files.isDirectory(backups.directory())) {
                Console.standard().info("No backups in " + backups.directory() + "; nothing to prune.");
                return ExitCode.OK;
            }
            try (AutoCloseable lock = backups.lock("prune")) {
                removeExpired(Console.standard(), backups, dryRun, retention);
            }
            return ExitCode.OK;
        }
    }
}
