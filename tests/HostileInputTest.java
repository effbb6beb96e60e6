import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile tester tried that did not hold: each case as the tester ran it, through the command line. */
class HostileInputTest {
    @TempDir Path state;
    private Path pg15;

    @AfterEach
    void stopPostgres15() throws Exception {
        if (pg15 != null) HostPostgres15.stopIfRunning(pg15);
    }

    /** Debian's PostgreSQL 15 with the app schema, backed up into state/backups with the host's pg_dump (no Docker). */
    private Map<String, String> hostPostgres15() throws Exception {
        HostPostgres15.assumeInstalled();
        pg15 = state.resolve("pg15");
        int port = OxyCli.freePort();
        HostPostgres15.initAndStart(pg15, port);
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", "postgresql://postgres:postgres@localhost:" + port + "/oxy",
            "OXY_BACKUP_DIR", state.resolve("backups").toString(), "DOCKER_HOST", "unix://" + state.resolve("no-docker.sock"));
        OxyCli.Result started = OxyCli.run(env, "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        return env;
    }

    /** An age key pair made by Debian's age-keygen: the identity file (0600, as age-keygen writes it) and its public key. */
    private Map.Entry<Path, String> ageKeyPair(String name) throws Exception {
        Path identity = state.resolve(name + ".txt");
        Process keygen = new ProcessBuilder("age-keygen", "-o", identity.toString()).redirectErrorStream(true).start();
        String printed = new String(keygen.getInputStream().readAllBytes());
        assertEquals(0, keygen.waitFor(), printed);
        String publicKey = Files.readAllLines(identity).stream().filter(l -> l.startsWith("# public key: ")).findFirst().orElseThrow().substring(14);
        return Map.entry(identity, publicKey);
    }

