import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Backups that survive the machine: streamed into a real S3 API server (S3Proxy), age-encrypted so only
 * public keys live on the server, restored from there, and every store fault ending in one line with
 * nothing half-made left behind. The by-hand recovery is proven with Debian's age CLI.
 */
class OffSiteBackupTest {
    @RegisterExtension final S3ProxyServer store = new S3ProxyServer();
    @TempDir Path state;
    private Path pg15;

    @AfterEach
    void stopPostgres15() throws Exception {
        if (pg15 != null) HostPostgres15.stopIfRunning(pg15);
    }

    /** External runtime on Debian's PostgreSQL 15 (host pg_dump): the environment a cron line would have. */
    private Map<String, String> external(String prefix) throws Exception {
        HostPostgres15.assumeInstalled();
        pg15 = state.resolve("pg15");
        int port = OxyCli.freePort();
        HostPostgres15.initAndStart(pg15, port);
        Map<String, String> env = new HashMap<>(store.env());
        env.putAll(OxyCli.env("OXY_STATE_DIR", state.resolve("oxy").toString(), "OXY_DATABASE_URL", "postgresql://postgres:postgres@localhost:" + port + "/oxy",
            "OXY_BACKUP_TO", store.location(prefix), "DOCKER_HOST", "unix://" + state.resolve("no-docker.sock")));
        assertEquals(0, OxyCli.run(env, "start", "--detach").exitCode());
        env.put("PORT", String.valueOf(port));
        return env;
    }

    private static int port(Map<String, String> env) { return Integer.parseInt(env.get("PORT")); }

    /** An age key pair made by Debian's age-keygen: [identity file, public key]. */
    private Object[] ageKeyPair(String name) throws Exception {
        Path identity = state.resolve(name + ".txt");
        Process keygen = new ProcessBuilder("age-keygen", "-o", identity.toString()).redirectErrorStream(true).start();
        String printed = new String(keygen.getInputStream().readAllBytes());
        assertEquals(0, keygen.waitFor(), printed);
        String publicKey = Files.readAllLines(identity).stream().filter(l -> l.startsWith("# public key: ")).findFirst().orElseThrow().substring(14);
        return new Object[] {identity, publicKey};
    }

