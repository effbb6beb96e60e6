import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Where an upgrade's old and new server live: what differs between the docker and the embedded runtime; upgrade's steps are the same for both. */
public interface Installation {
    Path stateFile();

    /** The target --to names, checked to exist. */
    Target target(String to);

    /** The old server, started when it is not running; its URL. */
    PostgresUrl startOldServer();

    /** The old server's URL when it runs, else empty. */
    Optional<PostgresUrl> runningOldServer(UpgradeState state);

    void stopOldServer(UpgradeState state);

    DatabaseRuntime oldRuntime();

    int dataMajor();

    /** Free bytes where the backup and the new data go; -1 when unknown. */
    long freeBytes();

    UpgradeState newState(int fromMajor, Target target);

    /** The new server and its storage in a line ("the new server c-upgrade-18 and volume v-18"), as removeStaging removes them. */
    String describeNewStorage(UpgradeState state);

    /** The plan's lines for the new storage and for the swap. */
    List<String> describeSteps(UpgradeState state);

    /** The extensions the target can install (asked only when the database uses some). */
    Supplier<List<String>> availableExtensions(Target target);

    void warnOfCollationChange(PostgresUrl url, Target target);

    /** The pg_dump/pg_restore major for the final backup and its restore. */
    int dumpMajor(UpgradeState state);

    /** The new server before the swap, on a free port; started by the steps. */
    DatabaseRuntime staging(UpgradeState state);

    /** Old server stopped and kept, the new one under the usual name and port. Each part checks what is done already; its steps noted in downtime. */
    void swap(UpgradeState state, Downtime downtime);

    /** The new server and its storage, gone; the old one is not touched. */
    void removeStaging(UpgradeState state);

    void rollBack(UpgradeState state) throws IOException;

    void removeOld(UpgradeState state) throws IOException;

    /** --method replicate: whether this runtime can do it yet (docker, embedded); upgrade refuses it otherwise, before anything changes. */
    default boolean canReplicate() { return false; }

    /** --method replicate: the running old server as the new one reaches it, in libpq's words ("host=… port=…"). */
    default String replicationSource() { throw new UnsupportedOperationException("replicationSource"); }

    /** --method replicate, the way back: the new server (after the swap) as the old one reaches it, in libpq's words. */
    default String newServerAddress(UpgradeState state) { throw new UnsupportedOperationException("newServerAddress"); }

    /** --method replicate, the way back: the old server running beside the new one after the swap; its URL. */
    default PostgresUrl startKeptServer(UpgradeState state) { throw new UnsupportedOperationException("startKeptServer"); }

    /** --method replicate, the way back: the old server's URL when it runs beside the new one, else empty. */
    default Optional<PostgresUrl> runningKeptServer(UpgradeState state) { return Optional.empty(); }

    /** The new server's database is made new by staging's start (external: a new database on B), so it is not dropped and made again. */
    default boolean stagingStartsEmpty() { return false; }

    /** Whether --finalize deletes the old data (docker, embedded); an external old server is someone's and is kept. */
    default boolean finalizeDeletesOldData() { return true; }

    /** --method replicate: the old server restarted (to take wal_level=logical); its URL once it accepts again. */
    default PostgresUrl restartOldServer() { throw new UnsupportedOperationException("restart"); }
}