    private static String secretKeyIn(Path identity) throws Exception {
        return Files.readAllLines(identity).stream().filter(l -> l.startsWith("AGE-SECRET-KEY-1")).findFirst().orElseThrow();
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static List<String> fileNames(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Nothing of the secret key in the output: not the whole key, not any 16 characters of its body. */
    private static void assertNoPartOf(String secretKey, OxyCli.Result result) {
        String body = secretKey.substring("AGE-SECRET-KEY-1".length());
        for (int start = 0; start + 16 <= body.length(); start++) {
            String part = body.substring(start, start + 16);
            assertFalse(result.all().contains(part) || result.all().toUpperCase().contains(part), "a part of the secret key was printed: " + result);
        }
    }

    /**
     * Issue 29: a manifest whose name is a prefix of a real backup's file ('oxy_2' naming oxy_2026….dump)
     * passed the own-files check, and prune --keep-last 2 deleted the real backup's data through it. It is
     * refused now (exit 9, one line naming it), nothing is removed, and the real backup still verifies and restores.
     */
    @Test
    void aForgedManifestWhoseNameIsAPrefixOfARealBackupIsRefusedAndPruneRemovesNothing() throws Exception {
        Map<String, String> env = hostPostgres15();
        for (int run = 0; run < 2; run++) assertEquals(0, OxyCli.run(env, "backup").exitCode());
        Path backups = state.resolve("backups");
        List<String> dumps = fileNames(backups).stream().filter(f -> f.endsWith(".dump")).toList();
        assertEquals(2, dumps.size(), dumps.toString());
        String older = dumps.get(0).replace(".dump", "");
        ObjectNode forged = (ObjectNode) BackupManifest.json().readTree(BackupManifest.pathFor(backups, older).toFile());
        forged.put("name", "oxy_2").put("startedAt", "2000-01-01T00:00:00Z"); // the oldest: the one --keep-last 2 expires
        Path forgedManifest = Files.write(backups.resolve("oxy_2" + BackupManifest.SUFFIX), BackupManifest.json().writeValueAsBytes(forged));
        String bytesBefore = sha256(backups.resolve(older + ".dump"));
        List<String> filesBefore = fileNames(backups);

        OxyCli.Result prune = OxyCli.run(env, "backup", "prune", "--keep-last", "2");
        assertEquals(ExitCode.VERIFICATION_FAILED, prune.exitCode(), prune.toString());
        assertTrue(prune.stderr().contains("oxy_2" + BackupManifest.SUFFIX) && prune.stderr().contains("nothing was removed"), prune.toString());
        assertTrue(prune.stderr().lines().filter(l -> !l.isBlank()).count() <= 2, "one or two lines: " + prune);
        assertFalse(prune.all().contains("Removed"), prune.toString());
        assertEquals(filesBefore, fileNames(backups), "nothing was removed");
        assertEquals(bytesBefore, sha256(backups.resolve(older + ".dump")), "the real backup's bytes are as they were");

        Files.move(forgedManifest, state.resolve("forged" + BackupManifest.SUFFIX)); // what the hint says to do
        OxyCli.Result verified = OxyCli.run(env, "backup", "verify", older);
        assertEquals(0, verified.exitCode(), verified.toString());
        assertTrue(verified.stdout().contains("sha256 matches the manifest"), verified.toString());
        OxyCli.Result restored = OxyCli.run(env, "restore", older, "--yes", "--no-safety-backup");
        assertEquals(0, restored.exitCode(), restored.toString());
        OxyCli.Result pruned = OxyCli.run(env, "backup", "prune", "--keep-last", "2");
        assertEquals(0, pruned.exitCode(), pruned.toString());
        assertTrue(pruned.stdout().contains("keeping all 2 backups"), pruned.toString());
    }

    /**
     * Issue 29: an identity file group or others may read is used as ssh would not: one warning naming the
     * file, its mode and the chmod that closes it, then the restore (and verify --full) goes on.
     */
    @Test
    void anIdentityFileOpenToOthersIsWarnedAboutAndStillUsed() throws Exception {
        Map<String, String> env = hostPostgres15();
        Map.Entry<Path, String> key = ageKeyPair("key");
        Path identity = key.getKey();
        OxyCli.Result made = OxyCli.run(env, "backup", "--encrypt-to", key.getValue());
        assertEquals(0, made.exitCode(), made.toString());
        Files.setPosixFilePermissions(identity, PosixFilePermissions.fromString("rw-r--r--"));

        String warning = "! the identity file " + identity + " is open to others (rw-r--r--)";
        OxyCli.Result restored = OxyCli.run(env, "restore", "latest", "--identity", identity.toString(), "--yes", "--no-safety-backup");
        assertEquals(0, restored.exitCode(), restored.toString());
        assertEquals(1, restored.stdout().lines().filter(l -> l.startsWith(warning) && l.contains("chmod 600 " + identity)).count(), restored.toString());
        Map<String, String> fromEnvironment = new java.util.HashMap<>(env);
        fromEnvironment.put(AgeEncryption.IDENTITY_VARIABLE, identity.toString());
        OxyCli.Result verified = OxyCli.run(fromEnvironment, "backup", "verify", "--full", "latest");
        assertEquals(0, verified.exitCode(), verified.toString());
        assertEquals(1, verified.stdout().lines().filter(l -> l.startsWith(warning) && l.contains("chmod 600 " + identity)).count(), verified.toString());
        assertNoPartOf(secretKeyIn(identity), restored);
        assertNoPartOf(secretKeyIn(identity), verified);

        Files.setPosixFilePermissions(identity, PosixFilePermissions.fromString("rw-------"));
        OxyCli.Result quiet = OxyCli.run(env, "backup", "verify", "latest", "--identity", identity.toString());
        assertEquals(0, quiet.exitCode(), quiet.toString());
        assertFalse(quiet.stdout().contains("identity file"), "a private identity file is used without a word: " + quiet);
    }

    /**
     * Issue 29: a private key pasted where the public one goes (on the command line, in a recipients file,
     * as the identity file's name in the environment) is never echoed: the line says a private key was given and
     * how to get its public key; exit 2, and nothing is written to the backup location.
     */
    @Test
    @Tag("unit")
    void aPrivateKeyGivenAsARecipientIsNeverPrinted() throws Exception {
        Map.Entry<Path, String> key = ageKeyPair("pasted");
        String secretKey = secretKeyIn(key.getKey());
        Path backups = state.resolve("never-made");
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_BACKUP_DIR", backups.toString(),
            "OXY_DATABASE_URL", "postgresql://u:pw@127.0.0.1:" + OxyCli.freePort() + "/oxy");
        Path recipients = Files.writeString(state.resolve("recipients.txt"), "# ops team\n" + key.getValue() + "\n" + secretKey + "\n");

        OxyCli.Result pasted = OxyCli.run(env, "backup", "--encrypt-to", secretKey);
        OxyCli.Result lowercase = OxyCli.run(env, "backup", "--encrypt-to", secretKey.toLowerCase(), "--dry-run");
        OxyCli.Result inFile = OxyCli.run(env, "backup", "--encrypt-to", recipients.toString());
        OxyCli.Result keyFile = OxyCli.run(env, "backup", "--encrypt-to", key.getKey().toString()); // age-keygen's whole file
        for (OxyCli.Result result : List.of(pasted, lowercase, inFile, keyFile)) {
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            assertNoPartOf(secretKey, result);
            assertTrue(result.stderr().contains("private key") && result.stderr().contains("age-keygen -y"), result.toString());
            assertTrue(result.stderr().lines().filter(l -> !l.isBlank()).count() <= 2, "one or two lines: " + result);
        }
        assertTrue(inFile.stderr().contains(recipients.toString()), "it names the file: " + inFile);
        assertTrue(keyFile.stderr().contains("age-keygen -y " + key.getKey()), "it gives the command for that file: " + keyFile);

        assertFalse(Files.exists(backups), "nothing was written to the backup location");

        // the key itself where the identity file's name goes, for an encrypted backup that needs one
        Path encrypted = Files.createDirectories(state.resolve("encrypted"));
        encryptedBackup(encrypted, "oxy_20000101_000000", key.getValue());
        List<String> before = fileNames(encrypted);
        Map<String, String> identityAsKey = new java.util.HashMap<>(env);
        identityAsKey.put("OXY_BACKUP_DIR", encrypted.toString());
        identityAsKey.put(AgeEncryption.IDENTITY_VARIABLE, secretKey);
        OxyCli.Result verify = OxyCli.run(identityAsKey, "backup", "verify", "latest");
        identityAsKey.remove(AgeEncryption.IDENTITY_VARIABLE);
        OxyCli.Result restore = OxyCli.run(identityAsKey, "restore", "latest", "--identity", secretKey, "--dry-run");
        for (OxyCli.Result result : List.of(verify, restore)) {
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            assertNoPartOf(secretKey, result);
            assertTrue(result.stderr().contains("private key"), result.toString());
        }
        assertEquals(before, fileNames(encrypted).stream().filter(f -> !f.equals(".lock")).toList(), "nothing was written beside the backup");
    }

    /** A backup of ours as backup --encrypt-to leaves it (age ciphertext and its manifest), made in-process. */
    private static void encryptedBackup(Path directory, String name, String publicKey) throws Exception {
        Path data = directory.resolve(name + ".dump.age");
        AgeEncryption encryption = AgeEncryption.toRecipients(List.of(publicKey));
        try (var out = encryption.encrypting(Files.newOutputStream(data))) {
            out.write("PGDMP stand-in: the identity is refused before a byte is read".getBytes());
        }
        java.time.Instant started = java.time.Instant.parse("2000-01-01T00:00:00Z");
        new BackupManifest(name, name + ".dump.age", "custom", "gzip", sha256(data), Files.size(data), "oxy", "external", "15.0", "15.0", null,
            Map.of(), started, started.plusSeconds(1), 1, "archive", "oxy-ops test", "age", encryption.fingerprints(), null).write(directory);
    }

    /**
     * A hand-made manifest naming a file outside the backup directory: prune, verify and restore refuse it
     * (exit 9) and remove nothing, neither the file outside nor anything inside.
     */
    @Test
    void aManifestNamingAFileOutsideTheBackupDirectoryIsRefusedAndNothingIsRemoved() throws Exception {
        Path backups = Files.createDirectories(state.resolve("backups"));
        Path decoy = Files.writeString(state.resolve("decoy.dump"), "not yours to delete");
        String hostile = "{\"name\": \"oxy_20000101_000000\", \"file\": \"../decoy.dump\", \"sha256\": \"00\", "
            + "\"startedAt\": \"2000-01-01T00:00:00Z\", \"finishedAt\": \"2000-01-01T00:00:01Z\", \"rowCounts\": {}}";
        Files.writeString(backups.resolve("oxy_20000101_000000.manifest.json"), hostile);
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_BACKUP_DIR", backups.toString());

        OxyCli.Result prune = OxyCli.run(env, "backup", "prune", "--dir", backups.toString(), "--keep-last", "1");
        assertEquals(ExitCode.VERIFICATION_FAILED, prune.exitCode(), prune.toString());
        assertTrue(prune.stderr().contains("../decoy.dump") && prune.stderr().contains("nothing was removed"), prune.toString());
        OxyCli.Result verify = OxyCli.run(env, "backup", "verify", "oxy_20000101_000000");
        assertEquals(ExitCode.VERIFICATION_FAILED, verify.exitCode(), verify.toString());
        OxyCli.Result restore = OxyCli.run(env, "restore", "oxy_20000101_000000", "--dry-run");
        assertEquals(ExitCode.VERIFICATION_FAILED, restore.exitCode(), restore.toString());

        assertEquals("not yours to delete", Files.readString(decoy), "the file outside is untouched");
        assertTrue(Files.exists(backups.resolve("oxy_20000101_000000.manifest.json")), "the manifest itself is left for the user to look at");
        for (OxyCli.Result result : new OxyCli.Result[] {prune, verify, restore}) {
            assertFalse(result.all().contains("Removed"), result.toString());
            assertTrue(result.stderr().lines().filter(l -> !l.isBlank()).count() <= 3, "one or two lines, no stack trace: " + result);
        }
    }

    /** A manifest that is not JSON names a damaged backup (exit 9), not a missing one (exit 2). */
    @Test
    void aBackupWhoseManifestIsBrokenIsReportedDamaged() throws Exception {
        Path backups = Files.createDirectories(state.resolve("backups"));
        Files.writeString(backups.resolve("oxy_20000101_000000.manifest.json"), "{ cut sho");
        Files.writeString(backups.resolve("oxy_20000101_000000.dump"), "PGDMP");
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_BACKUP_DIR", backups.toString());
        OxyCli.Result verify = OxyCli.run(env, "backup", "verify", "oxy_20000101_000000");
        assertEquals(ExitCode.VERIFICATION_FAILED, verify.exitCode(), verify.toString());
        assertTrue(verify.stderr().contains("unreadable"), verify.toString());
    }

    /** A password in the URL's query string (as JDBC URLs carry it) is a password: never printed, and still used. */
    @Test
    void aPasswordInTheQueryStringIsNeverPrinted() throws Exception {
        int port = OxyCli.freePort(); // nothing listens: start fails after saying where it connects
        for (String url : new String[] {
            "jdbc:postgresql://127.0.0.1:" + port + "/oxy?user=postgres&password=S3cret",
            "postgresql://127.0.0.1:" + port + "/oxy?sslpassword=S3cret&password=S3cret&connect_timeout=2"}) {
            OxyCli.Result start = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString()), "start", "--url", url, "--detach", "--timeout", "1");
            assertNotEquals(0, start.exitCode(), start.toString());
            assertFalse(start.all().contains("S3cret"), "no secret printed: " + start);
            assertTrue(start.all().contains("127.0.0.1:" + port), "it says where it tried: " + start);
        }
        PostgresUrl parsed = PostgresUrl.parse("jdbc:postgresql://db:5432/oxy?user=ops&password=S3cret&sslmode=require", Map.of());
        assertEquals("ops", parsed.user());
        assertEquals("S3cret", parsed.password(), "the query's password is the password");
        assertEquals("postgresql://ops:****@db:5432/oxy?sslmode=require", parsed.toString());
        assertEquals("jdbc:postgresql://db:5432/oxy?sslmode=require", parsed.jdbcUrl(), "the password travels in the connection properties");
        assertEquals("postgresql://ops:****@db:5432/oxy?sslpassword=****", PostgresUrl.parse("postgresql://ops:pw@db/oxy?sslpassword=k3y", Map.of()).toString());
        assertFalse(PostgresUrl.maskRaw("postgresql://db/oxy?user=a&password=S3cret x").contains("S3cret"));
    }

    /** Negative seconds and counts, and a URL beside --runtime docker, are usage errors (exit 2) in one line; nothing starts. */
    @Test
    void impossibleNumbersAndContradictoryOptionsAreUsageErrors() throws Exception {
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_BACKUP_DIR", state.resolve("b").toString());
        String[][] calls = {{"start", "--timeout", "-5"}, {"start", "--stop-timeout", "-3"}, {"backup", "--keep-last", "-1"},
            {"backup", "prune", "--keep-daily", "-2"}, {"restore", "latest", "--jobs", "0"}};
        for (String[] call : calls) {
            OxyCli.Result result = OxyCli.run(env, call);
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("or more"), result.toString());
        }
        String[][] badNames = {{"upgrade", "--to", "garbage!!"}, {"upgrade", "--to", "-1"}, {"status", "--container", "bad name!"},
            {"status", "--volume", "-v"}, {"start", "--runtime", "embedded", "--user", "x'y", "--detach"}, {"status", "--image", "Not An Image"}};
        for (String[] call : badNames) {
            OxyCli.Result result = OxyCli.run(env, call);
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            assertTrue(result.stderr().lines().filter(l -> !l.isBlank()).count() <= 2, "one or two lines: " + result);
        }
        OxyCli.Result both = OxyCli.run(env, "status", "--runtime", "docker", "--url", "postgresql://u:pw@127.0.0.1:1/oxy");
        assertEquals(ExitCode.USAGE, both.exitCode(), both.toString());
        assertTrue(both.stderr().contains("exclude each other"), both.toString());
        OxyCli.Result twoDestinations = OxyCli.run(env, "restore", "latest", "--in-place", "--to-db", "copy");
        assertEquals(ExitCode.USAGE, twoDestinations.exitCode(), twoDestinations.toString());
        assertEquals(List.of("error: --to-db=NAME, --in-place are mutually exclusive (specify only one)", "  see 'oxy restore --help'"),
            twoDestinations.stderr().lines().filter(l -> !l.isBlank()).toList(), "refused by picocli in one line and a hint");
        assertFalse(Files.exists(state.resolve("b")), "nothing was made");
    }

    /** A hint with a command in it is safe to paste: the database 'oxy;drop' is one shell word. */
    @Test
    void aSuggestedCommandQuotesWhatItNames() {
        PostgresUrl url = PostgresUrl.parse("postgresql://u:pw@127.0.0.1:5432/oxy;drop", Map.of());
        OxyError missing = url.unavailable(new java.sql.SQLException("database does not exist", "3D000"));
        assertTrue(missing.hint().contains("createdb 'oxy;drop'"), missing.hint());
        assertEquals("'it'\\''s'", Cli.shellQuote("it's"));
        assertEquals("oxy-postgres", Cli.shellQuote("oxy-postgres"));
    }

    /** The lock file is 0600 like every other file in the backup directory. */
    @Test
    void theLockFileIsPrivate() throws Exception {
        BackupStore store = BackupStore.create(state.resolve("backups"));
        try (AutoCloseable lock = store.lock("test")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(store.directory().resolve(".lock"))));
        }
    }

    /** With --json, stdout is one JSON object whatever went wrong: a malformed URL, a bad flag. */
    @Test
    void jsonOutputIsAlwaysOneJsonObject() throws Exception {
        OxyCli.Result badUrl = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", "mysql://root:pw@x/oxy"), "status", "--json");
        OxyCli.Result badFlag = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString()), "status", "--json", "--runtime", "kubernetes");
        for (OxyCli.Result result : new OxyCli.Result[] {badUrl, badFlag}) {
            assertEquals(ExitCode.USAGE, result.exitCode(), result.toString());
            var parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(result.stdout());
            assertTrue(parsed.isObject() && parsed.get("error").asText().length() > 0, result.toString());
            assertEquals(ExitCode.USAGE, parsed.get("exitCode").asInt());
            assertFalse(result.all().contains(":pw@"), "no password: " + result);
        }
    }

    /** An app that cannot run: one line naming it and why, and the PostgreSQL this start started is stopped again. */
    @Test
    void anAppThatCannotRunIsNamedAndPostgresIsStoppedAgain() throws Exception {
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_RUNTIME", "embedded",
            "OXY_POSTGRES_PORT", String.valueOf(OxyCli.freePort()));
        OxyCli.Result start = OxyCli.run(env, "start", "--", "/no/such/app");
        assertEquals(ExitCode.FAILED, start.exitCode(), start.toString());
        assertTrue(start.stderr().contains("cannot run the app '/no/such/app'"), start.toString());
        assertFalse(start.all().contains("unexpected error"), start.toString());
        assertFalse(Files.exists(state.resolve("postgres").resolve("postmaster.pid")), "PostgreSQL was stopped: " + start);
    }

    /** Two starts at once on a fresh state directory: the second waits for the first and uses its server; both succeed. */
    @Test
    void twoStartsAtOnceBothEndWithARunningServer() throws Exception {
        Map<String, String> env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_RUNTIME", "embedded",
            "OXY_POSTGRES_PORT", String.valueOf(OxyCli.freePort()));
        Process first = OxyCli.spawn(env, "start", "--detach");
        Process second = OxyCli.spawn(env, "start", "--detach");
        OxyCli.Result one = OxyCli.finish(first, java.time.Duration.ofMinutes(2));
        OxyCli.Result two = OxyCli.finish(second, java.time.Duration.ofMinutes(2));
        try {
            assertEquals(0, one.exitCode(), one.toString());
            assertEquals(0, two.exitCode(), two.toString());
            assertFalse((one.all() + two.all()).contains("postmaster.pid"), "no raw initdb output: " + one + two);
            OxyCli.Result status = OxyCli.run(env, "status");
            assertEquals(0, status.exitCode(), status.toString());
        } finally {
            OxyCli.run(env, "stop");
        }
    }

    /** A unicode host is used in its ASCII form; a host that is not one is named as the problem, not its port. */
    @Test
    void aUnicodeHostIsUsedAndABadHostIsNamed() {
        assertEquals("xn--hst-kna.example", PostgresUrl.parse("postgresql://u:p@hôst.example:26015/oxy", Map.of()).host());
        OxyError bad = assertThrows(OxyError.class, () -> PostgresUrl.parse("postgresql://u:p@a_b:26015/oxy", Map.of()));
        assertTrue(bad.getMessage().contains("host 'a_b' that is not a valid host name"), bad.getMessage());
        OxyError port = assertThrows(OxyError.class, () -> PostgresUrl.parse("postgresql://u:p@db:abc/oxy", Map.of()));
        assertTrue(port.getMessage().contains("invalid port 'abc'"), port.getMessage());
        assertEquals("postgresql://u:****@[::1]:5432/oxy", PostgresUrl.parse("postgresql://u:p@[::1]:5432/oxy", Map.of()).toString());
    }

    /** A backup directory someone else made 0755 keeps its mode (not ours to change), and backup says so. */
    @Test
    void aBackupDirectoryOpenToOthersIsSaid() throws Exception {
        Path backups = Files.createDirectories(state.resolve("shared-backups"));
        Files.setPosixFilePermissions(backups, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        OxyCli.Result backup = OxyCli.run(OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_BACKUP_DIR", backups.toString()),
            "backup", "--url", "postgresql://u:pw@127.0.0.1:" + OxyCli.freePort() + "/oxy");
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, backup.exitCode(), backup.toString());
        assertTrue(backup.stdout().contains("is open to others (rwxr-xr-x)") && backup.stdout().contains("chmod 700"), backup.toString());
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(backups)));
    }
}
