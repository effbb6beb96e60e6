import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container.ExecResult;

/**
 * backup and restore against a real PostgreSQL 18 reached by URL (the external runtime); pg_dump runs in
 * a postgres:18-alpine tools container, since this host's pg_dump is older. Every command runs as cron
 * would: its own process, no terminal, stdin from /dev/null.
 */
class BackupRestoreTest {
    static final String PASSWORD = "bk-S3cret-pw";
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("svc", PASSWORD, "app");

    @TempDir Path state;

    // --- fixtures ---

    /** A new database with the app schema (via start) and a table of jsonb and text rows. */
    private String appDatabase(int rows) throws Exception {
        String url = server.newDatabase();
        OxyCli.Result started = OxyCli.run(env(url), "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) "
                + "SELECT gen_random_uuid(), 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, 25) g");
            OxyCli.execute(connection, "CREATE TABLE notes (id bigint PRIMARY KEY, body text, doc jsonb)");
            OxyCli.execute(connection, "INSERT INTO notes SELECT g, repeat(md5(g::text), 8) || E'\\ttab ''quote'' ünïcode', "
                + "jsonb_build_object('n', g, 'tags', jsonb_build_array('a', md5(g::text))) FROM generate_series(1, " + rows + ") g");
            OxyCli.execute(connection, "CREATE FUNCTION note_count() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM notes); END; $$");
        }
        return url;
    }

    private Map<String, String> env(String url) {
        return OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_DATABASE_URL", url);
    }

    private Path backups() { return state.resolve("backups"); }

    private static Map<String, Long> counts(String url) throws Exception {
        try (Connection connection = server.connect(url)) {
            return RowCounts.exact(connection);
        }
    }

    private static String checksum(String url) throws Exception {
        try (Connection connection = server.connect(url); var statement = connection.createStatement();
             var result = statement.executeQuery("SELECT md5(string_agg(n::text, ',' ORDER BY id)) FROM notes n")) {
            result.next();
            return result.getString(1);
        }
    }

    private static List<String> databases() throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection connection = server.connect();
             var rows = connection.createStatement().executeQuery("SELECT datname FROM pg_database ORDER BY 1")) {
            while (rows.next()) names.add(rows.getString(1));
        }
        return names;
    }

    private Set<String> backupFiles() throws Exception {
        try (Stream<Path> files = Files.list(backups())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".lock")).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    private OxyCli.Result backup(String url, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("backup"));
        all.addAll(List.of(args));
        return OxyCli.run(env(url), all.toArray(String[]::new));
    }

    private OxyCli.Result restore(String url, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("restore"));
        all.addAll(List.of(args));
        return OxyCli.run(env(url), all.toArray(String[]::new));
    }

    // --- backup ---

    @Test
    void backupWritesAVerifiedArchiveWithAManifestAndPrivateFiles() throws Exception {
        String url = appDatabase(500);
        OxyCli.Result made = backup(url);
        assertEquals(0, made.exitCode(), made.toString());
        assertTrue(made.stdout().contains("verified"), made.toString());
        assertFalse(made.all().contains(PASSWORD), "password leaked: " + made);
        Set<String> files = backupFiles();
        assertEquals(2, files.size(), files.toString());
        String dump = files.stream().filter(f -> f.endsWith(".dump")).findFirst().orElseThrow();
        assertTrue(dump.matches("oxy_\\d{8}_\\d{6}\\.dump"), dump);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(backups().resolve(dump))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(backups())));
        BackupManifest manifest = BackupManifest.read(backups().resolve(dump.replace(".dump", BackupManifest.SUFFIX)));
        assertEquals(counts(url), manifest.rowCounts());
        assertEquals(500L, manifest.rowCounts().get("public.notes"));
        assertEquals("2", manifest.schemaVersion());
        assertTrue(manifest.serverVersion().startsWith("18"), manifest.toString());
        assertEquals(BackupStore.sha256(backups().resolve(dump)), manifest.sha256());
        assertEquals(Files.size(backups().resolve(dump)), manifest.bytes());

        OxyCli.Result listed = backup(url, "list");
        assertEquals(0, listed.exitCode(), listed.toString());
        assertTrue(listed.stdout().contains(manifest.name()) && listed.stdout().contains("archive"), listed.toString());
    }

    @Test
    void restoreBringsBackTheDataKeepsTheOldDatabaseAndEndsConnectedSessions() throws Exception {
        String url = appDatabase(300);
        assertEquals(0, backup(url).exitCode());
        Map<String, Long> before = counts(url);
        String checksumBefore = checksum(url);
        String database = PostgresUrl.parse(url).database();
        try (Connection client = server.connect(url)) {
            OxyCli.execute(client, "DELETE FROM notes WHERE id > 100; DELETE FROM users");
            OxyCli.Result restored = restore(url, "latest", "--yes");
            assertEquals(0, restored.exitCode(), restored.toString());
            assertTrue(restored.stdout().contains("Row counts match the manifest"), restored.toString());
            assertTrue(client.isClosed() || !client.isValid(2), "the app's old session was ended by the swap");
        }
        assertEquals(before, counts(url));
        assertEquals(checksumBefore, checksum(url));
        List<String> kept = databases().stream().filter(n -> n.startsWith(database + "_pre_restore_")).toList();
        assertEquals(1, kept.size(), databases().toString());
        try (Connection old = server.connect(url.replace("/" + database, "/" + kept.get(0)))) {
            assertEquals(100, OxyCli.queryLong(old, "SELECT count(*) FROM notes"), "the pre-restore database is kept as it was");
        }
        OxyCli.Result dropped = restore(url, "--drop-kept", "--yes");
        assertEquals(0, dropped.exitCode(), dropped.toString());
        assertTrue(databases().stream().noneMatch(n -> n.startsWith(database + "_pre_restore_")));
        // the safety backup taken before the swap is a full backup of the deleted state
        assertEquals(2, backupFiles().stream().filter(f -> f.endsWith(BackupManifest.SUFFIX)).count());
    }

    @Test
    void plainBackupIsAGzippedSqlFileAndRestoresWithZstdAndDirectoryFormatsToo() throws Exception {
        String url = appDatabase(200);
        Map<String, Long> before = counts(url);
        assertEquals(0, backup(url, "--format", "plain").exitCode());
        assertEquals(0, backup(url, "--format", "directory", "--jobs", "2", "--compress", "zstd:3").exitCode());
        OxyCli.Result custom = backup(url, "--compress", "zstd", "--verify", "full", "--json");
        assertEquals(0, custom.exitCode(), custom.toString());
        assertTrue(custom.stdout().contains("\"verification\" : \"full\""), custom.toString());
        Set<String> files = backupFiles();
        assertTrue(files.stream().anyMatch(f -> f.endsWith(".sql.gz")), files.toString());
        assertTrue(files.stream().anyMatch(f -> f.matches("oxy_\\d{8}_\\d{6}(_\\d)?")), files.toString());
        for (String name : files.stream().filter(f -> f.endsWith(BackupManifest.SUFFIX)).map(f -> f.replace(BackupManifest.SUFFIX, "")).toList()) {
            {
                try (Connection connection = server.connect(url)) {
                    OxyCli.execute(connection, "TRUNCATE notes");
                }
                OxyCli.Result restored = restore(url, name, "--yes", "--no-safety-backup", "--jobs", "2");
                assertEquals(0, restored.exitCode(), name + ": " + restored);
                assertEquals(before, counts(url), name);
            }
        }
    }

    /** Disaster recovery: the server is new and the database does not exist yet; restore creates it. */
    @Test
    void restoreOntoAServerWithoutTheDatabaseCreatesIt() throws Exception {
        String url = appDatabase(30);
        assertEquals(0, backup(url).exitCode());
        String fresh = url.replaceFirst("/(db_\\w+)$", "/$1_new");
        OxyCli.Result restored = restore(fresh, "latest", "--yes");
        assertEquals(0, restored.exitCode(), restored.toString());
        assertFalse(restored.stdout().contains("Safety backup"), "nothing to make a safety backup of: " + restored);
        assertEquals(counts(url), counts(fresh));
    }

    /**
     * A database whose tables all live in another schema is not ours, though its public schema is empty: the restored
     * copy (a new database, without the old one's search_path) gets no migrations in public.
     */
    @Test
    void aDatabaseWithItsTablesInAnotherSchemaIsRestoredAsItIs() throws Exception {
        String url = server.newDatabase();
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "CREATE SCHEMA billing");
            OxyCli.execute(connection, "CREATE TABLE billing.invoices (id int PRIMARY KEY, total numeric)");
            OxyCli.execute(connection, "INSERT INTO billing.invoices SELECT g, g * 1.5 FROM generate_series(1, 40) g");
        }
        assertEquals(0, backup(url).exitCode());
        OxyCli.Result restored = restore(url, "latest", "--yes", "--no-safety-backup");
        assertEquals(0, restored.exitCode(), restored.toString());
        assertTrue(restored.all().contains("schema public is empty, and the database holds 1 table in other schemas"), restored.toString());
        assertFalse(restored.stdout().contains("Applied migration"), restored.toString());
        try (Connection connection = server.connect(url)) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing made in public");
            assertEquals(40, OxyCli.queryLong(connection, "SELECT count(*) FROM billing.invoices"));
        }
    }

    /** What a restore killed in the instant of its swap leaves: the database refusing sessions. Status says so; the next restore reopens it. */
    @Test
    void aDatabaseLeftRefusingSessionsIsExplainedAndReopenedByTheNextRestore() throws Exception {
        String url = appDatabase(10);
        assertEquals(0, backup(url).exitCode());
        try (Connection connection = server.connect()) {
            OxyCli.execute(connection, "ALTER DATABASE " + database(url) + " WITH ALLOW_CONNECTIONS false");
        }
        OxyCli.Result status = OxyCli.run(env(url), "status");
        assertEquals(3, status.exitCode(), status.toString());
        assertTrue(status.all().contains("refuses new sessions"), status.toString());
        OxyCli.Result restored = restore(url, "latest", "--yes"); // the safety backup needs a session too
        assertEquals(0, restored.exitCode(), restored.toString());
        assertTrue(restored.stdout().contains("allowing them again"), restored.toString());
        assertEquals(10L, counts(url).get("public.notes"));
    }

    @Test
    void aRunbookPgDumpPipedToGzipRestoresHere() throws Exception {
        String url = appDatabase(150);
        String database = PostgresUrl.parse(url).database();
        Map<String, Long> before = counts(url);
        ExecResult dumped = server.container().execInContainer("sh", "-c", "set -o pipefail 2>/dev/null; pg_dump -U svc " + database + " | gzip > /tmp/runbook.sql.gz");
        assertEquals(0, dumped.getExitCode(), dumped.getStderr());
        Path file = state.resolve("runbook.sql.gz");
        server.container().copyFileFromContainer("/tmp/runbook.sql.gz", file.toString());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "DELETE FROM notes WHERE id % 2 = 0");
        }
        OxyCli.Result restored = restore(url, file.toString(), "--yes");
        assertEquals(0, restored.exitCode(), restored.toString());
        assertEquals(before, counts(url));
    }

    @Test
    void truncatedOrCorruptedDumpsLeaveTheDatabaseExactlyAsItWas() throws Exception {
        String url = appDatabase(3000);
        // gzip: its checksums are what catch damage in a copy without its manifest (the default zstd has only the manifest's sha256)
        assertEquals(0, backup(url, "--compress", "gzip").exitCode());
        assertEquals(0, backup(url, "--format", "plain").exitCode());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "DELETE FROM notes WHERE id > 2000");
        }
        Map<String, Long> current = counts(url);
        List<String> databasesBefore = databases();
        Path dump;
        Path plain;
        try (Stream<Path> files = Files.list(backups())) {
            List<Path> all = files.toList();
            dump = all.stream().filter(p -> p.toString().endsWith(".dump")).findFirst().orElseThrow();
            plain = all.stream().filter(p -> p.toString().endsWith(".sql.gz")).findFirst().orElseThrow();
        }
        // a damaged backup of ours: its sha256 no longer matches, nothing is touched
        Path damaged = state.resolve("damaged.dump");
        Files.copy(dump, damaged);
        flipByte(damaged, Files.size(damaged) / 2);
        Files.copy(damaged, dump, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        OxyCli.Result mismatch = restore(url, dump.getFileName().toString().replace(".dump", ""), "--yes");
        assertEquals(9, mismatch.exitCode(), mismatch.toString());
        assertTrue(mismatch.stderr().contains("does not match its manifest"), mismatch.toString());
        // the same bytes without a manifest: pg_restore meets the damage while loading the new database
        OxyCli.Result corrupt = restore(url, damaged.toString(), "--yes", "--no-safety-backup");
        assertNotEquals(0, corrupt.exitCode(), corrupt.toString());
        assertTrue(corrupt.stderr().contains("is unchanged") || corrupt.stderr().contains("cannot be read"), corrupt.toString());
        // cut short: a custom archive and a .sql.gz, each at 70 %
        for (Path source : List.of(dump, plain)) {
            Path truncated = state.resolve("truncated-" + source.getFileName());
            byte[] bytes = Files.readAllBytes(source);
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length * 7 / 10));
            OxyCli.Result cut = restore(url, truncated.toString(), "--yes", "--no-safety-backup");
            assertNotEquals(0, cut.exitCode(), cut.toString());
            assertFalse(cut.all().contains("Exception"), cut.toString());
        }
        assertEquals(current, counts(url), "the live database is exactly as it was");
        assertEquals(databasesBefore, databases(), "no half-restored database is left behind");
        OxyCli.Result verified = backup(url, "verify", dump.toString());
        assertEquals(9, verified.exitCode(), verified.toString());
    }

    private static void flipByte(Path file, long position) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0xff);
        }
    }

    @Test
    void withoutATerminalRestoreRefusesUnlessToldYesAndBackupPrintsPlainLines() throws Exception {
        String url = appDatabase(50);
        OxyCli.Result made = backup(url);
        assertEquals(0, made.exitCode(), made.toString());
        assertFalse(made.all().contains("\u001b["), "no colour without a terminal");
        OxyCli.Result quiet = backup(url, "--quiet");
        assertEquals(0, quiet.exitCode(), quiet.toString());
        assertEquals("", quiet.stdout());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "DELETE FROM notes");
        }
        OxyCli.Result refused = restore(url, "latest");
        assertEquals(8, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("--yes"), refused.toString());
        assertEquals(0L, counts(url).get("public.notes"));
        OxyCli.Result dryRun = restore(url, "latest", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertTrue(dryRun.stdout().contains("Plan:"), dryRun.toString());
        assertEquals(0L, counts(url).get("public.notes"));
        OxyCli.Result toCopy = restore(url, "latest", "--to-db", PostgresUrl.parse(url).database() + "_copy");
        assertEquals(0, toCopy.exitCode(), toCopy.toString());
        assertEquals(50L, counts(url.replaceFirst("/(db_\\w+)$", "/$1_copy")).get("public.notes"));
    }

    /** A managed-service role without CREATEDB: refused with --in-place offered, which then restores in one transaction. */
    @Test
    void aRoleThatMayNotCreateDatabasesIsOfferedInPlace() throws Exception {
        String role = "app_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        try (Connection connection = server.connect()) {
            OxyCli.execute(connection, "CREATE ROLE " + role + " LOGIN PASSWORD 'role-pw' NOCREATEDB");
            OxyCli.execute(connection, "CREATE DATABASE " + role + " OWNER " + role);
        }
        String url = server.url(role, "role-pw", role);
        assertEquals(0, OxyCli.run(env(url), "start", "--detach").exitCode());
        try (Connection connection = OxyCli.connect(PostgresUrl.parse(url).jdbcUrl(), role, "role-pw")) {
            OxyCli.execute(connection, "CREATE TABLE notes (id int PRIMARY KEY, body text)");
            OxyCli.execute(connection, "INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 70) g");
        }
        for (String format : List.of("custom", "plain")) {
            assertEquals(0, backup(url, "--format", format).exitCode(), format);
            try (Connection connection = OxyCli.connect(PostgresUrl.parse(url).jdbcUrl(), role, "role-pw")) {
                OxyCli.execute(connection, "DELETE FROM notes WHERE id > 7");
            }
            OxyCli.Result refused = restore(url, "latest", "--yes");
            assertEquals(8, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("may not create databases") && refused.stderr().contains("--in-place"), refused.toString());
            OxyCli.Result inPlace = restore(url, "latest", "--yes", "--in-place");
            assertEquals(0, inPlace.exitCode(), format + ": " + inPlace);
            try (Connection connection = OxyCli.connect(PostgresUrl.parse(url).jdbcUrl(), role, "role-pw")) {
                assertEquals(70, OxyCli.queryLong(connection, "SELECT count(*) FROM notes"), format);
                assertEquals(17, OxyCli.appTableCount(connection), format);
            }
        }
        // a table made after the backup: pg_restore --clean would leave it behind, so in-place refuses
        try (Connection connection = OxyCli.connect(PostgresUrl.parse(url).jdbcUrl(), role, "role-pw")) {
            OxyCli.execute(connection, "CREATE TABLE added_later (id int)");
        }
        String custom = BackupStore.at(backups()).list().stream().filter(e -> e.manifest().format().equals("custom"))
            .findFirst().orElseThrow().name();
        OxyCli.Result refused = restore(url, custom, "--yes", "--in-place");
        assertEquals(8, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("added_later"), refused.toString());
    }

    /** On a terminal (a pty from script(1)), restore replaces the database only when its name is typed. */
    @Test
    void onATerminalRestoreAsksForTheDatabaseName() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.onPath("script"), "script(1) from util-linux is needed for a pty");
        String url = appDatabase(20);
        String database = PostgresUrl.parse(url).database();
        assertEquals(0, backup(url).exitCode());
        try (Connection connection = server.connect(url)) {
            OxyCli.execute(connection, "DELETE FROM notes");
        }
        assertEquals(8, restoreOnTerminal(url, "oxy\n"), "a wrong name is no confirmation");
        assertEquals(0L, counts(url).get("public.notes"));
        assertEquals(0, restoreOnTerminal(url, database + "\n"));
        assertEquals(20L, counts(url).get("public.notes"));
    }

    private int restoreOnTerminal(String url, String typed) throws Exception {
        String command = OxyCli.javaBinary() + " -cp " + System.getProperty("java.class.path") + " oxy restore latest --no-safety-backup";
        ProcessBuilder builder = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true);
        OxyCli.withoutCallersChoices(builder.environment());
        builder.environment().putAll(env(url));
        builder.environment().put("NO_COLOR", "1");
        Process process = builder.start();
        var output = new java.io.ByteArrayOutputStream(); // its writes and reads are synchronized
        Thread reader = new Thread(() -> {
            try (var stdout = process.getInputStream()) {
                stdout.transferTo(output);
            } catch (java.io.IOException ignored) {
                // the pty closed: what was read is all there is
            }
        });
        reader.start();
        String prompt = "Type the database name (" + database(url) + ") to replace it";
        try (var stdin = process.getOutputStream()) {
            // typed once the prompt shows, as a person would (it comes after the plan)
            Await.until(Duration.ofSeconds(120), () -> output.toString().contains(prompt) || !process.isAlive(), () -> "prompt:\n" + output);
            if (process.isAlive()) {
                stdin.write(typed.getBytes());
                stdin.flush();
            }
            reader.join(Duration.ofSeconds(120).toMillis()); // the pty stays open until the command has ended
        }
        assertTrue(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(output.toString().contains(prompt), output.toString());
        return process.exitValue();
    }

    private static String database(String url) { return PostgresUrl.parse(url).database(); }

    @Test
    void aSecondRunWhileOneHoldsTheLockExitsAtOnce() throws Exception {
        String url = appDatabase(10);
        Files.createDirectories(backups());
        try (var channel = java.nio.channels.FileChannel.open(backups().resolve(".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var lock = channel.lock()) {
            // the lock is held by another process in real life; a second JVM sees this one the same way
            OxyCli.Result second = backup(url);
            assertEquals(10, second.exitCode(), second.toString());
            assertTrue(second.stderr().contains("another backup or restore is running"), second.toString());
        }
        assertEquals(Set.of(), backupFiles());
    }

    @Test
    void pingUrlAndMetricsFileReportSuccessAndFailure() throws Exception {
        String url = appDatabase(10);
        List<String> pings = java.util.Collections.synchronizedList(new ArrayList<>());
        HttpServer monitor = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        monitor.createContext("/", exchange -> {
            pings.add(exchange.getRequestURI().getPath() + " " + new String(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        monitor.start();
        try {
            String ping = "http://127.0.0.1:" + monitor.getAddress().getPort() + "/ping/abc";
            Path metrics = state.resolve("oxy_backup.prom");
            OxyCli.Result ok = backup(url, "--ping-url", ping, "--metrics-file", metrics.toString());
            assertEquals(0, ok.exitCode(), ok.toString());
            assertEquals("/ping/abc/start ", pings.get(0));
            assertTrue(pings.get(1).startsWith("/ping/abc backup oxy_"), pings.toString());
            String text = Files.readString(metrics);
            String label = "{database=\"" + PostgresUrl.parse(url).database() + "\"}";
            assertTrue(text.contains("oxy_backup_last_run_success" + label + " 1"), text);
            double lastSuccess = Double.parseDouble(text.lines().filter(l -> l.startsWith("oxy_backup_last_success_timestamp_seconds")).findFirst().orElseThrow().split(" ")[1]);
            assertTrue(Math.abs(lastSuccess - Instant.now().getEpochSecond()) < 120, text);

            String wrongPassword = url.replace(PASSWORD, "wrong");
            OxyCli.Result failed = OxyCli.run(env(wrongPassword), "backup", "--ping-url", ping, "--metrics-file", metrics.toString());
            assertEquals(3, failed.exitCode(), failed.toString());
            assertTrue(pings.get(3).startsWith("/ping/abc/fail ") && pings.get(3).contains("refused the password"), pings.toString());
            String after = Files.readString(metrics);
            assertTrue(after.contains("oxy_backup_last_run_success" + label + " 0"), after);
            assertTrue(after.contains("oxy_backup_last_success_timestamp_seconds" + label + " " + lastSuccess), "the last success is carried over: " + after);
        } finally {
            monitor.stop(0);
        }
    }

    // --- retention ---

    /**
     * Ninety nightly backups (clones of one real backup, each with its own manifest date) and two files
     * that are not ours: retention keeps exactly what the rules say and never touches the strangers.
     */
    @Test
    void retentionOverASimulatedCalendarKeepsWhatTheRulesSay() throws Exception {
        String url = appDatabase(5);
        assertEquals(0, backup(url).exitCode());
        Path manifestPath;
        try (Stream<Path> files = Files.list(backups())) {
            manifestPath = files.filter(p -> p.toString().endsWith(BackupManifest.SUFFIX)).findFirst().orElseThrow();
        }
        BackupManifest original = BackupManifest.read(manifestPath);
        byte[] bytes = Files.readAllBytes(backups().resolve(original.file())); // the real backup's bytes, cloned per night
        BackupStore.at(backups()).delete(new BackupStore.Entry(original, backups().resolve(original.file())));
        Instant last = Instant.parse("2026-11-21T02:00:00Z");
        Map<String, Instant> nights = new TreeMap<>();
        for (int day = 0; day < 90; day++) {
            Instant at = last.minus(Duration.ofDays(day));
            String name = "oxy_" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(java.time.ZoneOffset.UTC).format(at);
            nights.put(name, at);
        }
        for (var night : nights.entrySet()) {
            Files.write(backups().resolve(night.getKey() + ".dump"), bytes);
            ObjectNode json = BackupManifest.json().valueToTree(original);
            json.put("name", night.getKey()).put("file", night.getKey() + ".dump")
                .put("startedAt", night.getValue().toString()).put("finishedAt", night.getValue().plusSeconds(5).toString());
            Files.write(BackupManifest.pathFor(backups(), night.getKey()), BackupManifest.json().writeValueAsBytes(json));
        }
        Files.writeString(backups().resolve("oxy_20200101_000000.dump"), "someone else's file, no manifest");
        Files.writeString(backups().resolve("notes.txt"), "not a backup");

        OxyCli.Result dryRun = backup(url, "prune", "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "3", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        assertEquals(90 * 2 + 2, backupFiles().size(), "a dry run removes nothing");

        OxyCli.Result pruned = backup(url, "prune", "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "3");
        assertEquals(0, pruned.exitCode(), pruned.toString());
        Set<String> left = new TreeSet<>();
        for (String file : backupFiles()) if (file.endsWith(".dump")) left.add(file.replace(".dump", ""));
        // 7 newest days (Nov 15-21); newest of ISO weeks 47, 46, 45, 44 (Nov 21, 15, 8, 1);
        // newest of November, October, September (Nov 21, Oct 31, Sep 30)
        Set<String> expected = new TreeSet<>(List.of("oxy_20261121_020000", "oxy_20261120_020000", "oxy_20261119_020000",
            "oxy_20261118_020000", "oxy_20261117_020000", "oxy_20261116_020000", "oxy_20261115_020000",
            "oxy_20261108_020000", "oxy_20261101_020000", "oxy_20261031_020000", "oxy_20260930_020000",
            "oxy_20200101_000000"));
        assertEquals(expected, left, pruned.toString());
        assertTrue(Files.exists(backups().resolve("notes.txt")));

        OxyCli.Result keepNone = backup(url, "prune", "--keep-last", "0");
        assertEquals(0, keepNone.exitCode(), keepNone.toString());
        assertTrue(Files.exists(backups().resolve("oxy_20261121_020000.dump")), "the newest backup is never removed");
        assertTrue(Files.exists(backups().resolve("oxy_20200101_000000.dump")), "files without our manifest are never removed");
    }
}