    private JsonNode manifest(String prefix, String name) throws Exception {
        return BackupManifest.json().readTree(store.objectFile(prefix + "/" + name + BackupManifest.SUFFIX).toFile());
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static void assertNoSecret(OxyCli.Result result, String secret) {
        assertFalse(result.stdout().contains(secret) || result.stderr().contains(secret), "the secret key was printed: " + result);
    }

    @Test
    void anEncryptedBackupStreamsToTheStoreAndRestoresFromIt() throws Exception {
        Map<String, String> env = external("nightly");
        Object[] key = ageKeyPair("key");
        Path identity = (Path) key[0];
        String publicKey = (String) key[1];

        OxyCli.Result made = OxyCli.backupDeleteRestore(withIdentity(env, identity), port(env), "--encrypt-to", publicKey);
        assertTrue(made.stdout().contains("age-encrypted") && made.stdout().contains(store.location("nightly")), made.toString());
        assertNoSecret(made, store.secretKey());

        List<String> keys = store.keys("nightly");
        assertEquals(2, keys.size(), keys.toString());
        String dataKey = keys.stream().filter(k -> k.endsWith(".dump.age")).findFirst().orElseThrow();
        String name = dataKey.replace(".dump.age", "");
        JsonNode manifest = manifest("nightly", name);
        assertEquals("age", manifest.get("encryption").asText());
        assertEquals(AgeEncryption.fingerprint(publicKey), manifest.get("encryptedTo").get(0).asText());
        assertEquals(sha256(store.objectFile("nightly/" + dataKey)), manifest.get("sha256").asText(), "sha256 of the bytes uploaded");
        assertFalse(Files.readString(store.objectFile("nightly/" + name + BackupManifest.SUFFIX)).contains(store.secretKey()));
        // nothing of the dump was written to local disk: the local directory holds only the lock and the safety backup's files
        try (var local = Files.list(state.resolve("oxy/backups"))) {
            assertTrue(local.noneMatch(p -> p.getFileName().toString().startsWith(name)), "the remote backup has no local copy");
        }

        // the by-hand recovery of the README: age -d -i key.txt FILE | pg_restore
        Process decrypt = new ProcessBuilder("sh", "-c", "age -d -i \"$1\" \"$2\" | \"$3\" --list", "sh", identity.toString(),
            store.objectFile("nightly/" + dataKey).toString(), HostPostgres15.BIN.resolve("pg_restore").toString()).redirectErrorStream(true).start();
        String listing = new String(decrypt.getInputStream().readAllBytes());
        assertEquals(0, decrypt.waitFor(), listing);
        assertTrue(listing.contains("TABLE DATA public users"), listing);

        OxyCli.Result verifiedWithout = OxyCli.run(env, "backup", "verify", "latest");
        assertEquals(0, verifiedWithout.exitCode(), verifiedWithout.toString());
        assertTrue(verifiedWithout.stdout().contains("sha256 of the stored (encrypted) bytes matches"), verifiedWithout.toString());
        OxyCli.Result verifiedWith = OxyCli.run(env, "backup", "verify", "latest", "--identity", identity.toString());
        assertEquals(0, verifiedWith.exitCode(), verifiedWith.toString());
        assertTrue(verifiedWith.stdout().contains("is readable to the end"), verifiedWith.toString());

        Path wrong = (Path) ageKeyPair("other")[0];
        OxyCli.Result refused = OxyCli.run(env, "restore", "latest", "--identity", wrong.toString(), "--yes");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("does not open this backup") && refused.stderr().contains(AgeEncryption.fingerprint(publicKey)), refused.toString());
        assertTrue(refused.stderr().lines().count() <= 2, refused.toString());
        try (Connection connection = OxyCli.connectLocal(port(env), "oxy")) {
            assertEquals(40, OxyCli.queryLong(connection, "SELECT count(*) FROM users"), "the refused restore changed nothing");
        }

        OxyCli.Result listed = OxyCli.run(env, "backup", "list");
        assertTrue(listed.stdout().contains(name) && listed.stdout().contains("age") && listed.stdout().contains("in " + store.location("nightly")), listed.toString());
        OxyCli.Result status = OxyCli.run(env, "status");
        assertTrue(status.stdout().contains("Newest " + name) && status.stdout().contains(store.location("nightly")), status.toString());
    }

    private static Map<String, String> withIdentity(Map<String, String> env, Path identity) {
        Map<String, String> with = new HashMap<>(env);
        with.put(AgeEncryption.IDENTITY_VARIABLE, identity.toString());
        return with;
    }

    @Test
    void storeFaultsEndInOneLineAndChangeNothing() throws Exception {
        Map<String, String> env = external("faults");
        Map<String, String> wrongKey = new HashMap<>(env);
        wrongKey.put("AWS_SECRET_ACCESS_KEY", "not-the-secret");
        OxyCli.Result refused = OxyCli.run(wrongKey, "backup");
        assertEquals(12, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("refused our credentials") && refused.stderr().lines().count() <= 2, refused.toString());
        assertNoSecret(refused, "not-the-secret");

        OxyCli.Result noBucket = OxyCli.run(env, "backup", "--to", "s3://no-such-bucket/x");
        assertEquals(12, noBucket.exitCode(), noBucket.toString());
        assertTrue(noBucket.stderr().contains("the bucket no-such-bucket does not exist"), noBucket.toString());
        OxyCli.Result dryRun = OxyCli.run(env, "backup", "--to", "s3://no-such-bucket/x", "--dry-run");
        assertEquals(12, dryRun.exitCode(), "--dry-run predicts the refusal: " + dryRun);

        OxyCli.Result inUrl = OxyCli.run(env, "backup", "--to", "s3://AKIA:secret@bucket/x");
        assertEquals(2, inUrl.exitCode(), inUrl.toString());
        assertNoSecret(inUrl, "secret@");
        assertTrue(store.keys("faults").isEmpty());

        // the SDK's and the HTTP client's debug lines carry request headers, a session token among them
        Map<String, String> withToken = new HashMap<>(env);
        withToken.put("AWS_SESSION_TOKEN", "tok-S3cret");
        OxyCli.Result verbose = OxyCli.run(withToken, "backup", "--verbose");
        assertEquals(0, verbose.exitCode(), verbose.toString());
        assertNoSecret(verbose, "tok-S3cret");
        assertNoSecret(verbose, store.secretKey());
        String name = store.keys("faults").get(0).replace(".dump", "");
        byte[] bytes = Files.readAllBytes(store.objectFile("faults/" + name + ".dump"));
        bytes[bytes.length / 2] ^= 1;
        Files.write(store.objectFile("faults/" + name + ".dump"), bytes);
        OxyCli.Result damaged = OxyCli.run(env, "backup", "verify", name);
        assertEquals(9, damaged.exitCode(), damaged.toString());
        assertTrue(damaged.stderr().contains("does not match its manifest"), damaged.toString());
        OxyCli.Result notRestored = OxyCli.run(env, "restore", name, "--yes");
        assertEquals(9, notRestored.exitCode(), "sha256 is checked before anything changes: " + notRestored);

        // a manifest edited to name another object: refused, nothing removed
        Path manifest = store.objectFile("faults/" + name + BackupManifest.SUFFIX);
        Files.writeString(manifest, Files.readString(manifest).replace("\"file\" : \"" + name + ".dump\"", "\"file\" : \"../elsewhere.dump\""));
        OxyCli.Result edited = OxyCli.run(env, "backup", "verify", name);
        assertEquals(9, edited.exitCode(), edited.toString());
        assertTrue(edited.stderr().contains("not a file of its own"), edited.toString());
    }

