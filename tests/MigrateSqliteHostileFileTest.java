import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generic SQLite files a hostile tester (issue 29, round 2) moved with --create-schema into an external PostgreSQL 18:
 * each either moves or is refused in one or two lines (exit 8) with the target as it was, never an "unexpected
 * error"; the dry run refuses what the real run refuses.
 */
class MigrateSqliteHostileFileTest {
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("mover", "mover-pw", "app");

    @TempDir Path files;
    String url;

    @BeforeEach
    void freshDatabase() throws Exception {
        url = server.newDatabase();
    }

    /** Runs SQL statements on a SQLite file (creating it), as a user's own tools would have. */
    private static void sqlite(Path file, String... statements) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file); Statement statement = connection.createStatement()) {
            for (String sql : statements) statement.execute(sql);
        }
    }

    private OxyCli.Result migrate(Path sqlite, String... flags) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("migrate_sqlite", "--from", sqlite.toString(), "--to", url));
        args.addAll(List.of(flags));
        return OxyCli.run(OxyCli.env("OXY_STATE_DIR", files.resolve("state").toString()), args.toArray(String[]::new));
    }

    private Connection target() throws Exception {
        return server.connect(url);
    }

    /** The dry run and the real run both refuse (exit 8) with the expected words, in a few lines, without an unexpected error. */
    private void assertBothRefuse(Path sqlite, List<String> expected, String... flags) throws Exception {
        String[] dry = java.util.Arrays.copyOf(flags, flags.length + 1);
        dry[flags.length] = "--dry-run";
        for (String[] run : new String[][] {dry, flags}) {
            OxyCli.Result refused = migrate(sqlite, run);
            assertEquals(ExitCode.REFUSED, refused.exitCode(), refused.toString());
            for (String words : expected) assertTrue(refused.all().contains(words), words + "\n" + refused);
            assertFalse(refused.all().contains("unexpected error"), refused.toString());
            assertFalse(refused.all().contains("at org."), "no stack trace: " + refused);
        }
    }

    private long publicTables() throws Exception {
        try (Connection connection = target()) {
            return OxyCli.queryLong(connection, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')");
        }
    }

    /**
     * Columns named like PostgreSQL's system columns (legal in SQLite, "conflicts with a system column name" in
     * PostgreSQL) are refused by table and column, with the SQLite statement that renames them, before any table is created.
     */
    @Test
    void columnsNamedLikePostgresSystemColumnsAreRefusedByNameBeforeAnythingIsCreated() throws Exception {
        Path sqlite = files.resolve("system-columns.sqlite");
        sqlite(sqlite, "CREATE TABLE fine (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO fine VALUES (1, 'a')",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, oid INTEGER, xmin TEXT, ctid TEXT, \"Xmax\" TEXT)", "INSERT INTO items VALUES (1, 7, 'a', 'b', 'c')");
        assertBothRefuse(sqlite, List.of("column items.oid is named like a PostgreSQL system column", "items.xmin", "items.ctid",
            "SQLite cannot rename a column named oid: rebuild the table with it renamed, e.g. CREATE TABLE ... AS SELECT ..., \"oid\" AS \"oid_\" ... FROM \"items\"",
            "ALTER TABLE \"items\" RENAME COLUMN \"xmin\" TO \"xmin_\""), "--create-schema");
        assertEquals(0, publicTables(), "no table was created");

        sqlite(sqlite, "ALTER TABLE items RENAME COLUMN xmin TO xmin_", "ALTER TABLE items RENAME COLUMN ctid TO ctid_", // as the refusal says
            "CREATE TABLE rebuilt AS SELECT id, \"oid\" AS oid_, xmin_, ctid_, \"Xmax\" FROM items", "DROP TABLE items", "ALTER TABLE rebuilt RENAME TO items");
        OxyCli.Result moved = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, moved.exitCode(), "renamed as the refusal said, it moves (\"Xmax\" is no system column: names are case-sensitive)\n" + moved);
        try (Connection connection = target()) {
            assertEquals("7|a|b|c", OxyCli.queryString(connection, "SELECT oid_ || '|' || xmin_ || '|' || ctid_ || '|' || \"Xmax\" FROM items"));
        }
    }

    /**
     * A view, sequence or other relation in the target schema with the name of a table --create-schema would create
     * ("relation already exists") is refused naming schema.table and what it is, before any table is created.
     */
    @Test
    void aRelationOfTheSameNameInTheTargetSchemaIsRefusedBeforeAnythingIsCreated() throws Exception {
        try (Connection connection = target()) {
            OxyCli.execute(connection, "CREATE TABLE kept (id int)");
            OxyCli.execute(connection, "INSERT INTO kept VALUES (42)");
            OxyCli.execute(connection, "CREATE VIEW notes AS SELECT id FROM kept");
            OxyCli.execute(connection, "CREATE SEQUENCE tags");
        }
        Path sqlite = files.resolve("clash.sqlite");
        sqlite(sqlite, "CREATE TABLE alpha (id INTEGER PRIMARY KEY)", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY)", "INSERT INTO notes VALUES (1, 'x')");
        assertBothRefuse(sqlite, List.of("public.notes is a view", "public.tags is a sequence", "--create-schema cannot create the table notes there"), "--create-schema");
        assertEquals(1, publicTables(), "only the target's own table: alpha was not created either");
        try (Connection connection = target()) {
            assertEquals(42, OxyCli.queryLong(connection, "SELECT id FROM kept"));
            assertEquals(42, OxyCli.queryLong(connection, "SELECT id FROM notes"), "the view is as it was");
        }
    }

    /**
     * DATETIME DEFAULT 0 (an epoch default, common in real files; "default expression is of type integer" in
     * PostgreSQL) becomes the default its value would: the epoch, as SQLite's 0 in a row moves. A default that does not
     * convert to the column's type is dropped with one warning line naming it.
     */
    @Test
    void aTimestampDefaultOfZeroBecomesTheEpochAsItsValuesDo() throws Exception {
        Path sqlite = files.resolve("defaults.sqlite");
        sqlite(sqlite, "CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME DEFAULT 0, day DATE DEFAULT '2024-02-29', "
                + "later TIMESTAMP DEFAULT 'soon', flag BOOLEAN DEFAULT TRUE, name TEXT DEFAULT 'it''s')",
            "INSERT INTO events (id, later) VALUES (1, NULL)", "INSERT INTO events (id, at, later) VALUES (2, '2024-01-02 03:04:05', NULL)"); // rows that hold 'soon' are refused as any value

        OxyCli.Result dryRun = migrate(sqlite, "--create-schema", "--verify", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        OxyCli.Result moved = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, moved.exitCode(), moved.toString());
        assertTrue(moved.stdout().contains("dropping the default 'soon' of events.later: not a timestamp"), moved.stdout());
        assertTrue(moved.stdout().contains("Checksums match in all 1 tables"), moved.stdout());
        try (Connection connection = target()) {
            OxyCli.execute(connection, "SET TIME ZONE 'UTC'");
            assertEquals("1970-01-01 00:00:00+00", OxyCli.queryString(connection, "SELECT at::text FROM events WHERE id = 1"), "SQLite's 0 in the row");
            OxyCli.execute(connection, "INSERT INTO events (id) VALUES (3)");
            assertEquals("1970-01-01 00:00:00+00|2024-02-29|null|true|it's", OxyCli.queryString(connection,
                "SELECT at::text || '|' || day::text || '|' || coalesce(later::text, 'null') || '|' || flag::text || '|' || name FROM events WHERE id = 3"),
                "PostgreSQL's defaults give what SQLite's give");
        }
    }

    /**
     * Column names (and table names) equal in their first 63 bytes, where PostgreSQL cuts identifiers ("specified more
     * than once", "already exists"): refused naming both, before any table is created.
     */
    @Test
    void namesEqualInTheirFirst63BytesAreRefusedNamingBoth() throws Exception {
        String stem = "customer_lifetime_value_in_euros_adjusted_for_inflation_since_2";
        assertEquals(63, stem.length());
        String umlauts = "\u00fc".repeat(31) + "x"; // 63 bytes in UTF-8: the 64th byte starts a character PostgreSQL drops whole
        Path sqlite = files.resolve("long-names.sqlite");
        sqlite(sqlite, "CREATE TABLE fine (id INTEGER PRIMARY KEY)",
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, \"" + stem + "019\" REAL, \"" + stem + "020\" REAL)",
            "CREATE TABLE \"" + umlauts + "\u00e41\" (id INTEGER PRIMARY KEY)", "CREATE TABLE \"" + umlauts + "\u00e42\" (id INTEGER PRIMARY KEY)");
        assertBothRefuse(sqlite, List.of("columns accounts." + stem + "019 and accounts." + stem + "020 are the same name in PostgreSQL",
            "tables " + umlauts + "\u00e41 and " + umlauts + "\u00e42 are the same name in PostgreSQL", "63 bytes"), "--create-schema");
        assertEquals(0, publicTables(), "no table was created");
    }

    /**
     * A 50 MB TEXT and a 50 MB BLOB (attachments) move under the scripts' bounded heap: the bytes in PostgreSQL are the
     * file's (md5 on both sides) and --verify reads them back and agrees.
     */
    @Test
    void fiftyMegabyteTextAndBlobValuesMoveIntactAndVerify() throws Exception {
        Path sqlite = files.resolve("attachments.sqlite");
        sqlite(sqlite, "CREATE TABLE attachments (id INTEGER PRIMARY KEY, name TEXT, body TEXT, data BLOB)",
            "INSERT INTO attachments VALUES (1, 'small', 'x', x'00')",
            "INSERT INTO attachments VALUES (2, 'text', hex(randomblob(25000000)) || '\u00e9\u6771', NULL)", // 50 MB of text, not all ASCII
            "INSERT INTO attachments VALUES (3, 'blob', NULL, randomblob(50000000))");
        Map<String, String> sourceMd5 = new java.util.TreeMap<>();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + sqlite); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id, CAST(body AS BLOB), data FROM attachments")) {
            while (rows.next()) {
                sourceMd5.put(rows.getLong(1) + ".body", md5(rows.getBytes(2)));
                sourceMd5.put(rows.getLong(1) + ".data", md5(rows.getBytes(3)));
            }
        }
        OxyCli.Result moved = migrate(sqlite, "--create-schema", "--verify");
        assertEquals(0, moved.exitCode(), moved.toString());
        assertTrue(moved.stdout().contains("Checksums match in all 1 tables"), moved.stdout());
        Map<String, String> targetMd5 = new java.util.TreeMap<>();
        try (Connection connection = target(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id, md5(convert_to(body, 'UTF8')), md5(data), octet_length(body), octet_length(data) FROM attachments")) {
            while (rows.next()) {
                targetMd5.put(rows.getLong(1) + ".body", rows.getString(2));
                targetMd5.put(rows.getLong(1) + ".data", rows.getString(3));
                if (rows.getLong(1) == 2) assertEquals(50_000_005, rows.getLong(4));
                if (rows.getLong(1) == 3) assertEquals(50_000_000, rows.getLong(5));
            }
        }
        assertEquals(sourceMd5, targetMd5, "the same bytes on both sides");
    }

    private static String md5(byte[] bytes) throws Exception {
        return bytes == null ? null : HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    /**
     * A BLOB that is not UTF-8 in a text or JSON column is refused naming --replace-invalid-utf8, the way out made
     * for it, in the real run and the dry run; with it, the value moves with U+FFFD for its bad bytes, counted.
     */
    @Test
    void aBlobThatIsNotUtf8InATextColumnNamesReplaceInvalidUtf8() throws Exception {
        Path sqlite = files.resolve("blob-text.sqlite");
        sqlite(sqlite, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, meta JSON)",
            "INSERT INTO notes VALUES (1, x'626164ff21', NULL)", "INSERT INTO notes VALUES (2, 'fine', x'7b2261223a2022e9227d')"); // {"a": "\xe9"}
        assertBothRefuse(sqlite, List.of("column body: binary data that is not UTF-8 text, first bad byte 0xff at offset 3", "--replace-invalid-utf8"), "--create-schema");
        OxyCli.Result dryRun = migrate(sqlite, "--create-schema", "--dry-run");
        assertTrue(dryRun.stdout().contains("column meta: binary data that is not UTF-8 text, first bad byte 0xe9 at offset 7"), dryRun.stdout());
        assertEquals(0, publicTables(), "nothing was created");

        OxyCli.Result replaced = migrate(sqlite, "--create-schema", "--verify", "--replace-invalid-utf8");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertTrue(replaced.stdout().contains("table notes: 2 text value(s) were not well-formed UTF-8; their bad bytes became U+FFFD"), replaced.stdout());
        try (Connection connection = target()) {
            assertEquals("bad\ufffd!|fine\ufffd", OxyCli.queryString(connection,
                "SELECT string_agg(coalesce(body, '') || coalesce(meta->>'a', ''), '|' ORDER BY id) FROM notes"));
        }
    }
}
