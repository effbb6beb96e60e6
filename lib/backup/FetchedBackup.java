import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A stored backup made ready for pg_restore: downloaded from the store and/or decrypted into a private file
 * of the local backup directory (named .partial-…, so a killed run's copy is removed by the next one), its
 * stored bytes' sha256 checked against the manifest on the way. Closing it deletes the file.
 */
public final class FetchedBackup implements AutoCloseable {
    /** .partial-fetched-PID-…: another run's cleanup leaves it alone while that pid lives. */
    static final String FETCHED = "fetched-";

    private final Path file;
    private final BackupArchive archive;

    private FetchedBackup(Path file, BackupArchive archive) {
        this.file = file;
        this.archive = archive;
    }

    /** The plaintext archive, with its manifest (whose sha256 is of the stored bytes, already checked). */
    public BackupArchive archive() { return archive; }

    /**
     * stored: the backup's bytes as stored (remote object or local file); identity: needed when it is encrypted.
     * A mismatch with the manifest is exit 9 before anything else happens. console: says when the identity file is open to others.
     */
    public static FetchedBackup fetch(BackupManifest manifest, InputStream stored, String from, Path identity, BackupStore staging, Console console) {
        if (manifest.encrypted() && identity == null) {
            throw new OxyError(ExitCode.USAGE, "backup " + manifest.name() + " is encrypted with age (to " + String.join(", ", manifest.encryptedTo()) + ")",
                "Pass --identity FILE (the age-keygen file of that key), or set " + AgeEncryption.IDENTITY_VARIABLE + ".");
        }
        if (manifest.encrypted()) AgeEncryption.warnIfOpenToOthers(identity, console);
        Path file = staging.temporary(FETCHED + ProcessHandle.current().pid() + "-" + manifest.file().replaceFirst("\\" + AgeEncryption.EXTENSION + "$", ""));
        MessageDigest digest = BackupStore.sha256Digest();
        try (InputStream hashed = new DigestInputStream(stored, digest);
             InputStream plain = manifest.encrypted() ? AgeEncryption.decrypting(hashed, identity, manifest.encryptedTo()) : hashed;
             OutputStream out = Files.newOutputStream(file)) {
            BackupStore.restrict(file);
            plain.transferTo(out);
            hashed.transferTo(OutputStream.nullOutputStream()); // age stops at its last chunk; the sha256 is of every stored byte
        } catch (IOException e) {
            deleteQuietly(file);
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "backup " + manifest.name() + " from " + from + " could not be read to the end (" + e.getMessage() + ")",
                "It is damaged (or the store failed mid-way); nothing was changed. Try again, or use another backup.", e);
        } catch (RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
        requireMatching(manifest, HexFormat.of().formatHex(digest.digest()), from, file);
        return new FetchedBackup(file, BackupArchive.open(file, Optional.of(manifest)));
    }

    /** Only the stored bytes' sha256 against the manifest (an encrypted backup verified without its identity). */
    public static void checkStored(BackupManifest manifest, InputStream stored, String from) {
        MessageDigest digest = BackupStore.sha256Digest();
        try (InputStream hashed = new DigestInputStream(stored, digest)) {
            hashed.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new OxyError(ExitCode.VERIFICATION_FAILED, "backup " + manifest.name() + " from " + from + " could not be read (" + e.getMessage() + ")", null, e);
        }
        requireMatching(manifest, HexFormat.of().formatHex(digest.digest()), from, null);
    }

    private static void requireMatching(BackupManifest manifest, String actual, String from, Path file) {
        if (actual.equals(manifest.sha256())) return;
        if (file != null) deleteQuietly(file);
        throw new OxyError(ExitCode.VERIFICATION_FAILED, "backup " + manifest.name() + " in " + from + " does not match its manifest (sha256 "
            + actual.substring(0, 12) + "..., expected " + (manifest.sha256() == null ? "none" : manifest.sha256().substring(0, Math.min(12, manifest.sha256().length()))) + "...)",
            "Its bytes changed after it was made: it is damaged. Nothing was changed; use another backup.");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // removed with the leftovers of the next run
        }
    }

    @Override
    public void close() {
        deleteQuietly(file);
    }
}
