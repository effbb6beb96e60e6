import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an upgrade did so far, in $OXY_STATE_DIR/upgrade-&lt;container|embedded&gt;.json. upgrade writes it after
 * every step so a rerun resumes; start and status read it to refuse or explain a half-done upgrade.
 *
 * @param runtime        "docker" or "embedded"
 * @param name           the container, or the embedded data directory
 * @param fromImage      the old image, or the old server binaries
 * @param from           the old volume, or the old data directory (never changed until --finalize)
 * @param to             the new volume, or the new data directory
 * @param staging        the container the new server runs in until the swap (docker)
 * @param kept           where the old server is kept after the swap: a container, or a data directory
 * @param writesAtBackup rows inserted, updated or deleted on the old server when the final backup was taken
 * @param replication    --method replicate: what it changed on the old server, so cleanup undoes exactly that (null: --method dump)
 */
public record UpgradeState(String runtime, String name, String fromImage, String from, int fromMajor, String toImage, String to,
                           int toMajor, String staging, String kept, String backup, long writesAtBackup, List<String> done,
                           Replication replication) {

    public static final String BACKED_UP = "backed-up", RESTORED = "restored", VERIFIED = "verified", SWAPPED = "swapped";
    /** --method replicate's steps: subscribed (copy running), writes refused (switchover began); then VERIFIED and SWAPPED as for dump. */
    public static final String SUBSCRIBED = "subscribed", WRITES_REFUSED = "writes-refused";
    /**
     * The way back: slot and publication made on the new server before it took writes (ready), the old server
     * subscribed to them after the swap (following); in a rollback, the new server's writes all on the old one (caught up).
     */
    public static final String WAY_BACK_READY = "way-back-ready", WAY_BACK_FOLLOWING = "way-back-following", CAUGHT_UP_BACK = "caught-up-back";

    /**
     * --method replicate's changes to the old server: tables given REPLICA IDENTITY FULL ("schema.table|d" or "|n",
     * the identity to restore), and the new server's system identifier, which names the initial copy's sync slots.
     */
    public record Replication(List<String> replicaIdentityFull, String subscriberSystemId) {}

    public boolean replicated() { return replication != null; }

    public UpgradeState withReplication(Replication value) {
        return new UpgradeState(runtime, name, fromImage, from, fromMajor, toImage, to, toMajor, staging, kept, backup, writesAtBackup, done, value);
    }

    public UpgradeState with(String step) {
        List<String> steps = new ArrayList<>(done);
        steps.add(step);
        return new UpgradeState(runtime, name, fromImage, from, fromMajor, toImage, to, toMajor, staging, kept, backup, writesAtBackup, steps, replication);
    }

    public UpgradeState withBackup(String backupName, long writes) {
        return new UpgradeState(runtime, name, fromImage, from, fromMajor, toImage, to, toMajor, staging, kept, backupName, writes, done, replication);
    }

    /** Back to before the final backup: the old server took writes after it, so that backup is stale. */
    public UpgradeState withoutBackup() {
        return new UpgradeState(runtime, name, fromImage, from, fromMajor, toImage, to, toMajor, staging, kept, null, 0, List.of(), replication);
    }

    public boolean did(String step) { return done.contains(step); }

    public boolean swapped() { return did(SWAPPED); }

    /** The state file of the docker runtime's container, or of the embedded runtime. */
    public static Path file(RuntimeOptions options, boolean docker) { return options.upgradeStateFile(docker); }

    public static Optional<UpgradeState> read(Path file) throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        return Optional.of(BackupManifest.json().readValue(file.toFile(), UpgradeState.class));
    }

    /** Written to a temporary file and renamed over the old one: a kill leaves the old state or the new, never half. */
    public void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        DurableFiles.writeAtomically(file, BackupManifest.json().writeValueAsBytes(this));
    }
}
