import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

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
    java.util.List<String> encryptedTo,
    java.util.List<DatabaseRoles.Role> roles) {

    public static final String SUFFIX = ".manifest.json";
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
     * A manifest is input: prune deletes what it names, so its name and data must be files of this backup in
     * the manifest's own directory (NAME.manifest.json beside NAME + extension), never a path that leads out.
     */
    private void requireOwnFiles(String fileName, String manifest) {
        boolean nameIsItsOwn = name != null && (name + SUFFIX).equals(fileName) && isPlainFileName(name);
        boolean dataBeside = file != null && isPlainFileName(file) && file.startsWith(name == null ? "\0" : name);
        if (!nameIsItsOwn || !dataBeside) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + manifest + " names " + (nameIsItsOwn ? "data '" + file + "'" : "backup '" + name + "'")
                + " that is not a file of its own beside it", "It was edited or is not ours; nothing was removed or restored. Move it out of the directory.");
        }
    }

    /** One path element, not "." or "..": resolved against a directory, it stays inside it. */
    private static boolean isPlainFileName(String candidate) {
        return !candidate.isEmpty() && !candidate.equals(".") && !candidate.equals("..") && candidate.indexOf('/') < 0
            && candidate.indexOf('\\') < 0 && candidate.indexOf('\0') < 0;
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