    /**
     * Issue 29, in the store: a manifest object whose name is a prefix of a real backup's ('oxy_2' naming
     * oxy_2026….dump) made prune --keep-last 2 delete the real backup's object. It is refused (exit 9, one
     * line), no object is removed, and the real backup still verifies and restores.
     */
    @Test
    void aForgedManifestInTheStoreCannotMakePruneDeleteARealBackup() throws Exception {
        Map<String, String> env = external("forged");
        for (int run = 0; run < 2; run++) assertEquals(0, OxyCli.run(env, "backup").exitCode());
        List<String> dumps = store.keys("forged").stream().filter(k -> k.endsWith(".dump")).toList();
        assertEquals(2, dumps.size(), dumps.toString());
        String older = dumps.get(0).replace(".dump", "");
        com.fasterxml.jackson.databind.node.ObjectNode forged = (com.fasterxml.jackson.databind.node.ObjectNode) manifest("forged", older);
        forged.put("name", "oxy_2").put("startedAt", "2000-01-01T00:00:00Z"); // the oldest: the one --keep-last 2 expires
        try (S3Client s3 = store.client()) {
            s3.putObject(r -> r.bucket(S3ProxyServer.BUCKET).key("forged/oxy_2" + BackupManifest.SUFFIX).metadata(Map.of("oxy-ops", "0.1.0")),
                RequestBody.fromBytes(BackupManifest.json().writeValueAsBytes(forged)));
        }
        String bytesBefore = sha256(store.objectFile("forged/" + older + ".dump"));
        List<String> keysBefore = store.keys("forged");

        OxyCli.Result prune = OxyCli.run(env, "backup", "prune", "--keep-last", "2");
        assertEquals(ExitCode.VERIFICATION_FAILED, prune.exitCode(), prune.toString());
        assertTrue(prune.stderr().contains("oxy_2" + BackupManifest.SUFFIX) && prune.stderr().contains("nothing was removed"), prune.toString());
        assertTrue(prune.stderr().lines().filter(l -> !l.isBlank()).count() <= 2, "one or two lines: " + prune);
        assertFalse(prune.all().contains("Removed"), prune.toString());
        assertEquals(keysBefore, store.keys("forged"), "no object was removed");
        assertEquals(bytesBefore, sha256(store.objectFile("forged/" + older + ".dump")), "the real backup's bytes are as they were");

        try (S3Client s3 = store.client()) { // what the hint says to do
            s3.deleteObject(r -> r.bucket(S3ProxyServer.BUCKET).key("forged/oxy_2" + BackupManifest.SUFFIX));
        }
        OxyCli.Result verified = OxyCli.run(env, "backup", "verify", older);
        assertEquals(0, verified.exitCode(), verified.toString());
        OxyCli.Result restored = OxyCli.run(env, "restore", older, "--yes", "--no-safety-backup");
        assertEquals(0, restored.exitCode(), restored.toString());
        try (Connection connection = OxyCli.connectLocal(port(env), "oxy")) {
            assertEquals(OxyCli.APP_TABLES.size(), OxyCli.appTableCount(connection), "the app's tables are back");
        }
    }

