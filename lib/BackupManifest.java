//DEPS com.fasterxml.jackson.core:jackson-databind:2.22.4
//DEPS com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.22.4

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

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
    String madeBy) {

    public static final String SUFFIX = ".manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
        .enable(SerializationFeature.INDENT_OUTPUT).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    public BackupManifest verifiedBy(String how) {
        return new BackupManifest(name, file, format, compression, sha256, bytes, database, runtime, serverVersion, pgDumpVersion,
            schemaVersion, rowCounts, startedAt, finishedAt, durationSeconds, how, madeBy);
    }

    public static Path pathFor(Path directory, String name) { return directory.resolve(name + SUFFIX); }

    public static BackupManifest read(Path manifest) {
        try {
            return JSON.readValue(manifest.toFile(), BackupManifest.class);
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "the manifest " + manifest + " is unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")",
                "It was edited or damaged; 'backup verify' checks the archive itself.", e);
        }
    }

    /** Written to a temporary name, synced, then renamed: a manifest is whole or absent. */
    public void write(Path directory) throws IOException {
        Path target = pathFor(directory, name);
        Path temporary = directory.resolve(BackupStore.TEMPORARY_PREFIX + name + SUFFIX);
        Files.write(temporary, JSON.writeValueAsBytes(this));
        BackupStore.restrict(temporary);
        BackupStore.fsync(temporary);
        Files.move(temporary, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectMapper json() { return JSON; }
}
