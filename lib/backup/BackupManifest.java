import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a backup holds, written beside it as NAME.manifest.json once the backup is verified: a backup
 * without one was not made (or not finished) by us, and retention never touches it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupManifest(
    String name,
    String file,
    String format,
    String compression,
    String sha256,
    long bytes,
    String database,
    String runtime,
    String serverVersion,
    String pgDumpVersion,
    String schemaVersion,
    Map<String, Long> rowCounts,
    Instant startedAt,
    Instant finishedAt,
    double durationSeconds,
    String verification,
    String madeBy,
    String encryption,
    List<String> encryptedTo,
    List<DatabaseRoles.Role> roles) {

    public static final String SUFFIX = ".manifest.json";
    /** Our backups' names, exactly: oxy_YYYYmmdd_HHMMSS (UTC), and _N for a later one in the same second. */
    static final Pattern NAME = Pattern.compile(Pattern.quote(BackupStore.PREFIX) + "\\d{8}_\\d{6}(_\\d+)?");
    /** What follows the name in its data's name: .dump, .sql, .sql.gz, .sql.zst, each maybe .age; nothing for a directory dump. */
    private static final Pattern DATA_EXTENSION = Pattern.compile("(\\.dump|\\.sql(\\.gz|\\.zst)?)?(\\.age)?");
    private static final String NOT_OURS = "It was edited or is not ours; nothing was removed or restored. Move it out of the directory.";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
        .enable(SerializationFeature.INDENT_OUTPUT).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    public BackupManifest verifiedBy(String how) {
        return new BackupManifest(name, file, format, compression, sha256, bytes, database, runtime, serverVersion, pgDumpVersion,
            schemaVersion, rowCounts, startedAt, finishedAt, durationSeconds, how, madeBy, encryption, encryptedTo, roles);
    }

    /** For output (--json, list --json): the roles without their password hashes, which only the file holds. */
    public BackupManifest withoutPasswordHashes() {
        if (roles == null) return this;
        return new BackupManifest(name, file, format, compression, sha256, bytes, database, runtime, serverVersion, pgDumpVersion,
            schemaVersion, rowCounts, startedAt, finishedAt, durationSeconds, verification, madeBy, encryption, encryptedTo,
            roles.stream().map(DatabaseRoles.Role::withoutPassword).toList());
    }

    /** age-encrypted: the data's bytes (and sha256) are ciphertext; restoring needs an identity. */
    public boolean encrypted() { return encryption != null; }

    public static Path pathFor(Path directory, String name) { return directory.resolve(name + SUFFIX); }

    public static BackupManifest read(Path manifest) {
        try {
            return parse(manifest);
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + manifest + " is unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")",
                "It was edited or damaged; 'backup verify' checks the archive itself.", e);
        }
    }

    /** read(), with an unreadable manifest as empty (listings skip it); one naming files that are not its own is still refused. */
    public static Optional<BackupManifest> readIfParsable(Path manifest) {
        try {
            return Optional.of(parse(manifest));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static BackupManifest parse(Path manifest) throws IOException {
        BackupManifest read = JSON.readValue(manifest.toFile(), BackupManifest.class);
        read.requireOwnFiles(manifest.getFileName().toString(), manifest.toString());
        return read;
    }

    /** A remote manifest's bytes (fileName: its object's last path element; where: for messages). */
    public static BackupManifest read(byte[] json, String fileName, String where) {
        try {
            BackupManifest read = JSON.readValue(json, BackupManifest.class);
            read.requireOwnFiles(fileName, where);
            return read;
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + where + " is unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")",
                "It was edited or damaged; 'backup verify' checks the data itself.", e);
        }
    }

    /** read(byte[]...), with an unreadable manifest as empty (listings skip it); one naming files not its own is still refused. */
    public static Optional<BackupManifest> readIfParsable(byte[] json, String fileName) {
        try {
            BackupManifest read = JSON.readValue(json, BackupManifest.class);
            read.requireOwnFiles(fileName, fileName);
            return Optional.of(read);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * A manifest is input: prune deletes what it names, so its name must be one of ours exactly and the
     * manifest's own file's, and its data exactly that name's archive: never a path that leads out, never
     * a prefix of another backup's name ('oxy_2' naming oxy_20261201_030000.dump).
     */
    private void requireOwnFiles(String fileName, String manifest) {
        boolean nameIsItsOwn = name != null && NAME.matcher(name).matches() && (name + SUFFIX).equals(fileName);
        boolean dataIsItsOwn = nameIsItsOwn && file != null && file.startsWith(name) && DATA_EXTENSION.matcher(file.substring(name.length())).matches();
        if (!nameIsItsOwn) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + manifest + " names backup '" + name + "', which is not its own name or not one of ours"
                + " (exactly oxy_YYYYmmdd_HHMMSS[_N], as in its file's name)", NOT_OURS);
        }
        if (!dataIsItsOwn) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + manifest + " names data '" + file + "' that is not a file of its own"
                + " (exactly " + name + " followed by .dump, .dump.age, .sql, .sql.gz or .sql.zst, or the directory " + name + ")", NOT_OURS);
        }
    }

    /**
     * The exact names this backup owns in its directory or prefix, data first: its archive and its manifest.
     * Deleting it deletes these and nothing else; a manifest not held to the rule above is refused (exit 9).
     */
    public List<String> ownedFiles() {
        requireOwnFiles(name + SUFFIX, name + SUFFIX);
        return List.of(file, name + SUFFIX);
    }

    /** Written to a temporary name, synced, then renamed: a manifest is whole or absent. */
    public void write(Path directory) throws IOException {
        Path temporary = directory.resolve(BackupStore.TEMPORARY_PREFIX + name + SUFFIX);
        DurableFiles.writePrivateAndSynced(pathFor(directory, name), temporary, JSON.writeValueAsBytes(this));
    }

    public byte[] toJsonBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For output: without password hashes. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(withoutPasswordHashes());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectMapper json() { return JSON; }
}