    @Test
    void aStoreThatDiesMidUploadLeavesNoBackupAndTheNextRunCleansUp() throws Exception {
        Map<String, String> env = external("dies");
        fillWithIncompressibleRows(port(env), 48); // a dump of several 16 MiB parts
        // objects a killed run of ours left (our metadata, no manifest) go; someone else's object of the same shape stays
        try (S3Client s3 = store.client()) {
            s3.putObject(r -> r.bucket(S3ProxyServer.BUCKET).key("dies/oxy_20200101_000000.dump").metadata(Map.of("oxy-ops", "0.1.0")), RequestBody.fromString("half"));
            s3.putObject(r -> r.bucket(S3ProxyServer.BUCKET).key("dies/oxy_20200102_000000.dump"), RequestBody.fromString("not ours"));
        }

        Process backup = OxyCli.spawn(env, "backup");
        OxyCli.awaitOutput(backup, "Dumping", Duration.ofMinutes(2));
        store.kill();
        OxyCli.Result failed = OxyCli.finish(backup, Duration.ofMinutes(3));
        assertEquals(12, failed.exitCode(), failed.toString());
        assertTrue(failed.stdout().contains("Removed oxy_20200101_000000.dump (no manifest)"), "a run first removes what killed runs of ours left: " + failed);
        assertTrue(failed.stderr().contains("no remote backup was made") || failed.stderr().contains("does not answer")
            || failed.stderr().contains("failed"), failed.toString());

        store.start();
        assertTrue(store.keys("dies").stream().noneMatch(k -> k.endsWith(BackupManifest.SUFFIX)), "no manifest, so no backup: " + store.keys("dies"));
        OxyCli.Result next = OxyCli.run(env, "backup");
        assertEquals(0, next.exitCode(), next.toString());
        assertTrue(next.stdout().contains("(unfinished upload)"), "the upload the dead store broke is aborted: " + next);
        List<String> keys = store.keys("dies");
        assertEquals(3, keys.size(), "one backup, its manifest, and the object that is not ours: " + keys);
        assertTrue(keys.contains("oxy_20200102_000000.dump"), keys.toString());
        try (S3Client s3 = store.client()) {
            assertTrue(s3.listMultipartUploads(r -> r.bucket(S3ProxyServer.BUCKET).prefix("dies/")).uploads().isEmpty(), "no unfinished upload is left");
        }
    }

    @Test
    void killedMidUploadTheNextRunAbortsTheUnfinishedUpload() throws Exception {
        Map<String, String> env = external("killed");
        fillWithIncompressibleRows(port(env), 48);
        for (boolean nine : new boolean[] {true, false}) {
            List<String> before = store.keys("killed");
            Process backup = OxyCli.spawn(env, "backup");
            try (S3Client s3 = store.client()) { // the upload is under way: S3Proxy lists it
                Await.whileRunning(backup, Duration.ofMinutes(2),
                    () -> !s3.listMultipartUploads(r -> r.bucket(S3ProxyServer.BUCKET).prefix("killed/")).uploads().isEmpty(), "an upload under way");
            }
            if (nine) backup.destroyForcibly(); else backup.destroy(); // kill -9, then SIGTERM (what Ctrl+C does)
            OxyCli.Result killed = OxyCli.output(backup, backup.waitFor());
            assertEquals(before, store.keys("killed"), "no new backup appeared: " + killed);
            if (!nine) {
                try (S3Client s3 = store.client()) {
                    assertTrue(s3.listMultipartUploads(r -> r.bucket(S3ProxyServer.BUCKET).prefix("killed/")).uploads().isEmpty(),
                        "SIGTERM aborts its own upload: " + killed);
                }
            }
            OxyCli.Result next = OxyCli.run(env, "backup", "--keep-last", "1");
            assertEquals(0, next.exitCode(), next.toString());
            if (nine) assertTrue(next.stdout().contains("(unfinished upload)"), next.toString());
        }
        assertEquals(2, store.keys("killed").size(), "--keep-last 1 left one backup and its manifest: " + store.keys("killed"));
    }

