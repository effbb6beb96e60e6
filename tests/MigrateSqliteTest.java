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
import java.math.BigDecimal;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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

    /** Not even a table of the schema is left in the target: why says which promise this checks. */
    private void assertPublicSchemaEmpty(String why) throws Exception {
        try (Connection connection = target()) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"), why);
        }
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
        // said once each: the real run plans again after the pre-flight, silently
        assertEquals(1, result.all().split("Skipping table a2a_tasks: it exists only in SQLite", -1).length - 1, result.all());
        assertEquals(1, result.all().split("Skipping seaql_migrations", -1).length - 1, result.all());
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
        assertPublicSchemaEmpty("a dry run leaves not even the schema behind");
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
        assertPublicSchemaEmpty("a pre-flight refusal writes not even the schema");

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

    /**
     * The whole-file integrity check runs beside the load: a file whose rows all read but whose index is damaged
     * is loaded, then refused before the commit, in the dry run and the real run alike; nothing is written.
     */
    @Test
    void aDamagedFileFoundByTheIntegrityCheckBesideTheLoadWritesNothing() throws Exception {
        Path damaged = files.resolve("damaged.sqlite");
        sqlite(damaged, "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT)", "CREATE INDEX notes_title ON notes (title)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO notes SELECT i, 'title ' || i, 'body ' || i FROM n",
            // the index now claims another column than the one its entries hold: every row reads, the check fails
            "PRAGMA writable_schema = ON", "UPDATE sqlite_master SET sql = 'CREATE INDEX notes_title ON notes (body)' WHERE name = 'notes_title'");
        for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema"}}) {
            OxyCli.Result refused = migrate(damaged, flags);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.stdout().contains("notes: Found 20000 records"), "the load ran meanwhile: " + refused);
            assertTrue(refused.stderr().contains(damaged + " fails SQLite's integrity check; nothing was written")
                && refused.stderr().contains("missing from index notes_title"), refused.toString());
            assertFalse(refused.all().contains("integrity check found the file intact"), refused.toString());
        }
        assertPublicSchemaEmpty("the target is exactly as before: not even the created table is left");
    }

    /**
     * Rows are encoded and sent on their own thread: a row the server refuses while later rows are still being read
     * stops the reading, names the table and the check, and every table (also the one already loaded) is rolled back.
     */
    @Test
    void aRefusalWhileRowsAreStillBeingReadRollsBackEveryTable() throws Exception {
        Path sqlite = files.resolve("checked.sqlite");
        sqlite(sqlite, "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id), amount INTEGER NOT NULL)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO parents SELECT i, 'parent ' || i FROM n",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) INSERT INTO items SELECT i, 1 + i % 100, i FROM n");
        try (Connection connection = target()) { // a target of another program, whose check the 150,000th row breaks
            OxyCli.execute(connection, "CREATE TABLE parents (id bigint PRIMARY KEY, name text NOT NULL)");
            OxyCli.execute(connection, "CREATE TABLE items (id bigint PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id), "
                + "amount bigint NOT NULL CONSTRAINT amount_below_limit CHECK (amount < 150000))");
        }
        for (String[] flags : new String[][] {{"--dry-run"}, {}}) {
            OxyCli.Result refused = migrate(sqlite, flags);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            assertTrue(refused.all().contains("table items, check constraint amount_below_limit: a row breaks it"), refused.toString());
            assertEquals(0, rows("parents"), "the table loaded before is rolled back too: " + refused);
            assertEquals(0, rows("items"));
        }
        try (Connection connection = target()) {
            assertEquals(3, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype IN ('p', 'f', 'c')"),
                "the keys and checks dropped for the load are back");
        }
    }

    /**
     * The orphan check runs beside the load: an orphan at the end of a large table, which the foreign key rebuilt
     * after the load also meets, still refuses the run with the pre-flight's words and exit 8, in the dry run and
     * the real run alike; the target (holding another program's table) is exactly as before. --skip-orphans leaves it out.
     */
    @Test
    void anOrphanFoundBesideTheLoadRefusesAsThePreFlightDidAndChangesNothing() throws Exception {
        Path sqlite = files.resolve("orphan-at-the-end.sqlite");
        sqlite(sqlite, "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id), amount INTEGER NOT NULL)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO parents SELECT i, 'parent ' || i FROM n",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 199999) INSERT INTO items SELECT i, 1 + i % 100, i FROM n",
            "INSERT INTO items VALUES (200000, 4242, 1)");
        try (Connection connection = target()) {
            OxyCli.execute(connection, "CREATE TABLE kept (id int PRIMARY KEY, note text)");
            OxyCli.execute(connection, "INSERT INTO kept VALUES (1, 'one'), (2, 'two'), (3, 'three')");
        }
        String orphan = "orphan: items rowid 200000 points to a missing row of parents";
        OxyCli.Result dry = migrate(sqlite, "--create-schema", "--dry-run");
        assertEquals(ExitCode.REFUSED, dry.exitCode(), dry.toString());
        assertTrue(dry.stdout().contains("[DRY RUN] Problems the real run would hit (1):") && dry.stdout().contains("  - " + orphan), dry.toString());

        OxyCli.Result real = migrate(sqlite, "--create-schema");
        assertEquals(ExitCode.REFUSED, real.exitCode(), real.toString());
        assertTrue(real.stderr().contains("pre-flight checks found 1 problem(s); nothing was written"), real.toString());
        assertEquals(orphan, refusalLine(real));
        assertFalse(real.stderr().contains("foreign key") || real.all().contains("at org."), "the orphan, not the key it breaks, and no stack trace: " + real);
        try (Connection connection = target()) {
            assertEquals("1:one,2:two,3:three", OxyCli.queryString(connection, "SELECT string_agg(id || ':' || note, ',' ORDER BY id) FROM kept"));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
                "only the other program's table: not even the created ones are left");
        }

        OxyCli.Result skipped = migrate(sqlite, "--create-schema", "--skip-orphans");
        assertEquals(0, skipped.exitCode(), skipped.toString());
        assertTrue(skipped.stdout().contains("Skipping 1 orphan row(s) of items"), skipped.stdout());
        assertTrue(skipped.stdout().contains("items: Found 200000 records \u2192 Migrated 199999 records"), skipped.stdout());
        assertEquals(199_999, rows("items"));
    }

    /**
     * Text goes to COPY as the bytes SQLite holds, without a decode and re-encode in between: unicode as it is, bytes
     * that are not UTF-8 refused (or replacement characters with --replace-invalid-utf8, counted), a NUL refused (or
     * stripped with --strip-nul), varchar(n) counted in characters, and a BLOB that is not UTF-8 in a text column refused.
     */
    @Test
    void textArrivesAsItsBytesAndIsRefusedAsBefore() throws Exception {
        Path sqlite = files.resolve("texts.sqlite");
        sqlite(sqlite, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, short varchar(3))",
            "INSERT INTO notes VALUES (1, 'caf\u00e9 \u6771\u4eac \ud83d\udcc8 tab\there \\ back', '\u00e9\u20ac\ud83d\ude00')",
            "INSERT INTO notes VALUES (2, CAST(x'626164ff21' AS TEXT), 'abc')", // not UTF-8, stored as TEXT
            "INSERT INTO notes VALUES (3, CAST(x'6f6e65006e756c' AS TEXT), NULL)"); // a NUL inside
        OxyCli.Result notUtf8 = migrate(sqlite, "--create-schema");
        assertEquals(ExitCode.REFUSED, notUtf8.exitCode(), notUtf8.toString());
        assertTrue(notUtf8.stderr().contains("table notes, id=2, rowid 2, column body: text that is not well-formed UTF-8, first bad byte 0xff at offset 3 "
            + "(value: x'626164ff21' (5 bytes))"), notUtf8.toString());
        assertTrue(notUtf8.stderr().contains("Fix the value in SQLite, or rerun with --replace-invalid-utf8"), notUtf8.toString());
        assertPublicSchemaEmpty("a refused value writes nothing");

        OxyCli.Result refused = migrate(sqlite, "--create-schema", "--replace-invalid-utf8");
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("table notes, id=3, rowid 3, column body: text containing a NUL character, which PostgreSQL rejects"), refused.toString());
        assertPublicSchemaEmpty("a refused value writes nothing");

        OxyCli.Result stripped = migrate(sqlite, "--create-schema", "--strip-nul", "--replace-invalid-utf8", "--verify");
        assertEquals(0, stripped.exitCode(), stripped.toString());
        assertTrue(stripped.stdout().contains("table notes: 1 text value(s) were not well-formed UTF-8; their bad bytes became U+FFFD (--replace-invalid-utf8)"), stripped.stdout());
        try (Connection connection = target()) {
            assertEquals("caf\u00e9 \u6771\u4eac \ud83d\udcc8 tab\there \\ back|\u00e9\u20ac\ud83d\ude00", OxyCli.queryString(connection, "SELECT body || '|' || short FROM notes WHERE id = 1"));
            assertEquals("bad\ufffd!", OxyCli.queryString(connection, "SELECT body FROM notes WHERE id = 2"));
            assertEquals("onenul", OxyCli.queryString(connection, "SELECT body FROM notes WHERE id = 3"));
            OxyCli.execute(connection, "DROP TABLE notes");
        }

        sqlite(sqlite, "DELETE FROM notes WHERE id > 1", "INSERT INTO notes VALUES (4, 'fine', 'abcd')");
        OxyCli.Result tooLong = migrate(sqlite, "--create-schema");
        assertEquals(ExitCode.REFUSED, tooLong.exitCode(), tooLong.toString());
        assertTrue(tooLong.stderr().contains("column short: longer than 3 characters"), tooLong.toString());

        sqlite(sqlite, "DELETE FROM notes WHERE id = 4", "INSERT INTO notes VALUES (5, x'626164ff21', NULL)");
        OxyCli.Result blob = migrate(sqlite, "--create-schema");
        assertEquals(ExitCode.REFUSED, blob.exitCode(), blob.toString());
        assertTrue(blob.stderr().contains("column body: binary data that is not UTF-8 text"), blob.toString());
        assertPublicSchemaEmpty("nothing was written");
    }

    /**
     * Latin-1 text another program wrote into a UTF-8 file is refused by default, in the dry run and the real run alike,
     * by table, key, column and first bad byte, and a --truncate load leaves the target's rows as they were;
     * --replace-invalid-utf8 loads it with U+FFFD for each bad sequence, says how many per table, and --verify agrees
     * on what was sent, in binary COPY (people) and text COPY (payments: numeric has no binary encoding here). A bytea
     * column takes a TEXT value's bytes as they are, whatever they are.
     */
    @Test
    void textThatIsNotUtf8IsRefusedLeavingTheTargetAsItWasOrReplacedWhenAsked() throws Exception {
        Path sqlite = files.resolve("latin1.sqlite");
        sqlite(sqlite, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, profile JSON)",
            "CREATE TABLE payments (id INTEGER PRIMARY KEY, memo TEXT, amount NUMERIC, raw BLOB)",
            "INSERT INTO people VALUES (1, 'Zo\u00eb', '{\"city\": \"Z\u00fcrich\"}')",
            "INSERT INTO payments VALUES (1, 'rent', 12.50, x'00ff')");
        OxyCli.Result first = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, first.exitCode(), first.toString());

        sqlite(sqlite, "INSERT INTO people VALUES (2, CAST(x'52656ee9' AS TEXT), CAST(x'7b2263697479223a202253e36f205061756c6f227d' AS TEXT))", // Ren\xe9, S\xe3o Paulo
            "INSERT INTO payments VALUES (2, CAST(x'636166e9' AS TEXT), 3.20, CAST(x'80ff' AS TEXT))"); // caf\xe9; the bytea gets text's bytes
        OxyCli.Result dryRun = migrate(sqlite, "--create-schema", "--truncate", "--verify", "--dry-run");
        assertEquals(ExitCode.REFUSED, dryRun.exitCode(), dryRun.toString());
        assertTrue(dryRun.stdout().contains("table people, id=2, rowid 2, column name: text that is not well-formed UTF-8, first bad byte 0xe9 at offset 3"), dryRun.stdout());
        assertTrue(dryRun.stdout().contains("table people, id=2, rowid 2, column profile: text that is not well-formed UTF-8, first bad byte 0xe3 at offset 11"), dryRun.stdout());
        assertTrue(dryRun.stdout().contains("table payments, id=2, rowid 2, column memo: text that is not well-formed UTF-8, first bad byte 0xe9 at offset 3"), dryRun.stdout());
        assertFalse(dryRun.stdout().contains("column raw"), "bytea takes any bytes: " + dryRun.stdout());
        assertTrue(dryRun.stdout().contains("or rerun with --replace-invalid-utf8"), dryRun.stdout());

        OxyCli.Result refused = migrate(sqlite, "--create-schema", "--truncate", "--verify");
        assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().matches("(?s).*table (people|payments), id=2, rowid 2, column (name|memo): text that is not well-formed UTF-8, "
            + "first bad byte 0xe9 at offset 3 \\(value: x'(52656e|636166)e9' \\(4 bytes\\)\\).*"), refused.stderr()); // the first table loaded stops the run
        assertTrue(refused.stderr().contains("No row was written. Fix the value in SQLite, or rerun with --replace-invalid-utf8"), refused.stderr());
        assertFalse(refused.all().contains("at org."), "no stack trace: " + refused.all());
        try (Connection connection = target()) {
            assertEquals("1:Zo\u00eb:Z\u00fcrich", OxyCli.queryString(connection, "SELECT string_agg(id || ':' || name || ':' || (profile->>'city'), ',') FROM people"),
                "the target's rows as they were: --truncate's emptying was rolled back too");
            assertEquals("1:rent:12.5:00ff", OxyCli.queryString(connection, "SELECT string_agg(id || ':' || memo || ':' || amount || ':' || encode(raw, 'hex'), ',') FROM payments"));
        }

        OxyCli.Result wouldReplace = migrate(sqlite, "--create-schema", "--truncate", "--verify", "--replace-invalid-utf8", "--dry-run");
        assertEquals(0, wouldReplace.exitCode(), wouldReplace.toString());
        assertTrue(wouldReplace.stdout().contains("[DRY RUN] table people: 2 text value(s) were not well-formed UTF-8; their bad bytes would become U+FFFD"), wouldReplace.stdout());

        OxyCli.Result replaced = migrate(sqlite, "--create-schema", "--truncate", "--verify", "--replace-invalid-utf8");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertTrue(replaced.stdout().contains("table people: 2 text value(s) were not well-formed UTF-8; their bad bytes became U+FFFD (--replace-invalid-utf8)"), replaced.stdout());
        assertTrue(replaced.stdout().contains("table payments: 1 text value(s) were not well-formed UTF-8"), replaced.stdout());
        assertTrue(replaced.stdout().contains("Checksums match in all 2 tables"), replaced.stdout());
        try (Connection connection = target()) {
            assertEquals("Ren\ufffd|6|S\ufffdo Paulo", OxyCli.queryString(connection, "SELECT name || '|' || octet_length(name) || '|' || (profile->>'city') FROM people WHERE id = 2"));
            assertEquals("caf\ufffd|3.2|80ff", OxyCli.queryString(connection, "SELECT memo || '|' || amount || '|' || encode(raw, 'hex') FROM payments WHERE id = 2"),
                "the bytea column holds the text's own bytes, not replacement characters");
            assertEquals("Zo\u00eb|rent", OxyCli.queryString(connection, "SELECT p.name || '|' || m.memo FROM people p JOIN payments m USING (id) WHERE id = 1"));
        }
    }

    /**
     * Tables --create-schema makes are loaded with COPY FREEZE: ANALYZE finds the pages all-visible (without FREEZE
     * none is until a vacuum; COPY leaves out the few pages its insert batches share), so no vacuum has to rewrite them.
     */
    @Test
    void tablesCreatedByTheLoadArriveFrozen() throws Exception {
        Path sqlite = files.resolve("frozen.sqlite");
        sqlite(sqlite, "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at timestamp_with_timezone_text NOT NULL)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) INSERT INTO events SELECT i, 'kind ' || (i % 7), "
                + "'2025-06-11 01:56:38' FROM n");
        OxyCli.Result migrated = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, migrated.exitCode(), migrated.toString());
        assertEquals(50_000, rows("events"));
        try (Connection connection = target()) {
            long pages = OxyCli.queryLong(connection, "SELECT relpages FROM pg_class WHERE relname = 'events'");
            assertTrue(pages > 100, "pages: " + pages);
            long visible = OxyCli.queryLong(connection, "SELECT relallvisible FROM pg_class WHERE relname = 'events'");
            assertTrue(visible >= pages * 3 / 4, "all-visible pages: " + visible + " of " + pages);
        }
    }

    /** Rows of 100 KB: more than the 8 MB the reading and sending threads may hold between them fill a batch, and still flow. */
    @Test
    void batchesLargerThanTheBudgetBetweenTheThreadsStillFlow() throws Exception {
        Path sqlite = files.resolve("wide-rows.sqlite");
        sqlite(sqlite, "CREATE TABLE pictures (id INTEGER PRIMARY KEY, data BLOB NOT NULL, caption TEXT NOT NULL)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) INSERT INTO pictures SELECT i, randomblob(100000), "
                + "printf('%.*c', 1000 + i, 'x') FROM n");
        OxyCli.Result migrated = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, migrated.exitCode(), migrated.toString());
        assertEquals(600, rows("pictures"));
        try (Connection connection = target()) {
            assertEquals(60_000_000L, OxyCli.queryLong(connection, "SELECT sum(octet_length(data)) FROM pictures"));
        }
    }

    /** The JSON check (one pass, no parser) agrees with PostgreSQL's own json and jsonb input on what is JSON. */
    @Test
    void theJsonCheckAcceptsWhatPostgresAcceptsAndNothingElse() throws Exception {
        String[] cases = {"{}", "[]", " {\"a\": [1, -2.5e+3, 0, 0.5E-2, true, false, null, \"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"]}\n", "\"\\ud83d\\ude80\"",
            "\"caf\u00e9 \ud83d\ude80\"", "12", "-0", "\"\\u00e9\"", "[[[[[[1]]]]]]", "{\"a\":{\"b\":{}}}",
            "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "NaN", "Infinity", "'x'", "{a: 1}", "[1 2]", "1 2", "tru", "truex", "nul",
            "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ude80\"", "\"\\ud83dx\"", "/* c */ 1", "[1] // c", "{\"a\" 1}", "\"open",
            "[\"a\", ]", "{\"a\":1 \"b\":2}", "\u00a01", "[1]]", "{}}"};
        try (Connection connection = target()) {
            for (String type : new String[] {"json", "jsonb"}) {
                for (String text : cases) {
                    boolean postgres;
                    try (var statement = connection.prepareStatement("SELECT ?::" + type)) {
                        statement.setString(1, text);
                        statement.executeQuery().close();
                        postgres = true;
                    } catch (java.sql.SQLException refused) {
                        postgres = false;
                    }
                    String problem = JsonCheck.problem(text, type.equals("jsonb"));
                    assertEquals(postgres, problem == null, type + " " + text + ": " + problem);
                    assertEquals(postgres, JsonCheck.accepts(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), type.equals("jsonb")),
                        "the check of SQLite's bytes agrees: " + type + " " + text);
                }
            }
        }
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertEquals(null, JsonCheck.problem(deep, true), "nesting does not overflow the stack");
        assertTrue(JsonCheck.accepts(deep.getBytes(java.nio.charset.StandardCharsets.UTF_8), true), "nor in the check of bytes");
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
        assertPublicSchemaEmpty("no migration was applied");
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
        Map<String, String> capped = new java.util.HashMap<>(env);
        capped.put("JAVA_TOOL_OPTIONS", "-Xmx256m"); // a cap a user set: 40 MB + 40 MB is past a quarter of it
        for (String[] flags : new String[][] {{"--create-schema", "--dry-run"}, {"--create-schema"}}) {
            List<String> args = new ArrayList<>(List.of("migrate_sqlite", "--from", big.toString(), "--to", url));
            args.addAll(List.of(flags));
            OxyCli.Result refused = OxyCli.run(capped, args.toArray(String[]::new));
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
            {"table users, primary key users_pkey: 1 key appears more than once, first (id)=(" + OxySqliteFile.ALICE_ID + ")",
                "INSERT INTO users SELECT * FROM users LIMIT 1"},
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

    // ---- issue 13: the two modes, and the dry run meeting what the real run meets ---------------------------

    private Set<String> targetTables() throws Exception {
        Set<String> tables = new TreeSet<>();
        try (Connection connection = target(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
            while (result.next()) tables.add(result.getString(1));
        }
        return tables;
    }

    /**
     * Case 1 of issue 13: a file that is not the app's, whose tables happen to be called users, threads, messages,
     * settings and logs but are shaped otherwise (integer ids, a level column in logs), moves as it is in generic
     * mode: exactly its own tables, no flyway_schema_history, none of the app's tables. So do Chinook-like names.
     */
    @Test
    void aGenericFileWithTheAppsTableNamesMovesAsItIsAndLeavesNoTraceOfTheAppsSchema() throws Exception {
        Path sqlite = files.resolve("forum.db");
        sqlite(sqlite,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, karma INTEGER DEFAULT 0)",
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT)",
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, thread_id INTEGER REFERENCES threads(id), body TEXT, posted TEXT)",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
            "CREATE TABLE logs (id INTEGER PRIMARY KEY, level TEXT NOT NULL, message TEXT, at DATETIME)",
            "INSERT INTO users VALUES (17, 'ann', 3), (18, 'bo', 0)",
            "INSERT INTO threads VALUES (1, 17, 'hello'), (2, 18, 'again')",
            "INSERT INTO messages VALUES (1, 1, 'first', '2024-05-01 10:00:00'), (2, 1, 'second', '2024-05-01 10:01:00'), (3, 2, 'x', NULL)",
            "INSERT INTO settings VALUES ('theme', 'dark')",
            "INSERT INTO logs VALUES (1, 'WARN', 'disk', '2024-05-01T10:00:00Z'), (2, 'INFO', 'ok', '2024-05-01 10:00:01')");
        OxyCli.Result dry = migrate(sqlite, "--create-schema", "--dry-run");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertTrue(dry.stdout().contains("Mode: generic (the SQLite file has no seaql_migrations and the target is not ours)"), dry.stdout());
        assertEquals(Set.of(), targetTables(), "the dry run leaves nothing");

        OxyCli.Result result = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Mode: generic"), result.stdout());
        assertFalse(result.all().contains("Applied migration"), result.all());
        assertEquals(Set.of("users", "threads", "messages", "settings", "logs"), targetTables());
        assertEquals(2, rows("logs WHERE level IN ('WARN', 'INFO')"));
        assertEquals(1, rows("users WHERE id = 17 AND handle = 'ann'"));
        assertEquals(3, rows("messages"));

        freshDatabase();
        Path chinook = files.resolve("chinook-like.db");
        sqlite(chinook,
            "CREATE TABLE [Artist] ([ArtistId] INTEGER NOT NULL, [Name] NVARCHAR(120), CONSTRAINT [PK_Artist] PRIMARY KEY ([ArtistId]))",
            "CREATE TABLE [Album] ([AlbumId] INTEGER NOT NULL, [Title] NVARCHAR(160) NOT NULL, [ArtistId] INTEGER NOT NULL, "
                + "CONSTRAINT [PK_Album] PRIMARY KEY ([AlbumId]), FOREIGN KEY ([ArtistId]) REFERENCES [Artist] ([ArtistId]))",
            "INSERT INTO Artist VALUES (1, 'AC/DC'), (2, 'Accept')", "INSERT INTO Album VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2)");
        OxyCli.Result moved = migrate(chinook, "--create-schema", "--verify");
        assertEquals(0, moved.exitCode(), moved.toString());
        assertEquals(Set.of("Artist", "Album"), targetTables(), "no flyway_schema_history, none of the app's tables");

        // without --create-schema the generic file has nowhere to go: said, nothing written
        freshDatabase();
        OxyCli.Result nowhere = migrate(chinook);
        assertEquals(ExitCode.REFUSED, nowhere.exitCode(), nowhere.toString());
        assertTrue(nowhere.stderr().contains("none of the file's tables has a table of the same name in the target: --create-schema creates them"), nowhere.stderr());
        assertEquals(Set.of(), targetTables());
    }

    /** The app's file into a schema the app's own migrator made: loaded into its tables, our migrations never applied. */
    @Test
    void theAppsFileIntoAForeignSchemaLoadsIntoItsTablesWithoutOurMigrations() throws Exception {
        try (Connection connection = target()) {
            OxyCli.execute(connection, "CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint NOT NULL)");
            OxyCli.execute(connection, "CREATE TABLE settings (id serial PRIMARY KEY, github_token text NOT NULL, selected_repo_id bigint, onboarded boolean NOT NULL DEFAULT false, revision text, "
                + "sync_status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())");
        }
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        OxyCli.Result result = migrate(sqlite);
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Mode: app (the SQLite file has seaql_migrations, the app's migration ledger); target schema public holds 2 tables")
            && result.stdout().contains("our migrations/ are not applied to a schema we did not make"), result.stdout());
        assertFalse(targetTables().contains("flyway_schema_history"), "our migrations were not applied");
        assertEquals(2, rows("settings"));
    }

    /**
     * Case 2 of issue 13: two runs sharing (project_id, branch_id, source_id, run_index), which Oxy's SQLite no
     * longer prevents but its PostgreSQL schema (and ours) does with the partial unique index
     * idx_unique_source_runindex. The dry run names it, the real run refuses the same, nothing is written, and
     * the SQL the refusal gives, run on the SQLite file, fixes it.
     */
    @Test
    void duplicateRunIndexesAreNamedByTheDryRunAndTheRealRunAndTheGivenSqlFixesThem() throws Exception {
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        // Oxy's own file lost the index when it rebuilt runs (_runs_old); the builder models the schema before that
        sqlite(sqlite, "DROP INDEX idx_unique_source_runindex", "UPDATE runs SET (project_id, branch_id, source_id, run_index) = (SELECT project_id, branch_id, source_id, run_index FROM runs WHERE id = "
            + blob(OxySqliteFile.RUN_DAILY_1_ID) + ") WHERE id = " + blob(OxySqliteFile.RUN_DAILY_2_ID));
        String expected = "table runs, unique index idx_unique_source_runindex (WHERE run_index IS NOT NULL): 1 key appears more than once, "
            + "first (project_id, branch_id, source_id, run_index)=(" + OxySqliteFile.PROJECT_SALES_ID + ", " + OxySqliteFile.BRANCH_MAIN_ID
            + ", workflows/daily.workflow.yml, 1)";
        OxyCli.Result dry = migrate(sqlite, "--dry-run");
        assertEquals(ExitCode.REFUSED, dry.exitCode(), dry.toString());
        assertTrue(dry.stdout().contains(expected), dry.stdout());
        OxyCli.Result real = migrate(sqlite);
        assertEquals(ExitCode.REFUSED, real.exitCode(), real.toString());
        assertEquals(expected, refusalLine(real));
        assertFalse(real.all().contains("--skip-orphans") || real.all().contains("orphan"), "no hint that does not apply: " + real);
        assertEquals(0, appRows(), "nothing was written");

        String hint = real.stderr().substring(real.stderr().indexOf("sqlite3 "));
        String update = hint.substring(hint.indexOf("' '") + 3, hint.indexOf("' (or remove")).replace("'\\''", "'"); // as the shell passes it on
        assertTrue(update.startsWith("UPDATE \"runs\" SET \"run_index\" = NULL"), update);
        sqlite(sqlite, update);
        OxyCli.Result fixed = migrate(sqlite, "--verify");
        assertEquals(0, fixed.exitCode(), fixed.toString());
        assertEquals(3, rows("runs"));
        assertEquals(2, rows("runs WHERE run_index IS NULL"), "the later duplicate's run_index became NULL (the replay run had none)");
        assertEquals(1, rows("runs WHERE run_index = 1 AND id = '" + OxySqliteFile.RUN_DAILY_1_ID + "'"), "the first row keeps its index");
    }

    /**
     * The dry run and the real run agree on every refusal: for each bad file, both exit 8 and the line the real
     * run refuses with is among the dry run's problems. Covers the target's keys on converted values (a uuid as
     * text and as a blob), a partial unique index, NOT NULL, foreign keys, checks and ranges of a foreign target.
     */
    @Test
    void theDryRunAndTheRealRunAgreeOnEveryRefusal() throws Exception {
        String alice = blob(OxySqliteFile.ALICE_ID);
        String withoutConstraints = "PRAGMA foreign_keys = OFF; CREATE TABLE users_copy AS SELECT * FROM users; DROP TABLE users; "
            + "ALTER TABLE users_copy RENAME TO users";
        List<String[]> cases = List.of(
            new String[] {"app", "DROP INDEX idx_unique_source_runindex; UPDATE runs SET (project_id, branch_id, source_id, run_index) = (SELECT project_id, branch_id, source_id, run_index FROM runs "
                + "WHERE id = " + blob(OxySqliteFile.RUN_DAILY_1_ID) + ") WHERE id = " + blob(OxySqliteFile.RUN_DAILY_2_ID)},
            new String[] {"app", withoutConstraints + "; INSERT INTO users SELECT * FROM users WHERE id = " + alice
                + "; UPDATE users SET id = '" + OxySqliteFile.ALICE_ID + "', email = 'copy.' || email WHERE rowid = (SELECT max(rowid) FROM users)"},
            new String[] {"app", withoutConstraints + "; UPDATE users SET email = NULL WHERE id = " + alice},
            new String[] {"app", "PRAGMA foreign_keys = OFF; UPDATE threads SET user_id = x'" + "ab".repeat(16) + "' WHERE rowid = 1"},
            new String[] {"app", "UPDATE messages SET content = 'a' || char(0) || 'b' WHERE rowid = 1"},
            new String[] {"check", "INSERT INTO items VALUES (1, -2, 1.5)"},
            new String[] {"check", "INSERT INTO items VALUES (1, 2, 12345.5)"});
        for (String[] testCase : cases) {
            freshDatabase();
            Path sqlite;
            if (testCase[0].equals("app")) {
                sqlite = OxySqliteFile.create(files.resolve(UUID.randomUUID() + ".sqlite")).withSampleData().path();
            } else {
                sqlite = files.resolve(UUID.randomUUID() + ".db");
                sqlite(sqlite, "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, price NUMERIC)");
                try (Connection connection = target()) {
                    OxyCli.execute(connection, "CREATE TABLE items (id bigint PRIMARY KEY, qty integer CHECK (qty >= 0), price numeric(4, 1))");
                }
            }
            sqlite(sqlite, testCase[1].split("; "));
            OxyCli.Result dry = migrate(sqlite, "--dry-run");
            OxyCli.Result real = migrate(sqlite);
            assertEquals(ExitCode.REFUSED, dry.exitCode(), testCase[1] + "\n" + dry);
            assertEquals(ExitCode.REFUSED, real.exitCode(), testCase[1] + "\n" + real);
            String refusal = refusalLine(real);
            assertTrue(dry.stdout().contains("  - " + refusal), "the dry run predicts \"" + refusal + "\":\n" + dry);
            assertFalse(real.all().contains("unexpected error") || dry.all().contains("unexpected error"), real + "\n" + dry);
            assertEquals(0, appRows(), "nothing was written: " + testCase[1]);
            if (testCase[0].equals("check")) assertEquals(0, rows("items"));
            if (testCase[0].equals("app")) {
                assertPublicSchemaEmpty("the empty target is empty again, not left with the app's schema: " + testCase[1] + "\n" + real);
            }
        }
    }

    /** The line a real run refuses with: its first problem (the first listed one after a pre-flight's count). */
    private static String refusalLine(OxyCli.Result real) {
        List<String> lines = real.stderr().lines().map(String::strip).toList();
        String first = lines.stream().filter(line -> line.startsWith("\u2717 ")).findFirst().orElseThrow(() -> new AssertionError(real.toString())).substring(2);
        if (!first.startsWith("pre-flight checks found")) return first;
        return lines.stream().filter(line -> line.startsWith("| ")).findFirst().orElseThrow().substring(2);
    }

    private static String blob(UUID uuid) {
        return "x'" + uuid.toString().replace("-", "") + "'";
    }

    /**
     * The traits of real files, in generic mode with --create-schema: names with spaces, quotes, mixed case and
     * reserved words, bracket-quoted DDL, a WITHOUT ROWID table, a view and a generated column (said, not moved),
     * NUMERIC money, BLOB images, dates as text. Rows, sums and blob hashes agree on both sides.
     */
    @Test
    void realWorldTraitsMoveWithRowsSumsAndBlobHashesIntact() throws Exception {
        Path sqlite = files.resolve("shop.db");
        sqlite(sqlite,
            "CREATE TABLE [Customer List] ([Customer ID] INTEGER PRIMARY KEY, [Full \"Name\"] TEXT NOT NULL, [it's] TEXT, \"order\" INTEGER, [Group] TEXT, "
                + "Joined DATE, LastSeen DATETIME)",
            "CREATE TABLE \"Order Details\" (\"Order ID\" INTEGER NOT NULL, \"Line\" INTEGER NOT NULL, \"Customer ID\" INTEGER REFERENCES [Customer List]([Customer ID]), "
                + "\"Unit Price\" NUMERIC(10,2) NOT NULL, Quantity INTEGER NOT NULL, \"Total\" NUMERIC GENERATED ALWAYS AS (\"Unit Price\" * Quantity) VIRTUAL, "
                + "PRIMARY KEY (\"Order ID\", \"Line\")) WITHOUT ROWID",
            "CREATE TABLE Images (ImageId INTEGER PRIMARY KEY, [select] TEXT, Photo BLOB)",
            "CREATE VIEW \"Big Orders\" AS SELECT * FROM \"Order Details\" WHERE Quantity > 10",
            "INSERT INTO [Customer List] VALUES (1, 'Ann \"A\" O''Neil', 'yes', 1, 'x', '2009-01-01', '2009-01-01 00:00:00'), "
                + "(2, 'Bo', NULL, 2, NULL, '2013-12-22', '2013-12-22T10:11:12')",
            "INSERT INTO \"Order Details\" VALUES (1, 1, 1, 0.99, 3), (1, 2, 1, 13.86, 12), (2, 1, 2, 1234567.89, 1), (2, 2, NULL, 0.01, 100)",
            "INSERT INTO Images VALUES (1, 'from', randomblob(70000)), (2, 'where', x'89504e470d0a1a0a'), (3, NULL, NULL)");
        List<String> sqliteHashes = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + sqlite); Statement statement = connection.createStatement();
             ResultSet photos = statement.executeQuery("SELECT Photo FROM Images WHERE Photo IS NOT NULL ORDER BY ImageId")) {
            while (photos.next()) sqliteHashes.add(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(photos.getBytes(1))));
        }
        OxyCli.Result result = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("Skipping view(s) [Big Orders]"), result.stdout());
        assertTrue(result.stdout().contains("Generated column(s) [Order Details.Total] are not moved"), result.stdout());
        assertEquals(Set.of("Customer List", "Order Details", "Images"), targetTables());
        try (Connection connection = target(); Statement statement = connection.createStatement()) {
            assertEquals(2, OxyCli.queryLong(connection, "SELECT count(*) FROM \"Customer List\""));
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM \"Customer List\" WHERE \"Full \"\"Name\"\"\" = 'Ann \"A\" O''Neil' "
                + "AND \"it's\" = 'yes' AND \"order\" = 1 AND \"Group\" = 'x' AND \"Joined\" = DATE '2009-01-01' AND \"LastSeen\" = TIMESTAMPTZ '2009-01-01 00:00:00Z'"));
            try (ResultSet sums = statement.executeQuery("SELECT count(*), sum(\"Unit Price\" * \"Quantity\"), sum(\"Unit Price\") FROM \"Order Details\"")) {
                sums.next();
                assertEquals(4, sums.getLong(1));
                assertEquals(new BigDecimal("1234738.18"), sums.getBigDecimal(2), "money is exact: 2.97 + 166.32 + 1234567.89 + 1.00");
                assertEquals(new BigDecimal("1234582.75"), sums.getBigDecimal(3));
            }
            List<String> pgHashes = new ArrayList<>();
            try (ResultSet photos = statement.executeQuery("SELECT md5(\"Photo\") FROM \"Images\" WHERE \"Photo\" IS NOT NULL ORDER BY \"ImageId\"")) {
                while (photos.next()) pgHashes.add(photos.getString(1));
            }
            assertEquals(sqliteHashes, pgHashes, "blob hashes agree");
            assertEquals(1, OxyCli.queryLong(connection, "SELECT count(*) FROM \"Images\" WHERE \"select\" = 'from' AND octet_length(\"Photo\") = 70000"));
        }
    }
}
