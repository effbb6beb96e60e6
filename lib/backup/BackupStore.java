import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The backup directory: backups named oxy_YYYYmmdd_HHMMSS (UTC) with a manifest beside each, files 0600
 * in a 0700 directory, a lock so two runs never overlap, and temporary names (".partial-...") that never
 * look like a backup.
 */
public final class BackupStore {
    public static final String PREFIX = "oxy_";
    static final String TEMPORARY_PREFIX = ".partial-";
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);

    /** A backup we made: its manifest and where its data is. */
    public record Entry(BackupManifest manifest, Path data) {
        public String name() { return manifest.name(); }
        public boolean present() { return Files.exists(data); }
    }

    private final Path directory;

    private BackupStore(Path directory) { this.directory = directory; }

    public Path directory() { return directory; }

    /** --dir, else OXY_BACKUP_DIR, else $OXY_STATE_DIR/backups. */
    public static Path defaultDirectory(Path chosen, RuntimeOptions options) {
        if (chosen != null) return chosen.toAbsolutePath();
        String fromEnv = System.getenv("OXY_BACKUP_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv).toAbsolutePath();
        return options.stateDir.resolve("backups").toAbsolutePath();
    }

    /** The directory as it is; it may not exist (list, restore). */
    public static BackupStore at(Path directory) { return new BackupStore(directory); }

    /** Creates the directory (0700) when missing, for writing backups. */
    public static BackupStore create(Path directory) {
        try {
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory);
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            }
            if (!Files.isWritable(directory)) {
                throw new OxyError(ExitCode.FAILED, "cannot write to the backup directory " + directory,
                    "Fix its permissions or choose another with --dir / OXY_BACKUP_DIR.");
            }
            return new BackupStore(directory);
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot create the backup directory " + directory + " (" + e.getMessage() + ")",
                "Choose a writable place with --dir or OXY_BACKUP_DIR.", e);
        }
    }

    /** The directory's mode ("rwxr-xr-x") when group or others may read or enter it; empty when it is private. */
    public Optional<String> modeIfOpenToOthers() { return DurableFiles.modeIfOpenToOthers(directory); }

    /** Holds the directory's lock until closed; a second run gets an error at once (exit 10). */
    public AutoCloseable lock(String purpose) {
        Path lockFile = directory.resolve(".lock");
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            try {
                restrict(lockFile); // 0600 like everything else in here
            } catch (IOException notOurs) {
                // another user's lock file: the lock works all the same
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = new String(Files.readAllBytes(lockFile), StandardCharsets.UTF_8).strip();
                channel.close();
                throw new OxyError(ExitCode.LOCKED, "another backup or restore is running on " + directory
                    + (holder.isEmpty() ? "" : " (" + holder + ")"), "Wait for it to finish; nothing was done.");
            }
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap((purpose + ", pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
            FileLock held = lock;
            return () -> {
                held.release();
                channel.close();
            };
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot lock the backup directory " + directory + " (" + e.getMessage() + ")", null, e);
        }
    }

    /** Leftovers of runs that were killed: never backups, removed under the lock. */
    public void removeLeftovers() {
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path leftover : entries.filter(p -> p.getFileName().toString().startsWith(TEMPORARY_PREFIX) && !fetchedByALiveRun(p)).toList()) {
                DurableFiles.deleteRecursively(leftover);
            }
        } catch (IOException e) {
            // what cannot be listed now is removed by the next run
        }
    }

    /** A restore's or verify's downloaded copy (FetchedBackup) while the run that fetched it is alive: not a leftover yet. */
    private static boolean fetchedByALiveRun(Path path) {
        java.util.regex.Matcher fetched = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(TEMPORARY_PREFIX + FetchedBackup.FETCHED) + "(\\d+)-")
            .matcher(path.getFileName().toString());
        return fetched.lookingAt() && ProcessHandle.of(Long.parseLong(fetched.group(1))).isPresent();
    }

    /** A fresh name for a backup started now; a second one in the same second gets a suffix. */
    public String newName(Instant startedAt) {
        String base = PREFIX + NAME_TIME.format(startedAt);
        String name = base;
        for (int n = 2; nameTaken(name); n++) name = base + "_" + n;
        return name;
    }

    private boolean nameTaken(String name) {
        try (DirectoryStream<Path> same = Files.newDirectoryStream(directory, name + ".*")) {
            if (same.iterator().hasNext()) return true;
        } catch (IOException e) {
            return true;
        }
        return Files.exists(directory.resolve(name));
    }

    public Path temporary(String fileName) { return directory.resolve(TEMPORARY_PREFIX + fileName); }

    /** Our backups, newest first (by start time in the manifest). */
    public List<Entry> list() {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isDirectory(directory)) return entries;
        try (DirectoryStream<Path> manifests = Files.newDirectoryStream(directory, PREFIX + "*" + BackupManifest.SUFFIX)) {
            for (Path path : manifests) {
                // unreadable JSON is skipped (reported when asked for by name); a manifest naming others' files refuses the listing
                BackupManifest.readIfParsable(path).ifPresent(manifest -> entries.add(new Entry(manifest, directory.resolve(manifest.file()))));
            }
        } catch (IOException e) {
            throw new OxyError(ExitCode.FAILED, "cannot read the backup directory " + directory + " (" + e.getMessage() + ")", null, e);
        }
        entries.sort(Comparator.comparing((Entry e) -> e.manifest().startedAt()).reversed());
        return entries;
    }

    public Optional<Entry> newest() {
        return list().stream().filter(Entry::present).findFirst();
    }

    /** The backup of that name; a manifest of that name that cannot be read is a damaged backup (exit 9), not a missing one. */
    public Optional<Entry> find(String name) {
        Optional<Entry> found = list().stream().filter(e -> e.name().equals(name)).findFirst();
        Path manifest = BackupManifest.pathFor(directory, name);
        if (found.isEmpty() && name.startsWith(PREFIX) && Files.isRegularFile(manifest)) BackupManifest.read(manifest);
        return found;
    }

    // --- files: permissions, checksums (durability: DurableFiles) ---

    /** 0600 for files, 0700 for directories: a dump holds every row of the database. */
    static void restrict(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
            try (Stream<Path> files = Files.list(path)) {
                for (Path file : files.toList()) Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        } else {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        }
    }

    /** sha256 of a file; of a directory (directory format), of its files' names and sha256s in name order. */
    public static String sha256(Path path) throws IOException {
        if (!Files.isDirectory(path)) return HexFormat.of().formatHex(digest(path));
        MessageDigest whole = sha256Digest();
        try (Stream<Path> files = Files.list(path)) {
            for (Path file : files.sorted().toList()) {
                whole.update((file.getFileName() + " " + HexFormat.of().formatHex(digest(file)) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return HexFormat.of().formatHex(whole.digest());
    }

    private static byte[] digest(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return digest.digest();
    }

    /** A SHA-256 digest (every JVM has one): the one place lib/backup asks for it. */
    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long size(Path path) throws IOException {
        if (!Files.isDirectory(path)) return Files.size(path);
        try (Stream<Path> files = Files.list(path)) {
            long total = 0;
            for (Path file : files.toList()) total += Files.size(file);
            return total;
        }
    }

    /** Deletes a backup: exactly the files its manifest owns, data first (a manifest without data lists as missing). */
    public void delete(Entry entry) throws IOException {
        for (String owned : entry.manifest().ownedFiles()) DurableFiles.deleteRecursively(directory.resolve(owned));
    }
}
