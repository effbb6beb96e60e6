import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL 15 server run from Debian's binaries: backup and restore use this host's own pg_dump 15
 * (no container), so its gzip-level compression flags and the tee pipeline under the host's sh are proven.
 */
class HostToolsBackupTest {
    static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    @TempDir Path state;
    Path dataDir;
    int port;

    @BeforeEach
    void startPostgres15() throws Exception {
        assumeTrue(Files.isExecutable(BIN.resolve("pg_ctl")) && Files.isExecutable(BIN.resolve("pg_dump")),
            "needs Debian's postgresql-15 (server and client tools)");
        dataDir = state.resolve("pg15");
        port = OxyCli.freePort();
        Path passwordFile = Files.writeString(state.resolve("pw"), "postgres");
        run(serverUser("initdb"), "-D", dataDir.toString(), "-U", "postgres", "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C");
        run(serverUser("pg_ctl"), "-D", dataDir.toString(), "-o", "-p " + port + " -k " + state, "-l", state.resolve("pg15.log").toString(), "-w", "start");
        try (Connection connection = OxyCli.connectLocal(port, "postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE oxy");
        }
    }

    @AfterEach
    void stopPostgres15() throws Exception {
        if (dataDir != null && Files.exists(dataDir.resolve("postmaster.pid"))) run(serverUser("pg_ctl"), "-D", dataDir.toString(), "-m", "immediate", "stop");
    }

    /** As root, PostgreSQL runs in a user namespace (it refuses to run as root), the way the embedded runtime does. */
    private static List<String> serverUser(String program) {
        String binary = BIN.resolve(program).toString();
        return "root".equals(System.getProperty("user.name")) ? List.of("unshare", "-U", binary) : List.of(binary);
    }

    private static void run(List<String> program, String... args) throws Exception {
        List<String> command = new ArrayList<>(program);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), command + ":\n" + output);
    }

    @Test
    void backupAndRestoreUseTheHostsOwnPgDump() throws Exception {
        String url = "postgresql://postgres:postgres@localhost:" + port + "/oxy";
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url,
            "DOCKER_HOST", "unix://" + state.resolve("no-docker.sock")); // no container to fall back on
        assertEquals(0, OxyCli.run(env, "start", "--detach").exitCode());
        for (String[] backupArgs : List.of(new String[] {"backup", "--compress", "gzip:9"}, new String[] {"backup", "--format", "plain"})) {
            OxyCli.Result made = OxyCli.backupDeleteRestore(env, port, java.util.Arrays.copyOfRange(backupArgs, 1, backupArgs.length));
            assertTrue(made.stdout().contains("with pg_dump 15") && made.stdout().contains("on this host ("), made.stdout());
        }
        OxyCli.Result zstd = OxyCli.run(env, "backup", "--compress", "zstd");
        assertEquals(2, zstd.exitCode(), zstd.toString());
        assertTrue(zstd.stderr().contains("zstd needs pg_dump 16 or newer"), zstd.stderr());
    }
}
