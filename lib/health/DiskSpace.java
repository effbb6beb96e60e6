import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Free space where the data lives: the docker runtime's volume (df inside the container), the embedded data
 * directory on this host, an external server's data directory only when it is on this host and we may see it.
 */
final class DiskSpace {
    private DiskSpace() {}

    record Usage(String where, long totalBytes, long freeBytes) {
        double freePercent() { return totalBytes == 0 ? 0 : 100.0 * freeBytes / totalBytes; }
    }

    static Check check(DatabaseRuntime runtime, Connection connection, Visibility visibility, Thresholds thresholds) throws SQLException {
        Optional<Usage> usage;
        try {
            usage = measure(runtime, connection, visibility);
        } catch (IOException | RuntimeException e) {
            return Check.unknown(Check.Kind.DISK_FREE, "could not measure (" + Cli.describe(e) + ")");
        }
        if (usage.isEmpty()) {
            return Check.unknown(Check.Kind.DISK_FREE, runtime.isLocal() || !visibility.seesDataDirectory()
                ? "the data directory is not visible to role " + visibility.role() + " (superuser or pg_read_all_settings sees it)"
                : "the server's disk is not on this host: watch it where the server runs (the provider's metrics)");
        }
        Usage u = usage.get();
        double free = u.freePercent();
        Check.Level level = free < thresholds.diskFreeCriticalPercent() ? Check.Level.CRIT : free < thresholds.diskFreeWarnPercent() ? Check.Level.WARN : Check.Level.OK;
        return Check.of(Check.Kind.DISK_FREE, level, Console.humanBytes(u.freeBytes()) + " free of " + Console.humanBytes(u.totalBytes()) + " ("
                + HealthQueries.percent(free) + ") at " + u.where(),
            "Free space before the server stops writing: drop forgotten replication slots, move old backups off this disk, VACUUM FULL bloated tables, or grow the volume",
            List.of());
    }

    private static Optional<Usage> measure(DatabaseRuntime runtime, Connection connection, Visibility visibility) throws IOException, SQLException {
        if (runtime instanceof EmbeddedRuntime embedded) return Optional.of(ofHostPath(embedded.dataDir()));
        Optional<InspectContainerResponse> container = runtime.runningContainer();
        if (container.isPresent() && runtime.dockerEngine().isPresent()) return Optional.of(inContainer(runtime.dockerEngine().get().client(), container.get()));
        if (!visibility.seesDataDirectory()) return Optional.empty();
        String setting = HealthQueries.one(connection, "SELECT current_setting('data_directory')", row -> row.getString(1));
        Path dataDirectory = Path.of(setting);
        String host = runtime.url().host();
        boolean here = host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]") || host.startsWith("/");
        return here && Files.isDirectory(dataDirectory) ? Optional.of(ofHostPath(dataDirectory)) : Optional.empty();
    }

    private static Usage ofHostPath(Path directory) throws IOException {
        FileStore store = Files.getFileStore(directory);
        return new Usage(directory + " (" + store.name() + ")", store.getTotalSpace(), store.getUsableSpace());
    }

    /** POSIX df -P in the server's container: 1024-byte blocks of the filesystem holding PGDATA (the volume). */
    private static Usage inContainer(DockerClient docker, InspectContainerResponse container) throws IOException {
        String dataDirectory = java.util.Arrays.stream(Optional.ofNullable(container.getConfig().getEnv()).orElse(new String[0]))
            .filter(e -> e.startsWith("PGDATA=")).map(e -> e.substring("PGDATA=".length())).findFirst().orElse("/var/lib/postgresql/data");
        String execId = docker.execCreateCmd(container.getId()).withCmd("df", "-Pk", dataDirectory).withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuilder output = new StringBuilder();
        try {
            docker.execStartCmd(execId).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    synchronized (output) {
                        output.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                }
            }).awaitCompletion();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String[] lines = output.toString().strip().split("\n");
        String[] fields = lines[lines.length - 1].trim().split("\\s+");
        if (fields.length < 6 || !fields[1].matches("\\d+")) throw new IOException("df in the container said: " + output.toString().strip());
        String volume = container.getMounts() == null ? null : container.getMounts().stream()
            .filter(m -> m.getDestination() != null && dataDirectory.startsWith(m.getDestination().getPath()) && m.getName() != null)
            .map(com.github.dockerjava.api.command.InspectContainerResponse.Mount::getName).findFirst().orElse(null);
        return new Usage(dataDirectory + (volume == null ? "" : " (volume " + volume + ")"), Long.parseLong(fields[1]) * 1024, Long.parseLong(fields[3]) * 1024);
    }
}
