import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** migrate_sqlite against real SQLite files in Oxy's shape and a real PostgreSQL 18 (embedded runtime). */
class MigrateSqliteTest {
    static Path state;
    static int port;
    static Map<String, String> env;

    @TempDir Path files;
    String database;
    String url;

    @BeforeAll
    static void startPostgres() throws Exception {
        state = Files.createTempDirectory("oxy-migrate-test");
        port = OxyCli.freePort();
        env = OxyCli.env("OXY_STATE_DIR", state.toString(), "OXY_POSTGRES_PORT", String.valueOf(port), "OXY_RUNTIME", "embedded");
        OxyCli.Result started = OxyCli.run(env, "start", "--detach");
        assertEquals(0, started.exitCode(), started.toString());
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        OxyCli.run(env, "stop");
    }

    @BeforeEach
    void freshDatabase() throws Exception {
        database = "m_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection connection = OxyCli.connectLocal(port, "postgres")) {
            OxyCli.execute(connection, "CREATE DATABASE " + database);
        }
        url = "postgresql://postgres:postgres@localhost:" + port + "/" + database;
    }

    /** Runs SQL statements on a SQLite file (creating it), as a user's own tools would have. */
    private static void sqlite(Path file, String... statements) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file); Statement statement = connection.createStatement()) {
            for (String sql : statements) statement.execute(sql);
        }
    }

    private OxyCli.Result migrate(Path sqlite, String... flags) throws Exception {
        String[] args = new String[flags.length + 5];
        args[0] = "migrate_sqlite";
        args[1] = "--from";
        args[2] = sqlite.toString();
        args[3] = "--to";
        args[4] = url;
        System.arraycopy(flags, 0, args, 5, flags.length);
        return OxyCli.run(env, args);
    }

    private Connection target() throws Exception {
        return OxyCli.connectLocal(port, database);
    }

    private long rows(String table) throws Exception {
        try (Connection connection = target()) {
            return OxyCli.queryLong(connection, "SELECT count(*) FROM " + table);
        }
    }

    /** Rows in the app's tables; a table that was never created holds none (a refused run creates none). */
    private long appRows() throws Exception {
        long total = 0;
        try (Connection connection = target()) {
            for (String table : OxyCli.APP_TABLES) {
                if (OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '" + table + "'") > 0) {
                    total += OxyCli.queryLong(connection, "SELECT count(*) FROM " + table);
                }
            }
        }
        return total;
    }

    @Test
    void migratesTheAppsFileWithEveryValueConvertedAndVerified() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        OxyCli.Result result = migrate(sqlite, "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Applied migration V1 oxy app schema"), result.stdout());
        for (Map.Entry<String, Integer> expected : OxySqliteFile.SAMPLE_ROW_COUNTS.entrySet()) {
            if (!OxyCli.APP_TABLES.contains(expected.getKey())) continue; // Slack/A2A tables are not in the app schema
            assertTrue(result.stdout().matches("(?s).*\\[\\d+/17\\] " + expected.getKey() + ": Found " + expected.getValue()
                + " records \u2192 Migrated " + expected.getValue() + " records \u2713.*"), expected.getKey() + "\n" + result.stdout());
            assertEquals((long) expected.getValue(), rows(expected.getKey()), expected.getKey());
        }
        assertTrue(result.stdout().contains("Row counts match in all 17 tables"), result.stdout());
        assertTrue(result.stdout().contains("Checksums match in all 17 tables"), result.stdout());
        assertTrue(result.stdout().contains("Skipping table a2a_tasks: it exists only in SQLite"), result.stdout());
        assertTrue(result.stdout().contains("Skipping seaql_migrations"), result.stdout());
        assertFalse(result.all().contains(":postgres@"), "password printed: " + result.all());

        try (Connection connection = target(); Statement statement = connection.createStatement()) {
            try (ResultSet user = statement.executeQuery("SELECT name, created_at, email_verified FROM users WHERE id = '" + OxySqliteFile.ALICE_ID + "'")) {
                assertTrue(user.next(), "Alice's 16-byte blob uuid became a uuid key");
                assertEquals(OxySqliteFile.ALICE_NAME, user.getString(1));
                assertEquals(OxySqliteFile.ALICE_CREATED_AT_PG, user.getObject(2, OffsetDateTime.class).toInstant());
                assertTrue(user.getBoolean(3));
            }
            try (ResultSet json = statement.executeQuery("SELECT count(*) FROM artifacts WHERE jsonb_typeof(content) = 'object'")) {
                json.next();
                assertTrue(json.getLong(1) > 0, "JSON text became jsonb objects");
            }
            // the identity of settings continues after the loaded ids
            try (ResultSet next = statement.executeQuery("INSERT INTO settings (github_token, sync_status) VALUES ('t', 'idle') RETURNING id")) {
                next.next();
                assertEquals(OxySqliteFile.SETTINGS_NEXT_ID, next.getInt(1));
            }
        }
    }

    @Test
    void runningTwiceIsRefusedWithCountsAndTruncateReplaces() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        assertEquals(0, migrate(sqlite).exitCode());
        long before = appRows();
        OxyCli.Result again = migrate(sqlite);
        assertEquals(ExitCode.REFUSED, again.exitCode(), again.toString());
        assertTrue(again.stderr().contains("target table users already holds"), again.stderr());
        assertTrue(again.stderr().contains("--truncate"), again.stderr());
        assertFalse(again.all().contains("duplicate key"), again.all());
        assertEquals(before, appRows());

        OxyCli.Result replaced = migrate(sqlite, "--truncate");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertEquals(before, appRows());
    }

    @Test
    void aDryRunWritesNothingAndReportsEveryProblem() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().withInvalidJson().withNulInText().path();
        OxyCli.Result result = migrate(sqlite, "--dry-run");
        assertEquals(ExitCode.REFUSED, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("[DRY RUN] Would migrate:"), result.stdout());
        assertTrue(result.stdout().contains("[DRY RUN] Schema migrations that would be applied"), result.stdout());
        assertTrue(result.stdout().contains("table artifacts") && result.stdout().contains("invalid JSON"), result.stdout());
        assertTrue(result.stdout().contains("table messages") && result.stdout().contains("NUL"), result.stdout());
        assertTrue(result.stdout().contains("Nothing was written"), result.stdout());
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
                "a dry run leaves not even the schema behind");
        }
    }

    @Test
    void aBadValueNamesTableKeyColumnAndValueAndWritesNothing() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().withNulInText().path();
        OxyCli.Result result = migrate(sqlite);
        assertEquals(ExitCode.REFUSED, result.exitCode(), result.toString());
        assertTrue(result.stderr().matches("(?s).*table messages, id=[0-9a-f-]{36}, rowid \\d+, column content: text containing a NUL character.*"), result.stderr());
        assertTrue(result.stderr().contains("--strip-nul"), result.stderr());
        assertFalse(result.all().contains("at org."), "no stack trace: " + result.all());
        assertEquals(0, appRows(), "tables loaded before the bad row were rolled back");

        OxyCli.Result stripped = migrate(sqlite, "--strip-nul");
        assertEquals(0, stripped.exitCode(), stripped.toString());
    }

    @Test
    void invalidJsonAndNulInJsonAreRefusedByName() throws Exception {
        Path invalid = OxySqliteFile.create(files.resolve("a.sqlite")).withSampleData().withInvalidJson().path();
        OxyCli.Result result = migrate(invalid);
        assertEquals(ExitCode.REFUSED, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("table artifacts") && result.stderr().contains("column content: invalid JSON"), result.stderr());

        Path nul = OxySqliteFile.create(files.resolve("b.sqlite")).withSampleData().withNulInJson().path();
        OxyCli.Result nulResult = migrate(nul);
        assertEquals(ExitCode.REFUSED, nulResult.exitCode(), nulResult.toString());
        assertTrue(nulResult.stderr().contains("\\u0000"), nulResult.stderr());
        assertEquals(0, migrate(nul, "--strip-nul").exitCode());
    }

    @Test
    void orphansAreListedOrSkippedWithACount() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().withOrphan().withEmptyStringForeignKey().path();
        OxyCli.Result refused = migrate(sqlite);
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().matches("(?s).*orphan: \\w+ rowid \\d+ points to a missing row of \\w+.*"), refused.stderr());
        assertEquals(0, appRows());
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
                "a pre-flight refusal writes not even the schema");
        }

        OxyCli.Result skipped = migrate(sqlite, "--skip-orphans");
        assertEquals(0, skipped.exitCode(), skipped.toString());
        assertTrue(skipped.stdout().matches("(?s).*Skipping \\d+ orphan row\\(s\\) of \\w+.*"), skipped.stdout());
    }

    @Test
    void epochTimestampsTextUuidsHugeValuesAndUnicodeArrive() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData()
            .withEpochMillis().withEpochSeconds().withTextUuids().withHugeBlob(20 * 1024 * 1024).path();
        OxyCli.Result result = migrate(sqlite, "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        try (Connection connection = target(); Statement statement = connection.createStatement()) {
            assertEquals(OxySqliteFile.EPOCH_MILLIS_INSTANT, instantOf(statement,
                "SELECT created_at FROM messages WHERE id = '" + OxySqliteFile.EPOCH_MILLIS_MESSAGE_ID + "'"), "epoch milliseconds");
            assertEquals(OxySqliteFile.EPOCH_SECONDS_INSTANT, instantOf(statement,
                "SELECT created_at FROM messages WHERE id = '" + OxySqliteFile.EPOCH_SECONDS_MESSAGE_ID + "'"), "epoch seconds");
            assertEquals(1, OxyCli.queryLong(statement.getConnection(), "SELECT count(*) FROM threads t JOIN users u ON t.user_id = u.id WHERE t.id = '"
                + OxySqliteFile.TEXT_UUID_THREAD_ID + "' AND u.id = '" + OxySqliteFile.TEXT_UUID_USER_ID + "'"), "text uuids (36-char and 32-hex) join up");
            assertEquals(20L * 1024 * 1024, OxyCli.queryLong(connection, "SELECT octet_length(prompts) FROM logs WHERE id = '" + OxySqliteFile.HUGE_LOG_ID + "'"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM messages WHERE id = '" + OxySqliteFile.TEXT_UUID_MESSAGE_ID
                + "' AND thread_id = '" + OxySqliteFile.TEXT_UUID_THREAD_ID + "'"));
        }
    }

    private static java.time.Instant instantOf(Statement statement, String sql) throws Exception {
        try (ResultSet row = statement.executeQuery(sql)) {
            assertTrue(row.next(), sql);
            return row.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    @Test
    void sqliteOnlyTablesAreSkippedRefusedOrCreated() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().withSqliteOnlyTable().path();
        OxyCli.Result strict = migrate(sqlite, "--strict");
        assertEquals(ExitCode.REFUSED, strict.exitCode(), strict.toString());
        assertTrue(strict.stderr().contains("exists only in SQLite"), strict.stderr());

        OxyCli.Result skipped = migrate(sqlite);
        assertEquals(0, skipped.exitCode(), skipped.toString());
        assertTrue(skipped.stdout().contains("Skipping table " + OxySqliteFile.LEGACY_TABLE), skipped.stdout());

        freshDatabase();
        OxyCli.Result created = migrate(sqlite, "--create-schema");
        assertEquals(0, created.exitCode(), created.toString());
        assertTrue(rows(OxySqliteFile.LEGACY_TABLE) > 0);
    }

    @Test
    void createSchemaMovesAnyDatabaseWithIdentitiesAndDefaults() throws Exception {
        Path sqlite = files.resolve("generic.db");
        sqlite(sqlite,
            "CREATE TABLE authors (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, joined DATETIME DEFAULT (datetime('now')), active BOOLEAN DEFAULT 1)",
            "CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id), title TEXT, price REAL, cover BLOB)",
            "INSERT INTO authors (name) VALUES ('Ann'), ('Bo')",
            "INSERT INTO books (author_id, title, price, cover) VALUES (1, 'One', 9.5, x'00ff'), (2, 'Two', 12.25, NULL)");
        OxyCli.Result result = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Created 2 table(s) from the SQLite schema"), result.stdout());
        try (Connection connection = target(); Statement statement = connection.createStatement()) {
            try (ResultSet id = statement.executeQuery("INSERT INTO authors (name) VALUES ('Cy') RETURNING id, joined IS NOT NULL, active")) {
                id.next();
                assertEquals(3, id.getLong(1), "the identity continues after the loaded ids");
                assertTrue(id.getBoolean(2), "datetime('now') became now()");
                assertTrue(id.getBoolean(3));
            }
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM books WHERE cover = '\\x00ff'::bytea AND price = 9.5"));
        }
    }

    @Test
    void killedInTheMiddleOfALargeCopyLeavesTheTargetUntouchedAndARerunSucceeds() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("big.sqlite")).withBulkRows(400_000).path();
        Process running = OxyCli.spawn(env, "migrate_sqlite", "--from", sqlite.toString(), "--to", url);
        OxyCli.awaitOutput(running, "Migrated", Duration.ofSeconds(120)); // one table copied, the next under way
        new ProcessBuilder("kill", "-9", String.valueOf(running.pid())).start().waitFor();
        running.waitFor();
        assertEquals(137, running.exitValue());
        // the schema was migrated before the load began; the data transaction died with the process
        long deadlineEmpty = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (appRows() != 0 && System.nanoTime() < deadlineEmpty) Thread.sleep(200);
        assertEquals(0, appRows(), "a killed migration leaves no rows behind");

        OxyCli.Result rerun = migrate(sqlite);
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(appRows() >= 400_000, "every row arrives on the rerun");
    }

    @Test
    void sourceAndTargetMistakesGetOneClearLine() throws Exception {
        OxyCli.Result missing = migrate(files.resolve("nope.sqlite"));
        assertEquals(ExitCode.REFUSED, missing.exitCode(), missing.toString());
        assertTrue(missing.stderr().contains("no SQLite file at " + files.resolve("nope.sqlite")), missing.stderr());

        Path notSqlite = Files.writeString(files.resolve("notes.txt"), "this is not a database, just text\n".repeat(100));
        OxyCli.Result garbage = migrate(notSqlite);
        assertEquals(ExitCode.REFUSED, garbage.exitCode(), garbage.toString());
        assertTrue(garbage.stderr().contains("is not a readable SQLite database"), garbage.stderr());

        OxyCli.Result scheme = OxyCli.run(env, "migrate_sqlite", "--from", "mysql://root:hunter2@db/app", "--to", url);
        assertEquals(ExitCode.USAGE, scheme.exitCode(), scheme.toString());
        assertTrue(scheme.stderr().contains("not sqlite://"), scheme.stderr());

        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        OxyCli.Result badPort = OxyCli.run(env, "migrate_sqlite", "--from", sqlite.toString(), "--to", "postgresql://postgres:hunter2@localhost:99999/oxy");
        assertEquals(ExitCode.USAGE, badPort.exitCode(), badPort.toString());
        assertTrue(badPort.stderr().contains("invalid port"), badPort.stderr());
        OxyCli.Result wrongPassword = OxyCli.run(env, "migrate_sqlite", "--from", sqlite.toString(),
            "--to", "postgresql://postgres:hunter2@localhost:" + port + "/" + database);
        assertEquals(ExitCode.DATABASE_UNAVAILABLE, wrongPassword.exitCode(), wrongPassword.toString());
        assertTrue(wrongPassword.stderr().contains("refused the password"), wrongPassword.stderr());
        for (OxyCli.Result result : new OxyCli.Result[] {scheme, badPort, wrongPassword}) {
            assertFalse(result.all().contains("hunter2"), result.all());
        }
    }

    @Test
    void unmappedColumnsAndOutOfRangeIntegersAreNamed() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        sqlite(sqlite,
            "ALTER TABLE tasks ADD COLUMN legacy_flag integer");
        OxyCli.Result unmapped = migrate(sqlite);
        assertEquals(ExitCode.REFUSED, unmapped.exitCode(), unmapped.toString());
        assertTrue(unmapped.stderr().contains("column tasks.legacy_flag has no column in the PostgreSQL table tasks"), unmapped.stderr());

        Path big = OxySqliteFile.create(files.resolve("big.sqlite")).withSampleData().path();
        // messages.input_tokens is an integer column: 32 bits in PostgreSQL
        sqlite(big, "UPDATE messages SET input_tokens = 3000000000 WHERE rowid = 1");
        OxyCli.Result range = migrate(big);
        assertEquals(ExitCode.REFUSED, range.exitCode(), range.toString());
        assertTrue(range.stderr().contains("column input_tokens: out of range for int4 (value: 3000000000)"), range.stderr());
        assertEquals(0, appRows());
    }

    /** Values that cannot be moved as they are: refused by name in the dry run and the real run, never changed silently. */
    @Test
    void impossibleDatesAndIntegersPastBigintAreRefusedNotChanged() throws Exception {
        Path dates = files.resolve("dates.db");
        sqlite(dates, "CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TIMESTAMP NOT NULL)",
            "INSERT INTO events VALUES (1, '2024-02-29 10:00:00'), (2, '2024-02-30 10:00:00')");
        Path huge = files.resolve("huge.db");
        sqlite(huge, "CREATE TABLE counters (id INTEGER PRIMARY KEY, hits BIGINT)",
            "INSERT INTO counters VALUES (1, 9223372036854775807), (2, 9223372036854775808), (3, 2.5)");
        for (Path file : new Path[] {dates, huge}) {
            for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema"}}) {
                OxyCli.Result result = migrate(file, flags);
                assertEquals(ExitCode.REFUSED, result.exitCode(), result.toString());
                String said = result.all();
                if (file == dates) {
                    assertTrue(said.contains("created_at") && said.contains("2024-02-30 10:00:00"), said);
                } else {
                    assertTrue(said.contains("column hits: out of range for int8"), said);
                    if (flags.length == 2) assertTrue(said.contains("column hits: not a whole number"), "the dry run names the fraction too: " + said);
                }
            }
        }
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('events', 'counters')"),
                "nothing was written");
        }
    }

    /**
     * --truncate on the app's schema when the file lacks a table that references the loaded ones: an empty one is
     * emptied along (TRUNCATE must name it), one with rows is refused by name, and nothing changes.
     */
    @Test
    void truncateWorksWhenATableOutsideTheFileReferencesTheLoadedOnes() throws Exception {
        Path partial = OxySqliteFile.create(files.resolve("partial.sqlite")).withSampleData().path();
        sqlite(partial, "DROP TABLE secrets"); // secrets.created_by references users
        assertEquals(0, migrate(partial).exitCode());
        long loaded = appRows();
        OxyCli.Result replaced = migrate(partial, "--truncate");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertEquals(loaded, appRows());
        try (Connection connection = target()) {
            OxyCli.execute(connection, "INSERT INTO secrets (id, name, encrypted_value, created_by) SELECT gen_random_uuid(), 'k', 'v', id FROM users LIMIT 1");
        }
        OxyCli.Result refused = migrate(partial, "--truncate");
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("target table secrets is not in the SQLite file"), refused.toString());
        assertFalse(refused.all().contains("unexpected error"), refused.toString());
        assertEquals(loaded + 1, appRows(), "nothing changed");
    }

    /** An empty (0-byte) file, or one without tables: refused before anything is written to the target. */
    @Test
    void anEmptyOrTablelessFileIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path empty = Files.createFile(files.resolve("empty.db"));
        Path tableless = files.resolve("tableless.db");
        sqlite(tableless, "PRAGMA user_version = 7");
        for (Path file : new Path[] {empty, tableless}) {
            OxyCli.Result result = migrate(file);
            assertEquals(ExitCode.REFUSED, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains(file == empty ? "is empty (0 bytes)" : "holds no tables"), result.toString());
            assertFalse(result.all().contains("unexpected error"), result.toString());
        }
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
                "no migration was applied");
        }
    }

    /**
     * Real-world SQLite shapes: a WITHOUT ROWID table moves by its key; an FTS5 table moves its columns as a
     * plain table and its shadow tables (the index's insides) are skipped, said in one line each; a column with
     * an empty name (which PostgreSQL cannot have) is refused by table and position; a blank one moves.
     */
    @Test
    void withoutRowidFtsAndOddColumnNamesAreHandledAndSaid() throws Exception {
        Path shapes = files.resolve("shapes.db");
        sqlite(shapes, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID", "INSERT INTO kv VALUES ('a', '1'), ('b', '2')",
            "CREATE VIRTUAL TABLE docs USING fts5(title, body)", "INSERT INTO docs VALUES ('t1', 'hello world')",
            "CREATE TABLE odd (\" \" INTEGER, x INT)", "INSERT INTO odd VALUES (1, 2)");
        for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema", "--verify"}}) {
            OxyCli.Result result = migrate(shapes, flags);
            assertEquals(0, result.exitCode(), result.toString());
            assertTrue(result.stdout().contains("Virtual table(s) [docs]") && result.stdout().contains("Skipping 5 shadow table(s)"), result.toString());
        }
        try (Connection connection = target()) {
            assertEquals(2, OxyCli.queryLong(connection, "SELECT count(*) FROM kv"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM docs WHERE body = 'hello world'"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT \" \" FROM odd"));
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'docs\\_%'"));
        }
        Path empty = files.resolve("empty-name.db");
        sqlite(empty, "CREATE TABLE t (\"\" TEXT, x INT)", "INSERT INTO t VALUES ('e', 1)");
        for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema"}}) {
            OxyCli.Result refused = migrate(empty, flags);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("column 1 of table t has an empty name"), refused.toString());
            assertFalse(refused.all().contains("unexpected error"), refused.toString());
        }
    }

    /** One row of 40 MB of text and 40 MB of blob: refused by name in both runs, never an OutOfMemoryError. */
    @Test
    void aRowTooLargeForTheHeapIsRefusedByName() throws Exception {
        Path big = files.resolve("big.db");
        sqlite(big, "CREATE TABLE files (id INTEGER PRIMARY KEY, body TEXT, data BLOB)",
            "INSERT INTO files VALUES (1, 'small', x'00')",
            "INSERT INTO files VALUES (2, printf('%.*c', 40000000, 'x'), zeroblob(40000000))");
        for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema"}}) {
            OxyCli.Result refused = migrate(big, flags);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.all().contains("table files, id=2") && refused.all().contains("too large to move"), refused.toString());
            assertFalse(refused.all().contains("OutOfMemoryError") || refused.all().contains("unexpected error"), refused.toString());
        }
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'files'"));
        }
    }

    /**
     * What only the target enforces, where SQLite's file declares nothing (a table rebuilt without its
     * constraints): a NULL in a NOT NULL column, a duplicate primary key, an orphan of a foreign key SQLite
     * does not know. The dry run names each, the real run refuses the same, and --skip-orphans skips the orphan.
     */
    @Test
    void theDryRunRefusesWhatTheRealRunRefusesOnTheTargetsConstraints() throws Exception {
        String strayUser = "x'" + "ab".repeat(16) + "'";
        String[][] cases = {
            {"NULL, but the PostgreSQL column is NOT NULL", "INSERT INTO users (id, email, name) VALUES (x'" + "11".repeat(16) + "', NULL, 'no mail')"},
            {"duplicate key: users (id)", "INSERT INTO users SELECT * FROM users LIMIT 1"},
            {"the target's foreign key fk_secrets_created_by", "UPDATE secrets SET created_by = " + strayUser + " WHERE rowid = 1"}};
        for (String[] testCase : cases) {
            Path sqlite = OxySqliteFile.create(files.resolve(UUID.randomUUID() + ".sqlite")).withSampleData().path();
            // as another tool leaves a table: CREATE TABLE AS keeps the rows and drops every constraint
            sqlite(sqlite, "PRAGMA foreign_keys = OFF", "CREATE TABLE users_copy AS SELECT * FROM users", "DROP TABLE users",
                "ALTER TABLE users_copy RENAME TO users", "CREATE TABLE secrets_copy AS SELECT * FROM secrets", "DROP TABLE secrets",
                "ALTER TABLE secrets_copy RENAME TO secrets", testCase[1]);
            OxyCli.Result dry = migrate(sqlite, "--dry-run");
            assertEquals(ExitCode.REFUSED, dry.exitCode(), dry.toString());
            assertTrue(dry.all().contains(testCase[0]), "the dry run names it: " + dry);
            OxyCli.Result real = migrate(sqlite);
            assertEquals(ExitCode.REFUSED, real.exitCode(), real.toString());
            assertTrue(real.all().contains(testCase[0]), "the real run refuses the same: " + real);
            assertEquals(0, appRows(), "nothing was written");
        }
        Path orphaned = OxySqliteFile.create(files.resolve("orphaned.sqlite")).withSampleData().path();
        sqlite(orphaned, "CREATE TABLE secrets_copy AS SELECT * FROM secrets", "DROP TABLE secrets", "ALTER TABLE secrets_copy RENAME TO secrets",
            "UPDATE secrets SET created_by = " + strayUser + " WHERE rowid = 1");
        OxyCli.Result skipped = migrate(orphaned, "--skip-orphans");
        assertEquals(0, skipped.exitCode(), skipped.toString());
        assertEquals(1, rows("secrets"), "the orphan was left out: " + skipped);
    }

    @Test
    void aSelfReferencingTableLoadsWhateverTheRowOrder() throws Exception {
        Path sqlite = files.resolve("tree.db");
        // children before their parents, and the child table named before its parent table
        sqlite(sqlite,
            "CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES nodes(id), name TEXT)",
            "CREATE TABLE leaves (id INTEGER PRIMARY KEY, node_id INTEGER NOT NULL REFERENCES nodes(id))",
            "INSERT INTO nodes (id, parent_id, name) VALUES (3, 2, 'grandchild'), (2, 1, 'child'), (1, NULL, 'root')",
            "INSERT INTO leaves (id, node_id) VALUES (1, 3)");
        OxyCli.Result result = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().indexOf("] nodes:") < result.stdout().indexOf("] leaves:"), "parents first: " + result.stdout());
        try (Connection connection = target()) {
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM nodes c JOIN nodes p ON c.parent_id = p.id JOIN nodes g ON p.parent_id = g.id"));
        }
    }

    @Test
    void withoutToTheLocalPostgresFromStartIsUsedAndNamed() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        OxyCli.Result result = OxyCli.run(env, "migrate_sqlite", "--from", sqlite.toString(), "--dry-run");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("No --to given: using the local PostgreSQL (embedded) at postgresql://postgres:****@localhost:" + port + "/oxy"), result.stdout());
    }

    @Test
    void anUnreachableTargetIsRetriedWithEachRetryPrinted() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        Process running = OxyCli.spawn(env, "migrate_sqlite", "--from", sqlite.toString(), "--to", "postgresql://postgres:postgres@localhost:" + OxyCli.freePort() + "/oxy");
        OxyCli.awaitOutput(running, "retry 3/20", Duration.ofSeconds(30));
        running.destroy();
        running.waitFor();
        String output = OxyCli.output(running, -1).stdout();
        assertTrue(output.matches("(?s).*PostgreSQL at localhost:\\d+ not reachable \\(.*\\); retry 2/20 in 500 ms.*retry 3/20 in 1000 ms.*"), output);
    }
}
