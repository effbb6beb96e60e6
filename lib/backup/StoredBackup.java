import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A backup as it is stored: a plain archive on local disk (ours or a runbook's file), an age-encrypted one
 * of ours, or one in an S3 prefix. fetch() makes the last two a local plaintext archive for pg_restore.
 */
public final class StoredBackup {
    private final BackupArchive plainLocal;   // usable as it is, or null
    private final BackupManifest manifest;    // of an encrypted local or a remote backup
    private final Path encryptedLocal;
    private final S3Backups remote;

    private StoredBackup(BackupArchive plainLocal, BackupManifest manifest, Path encryptedLocal, S3Backups remote) {
        this.plainLocal = plainLocal;
        this.manifest = manifest;
        this.encryptedLocal = encryptedLocal;
        this.remote = remote;
    }

    /** A name or 'latest' in the remote prefix when there is one, else a name, 'latest' or a file in the local directory. */
    public static StoredBackup resolve(String what, BackupStore local, S3Backups remote) {
        if (remote != null) {
            S3Backups.Entry entry = (what.equals("latest") ? remote.newest() : remote.find(what)).orElseThrow(() -> new OxyError(ExitCode.USAGE,
                what.equals("latest") ? "there is no backup in " + remote.location() : "no backup named '" + what + "' in " + remote.location(),
                "List them: ./jbang oxy backup list --to " + remote.location()));
            if (!entry.present()) {
                throw new OxyError(ExitCode.USAGE, "backup " + what + " has a manifest in " + remote.location() + " but its data is gone", "Pick another: ./jbang oxy backup list --to " + remote.location());
            }
            return new StoredBackup(null, entry.manifest(), null, remote);
        }
        Optional<BackupStore.Entry> ours = what.equals("latest") ? local.newest() : local.find(what);
        if (ours.isPresent() && ours.get().present() && ours.get().manifest().encrypted()) {
            return new StoredBackup(null, ours.get().manifest(), ours.get().data(), null);
        }
        return new StoredBackup(BackupArchive.resolve(what, local), null, null, null);
    }

    public Optional<BackupManifest> manifest() { return plainLocal != null ? plainLocal.manifest() : Optional.of(manifest); }

    /** For messages: the remote location, or the local file. */
    public String where() {
        return remote != null ? remote.location() + "/" + manifest.file() : encryptedLocal != null ? encryptedLocal.toString() : plainLocal.path().toString();
    }

    /** The plain local archive, when no fetch is needed. */
    public BackupArchive archive() { return plainLocal; }

    public boolean needsFetch() { return plainLocal == null; }

    /** The stored bytes as they are (ciphertext when encrypted). */
    public InputStream open() {
        if (remote != null) return remote.open(manifest.file());
        try {
            return Files.newInputStream(encryptedLocal != null ? encryptedLocal : plainLocal.path());
        } catch (IOException e) {
            throw new OxyError(ExitCode.USAGE, "cannot read " + where() + " (" + e.getMessage() + ")", null, e);
        }
    }

    /** A local plaintext copy, checked against the manifest (null when the archive is usable as it is); console: for the identity file's warning. */
    public FetchedBackup fetch(Path identity, BackupStore staging, Console console) {
        if (!needsFetch()) return null;
        return FetchedBackup.fetch(manifest, open(), where(), identity, staging, console);
    }
}
