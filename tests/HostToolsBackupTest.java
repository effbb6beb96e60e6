import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
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
    @TempDir Path state;
    Path dataDir;
    int port;

    @BeforeEach
    void startPostgres15() throws Exception {
        HostPostgres15.assumeInstalled();
        dataDir = state.resolve("pg15");
        port = OxyCli.freePort();
        HostPostgres15.initAndStart(dataDir, port);
    }

    @AfterEach
    void stopPostgres15() throws Exception {
        if (dataDir != null && Files.exists(dataDir.resolve("postmaster.pid"))) HostPostgres15.run("pg_ctl", "-D", dataDir.toString(), "-m", "immediate", "stop");
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