    @Test
    void copyToKeepsTheLocalBackupAndAddsAVerifiedRemoteOneWithItsOwnRetention() throws Exception {
        Map<String, String> env = external("unused");
        env.remove("OXY_BACKUP_TO");
        for (int run = 0; run < 2; run++) {
            OxyCli.Result made = OxyCli.run(env, "backup", "--copy-to", store.location("offsite"), "--copy-keep-last", "1");
            assertEquals(0, made.exitCode(), made.toString());
            assertTrue(made.stdout().contains("Copied to " + store.location("offsite")), made.toString());
        }
        try (var local = Files.list(state.resolve("oxy/backups"))) {
            assertEquals(2, local.filter(p -> p.toString().endsWith(".dump")).count(), "both local backups kept");
        }
        List<String> remote = store.keys("offsite");
        assertEquals(2, remote.size(), "one remote copy (and its manifest) kept by --copy-keep-last 1: " + remote);
        String name = remote.get(0).replaceAll("\\..*$", "");
        assertEquals(sha256(state.resolve("oxy/backups/" + name + ".dump")), sha256(store.objectFile("offsite/" + name + ".dump")));

        store.kill();
        OxyCli.Result storeDown = OxyCli.run(env, "backup", "--copy-to", store.location("offsite"));
        assertEquals(12, storeDown.exitCode(), "the copy failing is not a success: " + storeDown);
    }

    @Test
    void aFullLocalDiskWithCopyToFailsAndCopiesNothing() throws Exception {
        Map<String, String> env = external("unused");
        env.remove("OXY_BACKUP_TO");
        Path small = OxyCli.mountSmallDisk(state.resolve("small-disk"), "3m");
        try {
            env.put("OXY_BACKUP_DIR", small.toString());
            fillWithIncompressibleRows(port(env), 8); // ~8 MB of dump for a 3 MB disk
            OxyCli.Result full = OxyCli.run(env, "backup", "--copy-to", store.location("offsite"));
            assertEquals(1, full.exitCode(), full.toString());
            assertTrue(full.stderr().contains("disk is full"), full.toString());
            assertEquals(List.of(), store.keys("offsite"), "nothing was copied");
            try (var files = Files.list(small)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("oxy_")), "no local backup either");
            }
        } finally {
            OxyCli.unmount(small);
        }
    }

    @Test
    void everyRuntimeStreamsToTheStore() throws Exception {
        // docker: pg_dump runs in the server's own container and its stream leaves it through docker exec
        Object[] key = ageKeyPair("key");
        DockerFixture docker = new DockerFixture("oxy-s3-");
        docker.beforeEach(null);
        try {
            Map<String, String> env = new HashMap<>(docker.env());
            env.putAll(store.env());
            env.put("OXY_BACKUP_TO", store.location("docker"));
            assertEquals(0, OxyCli.run(env, "start", "--detach").exitCode());
            OxyCli.Result made = OxyCli.backupDeleteRestore(withIdentity(env, (Path) key[0]), docker.port(), "--encrypt-to", (String) key[1]);
            assertTrue(made.stdout().contains("in the " + docker.container() + " container"), made.toString());
        } finally {
            docker.afterEach(null);
        }
        EmbeddedFixture embedded = new EmbeddedFixture();
        embedded.beforeEach(null);
        try {
            Map<String, String> env = new HashMap<>(embedded.env());
            env.putAll(store.env());
            env.put("OXY_BACKUP_TO", store.location("embedded"));
            assertEquals(0, OxyCli.run(env, "start", "--detach").exitCode());
            OxyCli.backupDeleteRestore(env, embedded.port());
        } finally {
            embedded.afterEach(null);
        }
        assertEquals(2, store.keys("docker").size());
        assertEquals(2, store.keys("embedded").size());
    }

    /** About mebibytes of rows that compress poorly (random bytes), so the dump needs several parts. */
    private static void fillWithIncompressibleRows(int port, int mebibytes) throws Exception {
        try (Connection connection = OxyCli.connectLocal(port, "oxy")) {
            OxyCli.execute(connection, "CREATE TABLE bulk (id int PRIMARY KEY, payload bytea)");
            OxyCli.execute(connection, "INSERT INTO bulk SELECT g, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)"
                + " || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex')"
                + " FROM generate_series(1, " + mebibytes * 8192 + ") g");
        }
    }
}
