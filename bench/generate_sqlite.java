///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.xerial:sqlite-jdbc:3.54.1.0
//SOURCES ../tests/OxySqliteFile.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * generate_sqlite OUTPUT_FILE ROWS [SHAPE]: writes a SQLite file of one shape, for the benchmarks of migrate_sqlite
 * against pgloader and plain COPY. Deterministic: the same arguments give the same rows. ROWS counts the rows of
 * the tables that load (the blob shape writes ROWS/20 rows, each some KB). Shapes:
 * <ul>
 *   <li>oxy (default): the app's own file as Oxy writes it (tests/OxySqliteFile.java: 17 app tables, uuids as
 *       16-byte blobs, both timestamp forms, json_text, booleans 0/1, plus the Slack/A2A tables and seaql_migrations);</li>
 *   <li>uuid-blob: two tables keyed and joined by uuids stored as 16-byte blobs, four uuid columns a row;</li>
 *   <li>uuid-text: threads, messages and logs with uuids as 36-character text, ISO timestamps with a space, epoch
 *       milliseconds as integers, booleans 0/1, JSON, BLOB payloads and text with unicode, quotes, tabs, backslashes;</li>
 *   <li>json: documents whose main column is nested JSON text of about 0.8 KB;</li>
 *   <li>wide: one 40-column table (integers, reals, text, json, blobs, timestamps, booleans);</li>
 *   <li>blob: attachments of 4 to 12 KB (ROWS/20 rows);</li>
 *   <li>small-tables: 300 tables of ROWS/300 rows each, each with a secondary index.</li>
 * </ul>
 */
public class generate_sqlite {

    static final List<String> SHAPES = List.of("oxy", "uuid-blob", "uuid-text", "json", "wide", "blob", "small-tables");

    static final String WIDE_DDL = "CREATE TABLE \"wide_events\" ("
            + " \"id\" integer NOT NULL PRIMARY KEY,"
            + " \"event_uuid\" uuid_text NOT NULL,"
            + " \"seq\" bigint NOT NULL, \"user_count\" integer NOT NULL, \"duration_ms\" integer NULL,"
            + " \"bytes_in\" bigint NOT NULL, \"bytes_out\" bigint NULL, \"retries\" integer NOT NULL DEFAULT 0,"
            + " \"status_code\" integer NOT NULL,"
            + " \"latency_p50\" real NOT NULL, \"latency_p99\" real NULL, \"cost_usd\" double NOT NULL,"
            + " \"score\" real NULL, \"ratio\" double NOT NULL, \"temperature\" real NULL,"
            + " \"event_type\" varchar NOT NULL, \"source\" varchar NOT NULL, \"region\" varchar NULL,"
            + " \"user_agent\" text NULL, \"message\" text NOT NULL, \"path\" varchar NOT NULL,"
            + " \"method\" varchar NOT NULL, \"locale\" varchar NULL, \"country\" char(2) NULL,"
            + " \"attributes\" json_text NULL,"
            + " \"payload\" blob NOT NULL, \"signature\" blob NULL, \"thumbnail\" blob NULL, \"trace_id\" blob NOT NULL,"
            + " \"occurred_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"received_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"processed_at\" timestamp_with_timezone_text NULL,"
            + " \"expires_at\" timestamp_with_timezone_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"is_error\" boolean NOT NULL DEFAULT FALSE, \"is_retry\" boolean NOT NULL DEFAULT FALSE,"
            + " \"is_internal\" boolean NOT NULL DEFAULT FALSE, \"is_sampled\" boolean NOT NULL DEFAULT TRUE,"
            + " \"is_bot\" boolean NULL )";
    static final int WIDE_COLUMNS = 40;
    static final long BASE_SECOND = Instant.parse("2025-03-01T00:00:00Z").getEpochSecond();
    static final String[] PHRASES = {"Revenue was €1.2M — up 12 % 📈", "東京 +30 %", "say \"hello\"\tthen tab", "C:\\Users\\oxy\\report.csv",
        "it's fine", "Zeitüberschreitung beim Lesen", "line one\nline two", "rate limited 🚦", "SELECT * FROM t WHERE a = 'b';", "café servi"};

    public static void main(String... args) throws Exception {
        if (args.length < 2 || args.length > 3 || !args[1].matches("\\d{1,10}") || (args.length == 3 && !SHAPES.contains(args[2]))) {
            System.err.println("usage: generate_sqlite OUTPUT_FILE ROWS [SHAPE]   SHAPE: one of " + SHAPES + " (default oxy)");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        long requested = Long.parseLong(args[1]);
        if (requested > Integer.MAX_VALUE) {
            System.err.println("generate_sqlite: ROWS must be at most " + Integer.MAX_VALUE);
            System.exit(2);
        }
        int rows = (int) requested;
        String shape = args.length == 3 ? args[2] : "oxy";
        long started = System.nanoTime();
        if (shape.equals("oxy")) {
            OxySqliteFile.create(out).withBulkRows(rows);
        } else {
            Files.deleteIfExists(out);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out.toAbsolutePath())) {
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA journal_mode=OFF");
                    s.execute("PRAGMA synchronous=OFF");
                    s.execute("PRAGMA cache_size=-65536");
                }
                c.setAutoCommit(false);
                switch (shape) {
                    case "uuid-blob" -> uuids(c, rows, true);
                    case "uuid-text" -> threadsMessagesLogs(c, rows);
                    case "json" -> documents(c, rows);
                    case "wide" -> wideEvents(c, rows);
                    case "blob" -> attachments(c, rows / 20);
                    case "small-tables" -> smallTables(c, rows);
                    default -> throw new IllegalStateException(shape);
                }
                c.commit();
            }
        }
        System.out.printf(Locale.ROOT, "wrote %s: shape %s, %,d rows, %.1f MB in %.1f s%n", out, shape, shape.equals("blob") ? rows / 20 : rows,
            Files.size(out) / 1e6, (System.nanoTime() - started) / 1e9);
    }

    // ---- the shapes ------------------------------------------------------------------------------------------

    static void uuids(Connection c, int rows, boolean asBlobs) throws SQLException {
        int accounts = Math.max(1, rows / 20);
        execute(c, "CREATE TABLE accounts (id uuid_text NOT NULL PRIMARY KEY, name text NOT NULL, created_at timestamp_with_timezone_text NOT NULL)");
        execute(c, "CREATE TABLE events (id uuid_text NOT NULL PRIMARY KEY, account_id uuid_text NOT NULL REFERENCES accounts (id),"
            + " session_id uuid_text NOT NULL, request_id uuid_text NULL, kind varchar NOT NULL, at timestamp_with_timezone_text NOT NULL)");
        execute(c, "CREATE INDEX events_account ON events (account_id)");
        insert(c, "accounts", 3, accounts, (p, i, rnd) -> {
            p.setObject(1, uuidValue(id(1, i), asBlobs));
            p.setString(2, "account " + i);
            p.setString(3, timestamp(i, 0));
        });
        String[] kinds = {"open", "query", "close", "error"};
        insert(c, "events", 6, rows - accounts, (p, i, rnd) -> {
            p.setObject(1, uuidValue(id(2, i), asBlobs));
            p.setObject(2, uuidValue(id(1, i % accounts), asBlobs));
            p.setObject(3, uuidValue(new UUID(rnd.nextLong(), rnd.nextLong()), asBlobs));
            p.setObject(4, i % 3 == 0 ? null : uuidValue(new UUID(rnd.nextLong(), rnd.nextLong()), asBlobs));
            p.setString(5, kinds[i % kinds.length]);
            p.setString(6, timestamp(i, 1));
        });
    }

    /** The shape of the file in issue 14: uuids as 36-character text, the timestamp forms a hand-written app uses. */
    static void threadsMessagesLogs(Connection c, int rows) throws SQLException {
        int threads = Math.max(1, rows / 20), logs = rows / 12, messages = rows - threads - logs;
        execute(c, "CREATE TABLE threads (id uuid_text NOT NULL PRIMARY KEY, title text NOT NULL, created_at timestamp_with_timezone_text NOT NULL,"
            + " archived boolean NOT NULL)");
        execute(c, "CREATE TABLE messages (id uuid_text NOT NULL PRIMARY KEY, thread_id uuid_text NOT NULL REFERENCES threads (id),"
            + " role varchar NOT NULL, content text NOT NULL, metadata json_text NULL, created_at timestamp_with_timezone_text NOT NULL,"
            + " updated_ms INTEGER NOT NULL, is_answer boolean NOT NULL)");
        execute(c, "CREATE TABLE logs (id uuid_text NOT NULL PRIMARY KEY, thread_id uuid_text NULL REFERENCES threads (id), level varchar NOT NULL,"
            + " payload blob NOT NULL, created_at timestamp_with_timezone_text NOT NULL)");
        execute(c, "CREATE INDEX messages_thread ON messages (thread_id)");
        execute(c, "CREATE INDEX messages_created ON messages (created_at)");
        execute(c, "CREATE INDEX logs_thread ON logs (thread_id)");
        insert(c, "threads", 4, threads, (p, i, rnd) -> {
            p.setString(1, id(1, i).toString());
            p.setString(2, PHRASES[i % PHRASES.length] + " #" + i);
            p.setString(3, spaced(i));
            p.setInt(4, i % 7 == 0 ? 1 : 0);
        });
        insert(c, "messages", 8, messages, (p, i, rnd) -> {
            p.setString(1, id(2, i).toString());
            p.setString(2, id(1, i % threads).toString());
            p.setString(3, i % 2 == 0 ? "user" : "assistant");
            p.setString(4, text(rnd, 80 + rnd.nextInt(400)));
            p.setString(5, i % 5 == 0 ? null : "{\"model\":\"gpt-4o\",\"tokens\":" + rnd.nextInt(4000) + ",\"tags\":[\"a\",\"b\"],\"cost\":" + rnd.nextDouble() + "}");
            p.setString(6, spaced(i));
            p.setLong(7, (BASE_SECOND + i) * 1000L + i % 1000);
            p.setInt(8, i % 2);
        });
        insert(c, "logs", 5, logs, (p, i, rnd) -> {
            p.setString(1, id(3, i).toString());
            p.setString(2, i % 10 == 0 ? null : id(1, i % threads).toString());
            p.setString(3, i % 9 == 0 ? "error" : "info");
            p.setBytes(4, bytes(rnd, 256 + rnd.nextInt(1_536)));
            p.setString(5, spaced(i));
        });
    }

    static void documents(Connection c, int rows) throws SQLException {
        execute(c, "CREATE TABLE documents (id INTEGER PRIMARY KEY, doc json_text NOT NULL, tags json_text NULL, updated_at timestamp_with_timezone_text NOT NULL)");
        insert(c, "documents", 4, rows, (p, i, rnd) -> {
            p.setLong(1, i + 1L);
            StringBuilder doc = new StringBuilder("{\"id\":").append(i).append(",\"title\":\"").append(PHRASES[i % PHRASES.length].replace("\\", "\\\\")
                .replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t")).append("\",\"items\":[");
            for (int k = 0; k < 6; k++) {
                if (k > 0) doc.append(',');
                doc.append("{\"sku\":\"SKU-").append(rnd.nextInt(1_000_000)).append("\",\"qty\":").append(rnd.nextInt(20))
                    .append(",\"price\":").append(Math.round(rnd.nextDouble() * 10_000) / 100.0).append(",\"ok\":").append(rnd.nextBoolean())
                    .append(",\"note\":null,\"dims\":[").append(rnd.nextInt(100)).append(',').append(rnd.nextInt(100)).append("]}");
            }
            doc.append("],\"owner\":{\"name\":\"Ångström\",\"email\":\"u").append(i).append("@example.com\",\"unicode\":\"\\u00e9\\ud83d\\ude80\"}}");
            p.setString(2, doc.toString());
            p.setString(3, i % 3 == 0 ? null : "[\"red\",\"green\",\"" + i % 100 + "\"]");
            p.setString(4, timestamp(i, 2));
        });
    }

    static void wideEvents(Connection c, int rows) throws SQLException {
        execute(c, WIDE_DDL);
        String[] types = {"page_view", "query", "export", "login", "error", "webhook"};
        String[] regions = {"eu-west-1", "us-east-1", "ap-northeast-1", null};
        String[] methods = {"GET", "POST", "PUT", "DELETE"};
        String[] locales = {"en-US", "fr-FR", "ja-JP", "de-CH", "pt-BR", null};
        String[] countries = {"US", "FR", "JP", "CH", "BR", null};
        String[] messages = {"ok", "Zeitüberschreitung beim Lesen", "タイムアウト", "rate limited 🚦", "café servi", ""};
        insert(c, "wide_events", WIDE_COLUMNS, rows, (p, i, rnd) -> {
            long at = BASE_SECOND + i * 3L;
            int k = 1;
            p.setLong(k++, i + 1L);
            p.setBytes(k++, OxySqliteFile.bytes(new UUID(0x0000_0040_e000_4000L, 0x8000_0000_0000_0000L | i)));
            p.setLong(k++, 10_000_000_000L + i);
            p.setInt(k++, rnd.nextInt(10_000));
            if (i % 11 == 0) p.setNull(k++, java.sql.Types.INTEGER); else p.setInt(k++, rnd.nextInt(60_000));
            p.setLong(k++, rnd.nextLong(1L << 40));
            if (i % 7 == 0) p.setNull(k++, java.sql.Types.BIGINT); else p.setLong(k++, rnd.nextLong(1L << 36));
            p.setInt(k++, i % 13 == 0 ? 1 + rnd.nextInt(3) : 0);
            p.setInt(k++, i % 50 == 0 ? 500 : i % 9 == 0 ? 404 : 200);
            p.setDouble(k++, rnd.nextDouble() * 100);
            if (i % 5 == 0) p.setNull(k++, java.sql.Types.REAL); else p.setDouble(k++, rnd.nextDouble() * 1_000);
            p.setDouble(k++, rnd.nextDouble() / 1_000);
            if (i % 6 == 0) p.setNull(k++, java.sql.Types.REAL); else p.setDouble(k++, rnd.nextGaussian());
            p.setDouble(k++, i == 0 ? 0.0 : 1.0 / i);
            if (i % 4 == 0) p.setNull(k++, java.sql.Types.REAL); else p.setDouble(k++, -40 + rnd.nextDouble() * 80);
            p.setString(k++, types[i % types.length]);
            p.setString(k++, i % 2 == 0 ? "web" : "api");
            p.setString(k++, regions[i % regions.length]);
            p.setString(k++, i % 3 == 0 ? null : "Mozilla/5.0 (X11; Linux x86_64) bench/" + (i % 100));
            p.setString(k++, messages[i % messages.length]);
            p.setString(k++, "/api/v1/projects/" + (i % 400) + "/threads/" + i);
            p.setString(k++, methods[i % methods.length]);
            p.setString(k++, locales[i % locales.length]);
            p.setString(k++, countries[i % countries.length]);
            p.setString(k++, i % 4 == 0 ? null : "{\"k\":" + i + ",\"tags\":[\"a\",\"b\"],\"nested\":{\"ok\":" + (i % 2 == 0) + "}}");
            p.setBytes(k++, bytes(rnd, 64 + (i % 8) * 32));
            p.setBytes(k++, i % 2 == 0 ? bytes(rnd, 32) : null);
            p.setBytes(k++, i % 10 == 0 ? bytes(rnd, 1_024) : null);
            p.setBytes(k++, bytes(rnd, 16));
            p.setString(k++, OxySqliteFile.formatTimestamp(at, (int) Math.floorMod(i * 7_919L, 1_000_000_000L), i % 5));
            p.setString(k++, OxySqliteFile.formatTimestamp(at + 1, (int) Math.floorMod(i * 104_729L, 1_000_000_000L), (i + 1) % 5));
            p.setString(k++, i % 8 == 0 ? null : OxySqliteFile.formatTimestamp(at + 2, 0, (i + 2) % 5));
            p.setString(k++, i % 3 == 0 ? OxySqliteFile.formatTimestamp(at + 86_400 * 30, 0, 1) : null);
            p.setString(k++, OxySqliteFile.formatTimestamp(at, 0, 0));
            p.setString(k++, OxySqliteFile.formatTimestamp(at + 5, 500_000_000, 2));
            p.setInt(k++, i % 50 == 0 ? 1 : 0);
            p.setInt(k++, i % 13 == 0 ? 1 : 0);
            p.setInt(k++, i % 3 == 0 ? 1 : 0);
            p.setInt(k++, i % 10 == 0 ? 0 : 1);
            if (i % 9 == 0) p.setNull(k++, java.sql.Types.INTEGER); else p.setInt(k++, i % 17 == 0 ? 1 : 0);
        });
    }

    static void attachments(Connection c, int rows) throws SQLException {
        execute(c, "CREATE TABLE attachments (id INTEGER PRIMARY KEY, name text NOT NULL, mime varchar NOT NULL, data blob NOT NULL, sha256 blob NOT NULL,"
            + " uploaded_at timestamp_with_timezone_text NOT NULL)");
        String[] mimes = {"image/png", "application/pdf", "text/csv"};
        insert(c, "attachments", 6, rows, (p, i, rnd) -> {
            p.setLong(1, i + 1L);
            p.setString(2, "file-" + i + ".bin");
            p.setString(3, mimes[i % mimes.length]);
            p.setBytes(4, bytes(rnd, 4_096 + rnd.nextInt(8_192)));
            p.setBytes(5, bytes(rnd, 32));
            p.setString(6, timestamp(i, 3));
        });
    }

    static void smallTables(Connection c, int rows) throws SQLException {
        int tables = 300, each = Math.max(1, rows / tables);
        for (int t = 0; t < tables; t++) {
            String name = String.format(Locale.ROOT, "t_%03d", t);
            execute(c, "CREATE TABLE " + name + " (id INTEGER PRIMARY KEY, ref uuid_text NOT NULL, name text NOT NULL, amount real NULL,"
                + " created_at timestamp_with_timezone_text NOT NULL, active boolean NOT NULL)");
            execute(c, "CREATE INDEX " + name + "_name ON " + name + " (name)");
            int table = t;
            insert(c, name, 6, each, (p, i, rnd) -> {
                p.setLong(1, i + 1L);
                p.setBytes(2, OxySqliteFile.bytes(id(100 + table, i)));
                p.setString(3, PHRASES[i % PHRASES.length] + " " + i);
                if (i % 4 == 0) p.setNull(4, java.sql.Types.REAL); else p.setDouble(4, rnd.nextDouble() * 1_000);
                p.setString(5, timestamp(i, i % 5));
                p.setInt(6, i % 2);
            });
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface Row {
        void fill(PreparedStatement statement, int i, SplittableRandom rnd) throws SQLException;
    }

    static void insert(Connection c, String table, int columns, int rows, Row row) throws SQLException {
        SplittableRandom rnd = new SplittableRandom(table.hashCode());
        try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table + " VALUES (?" + ", ?".repeat(columns - 1) + ")")) {
            for (int i = 0; i < rows; i++) {
                row.fill(p, i, rnd);
                p.addBatch();
                if (i % 2_000 == 1_999) p.executeBatch();
            }
            p.executeBatch();
        }
    }

    static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static UUID id(int table, long i) { return new UUID(0x0000_0000_0000_4000L | ((long) table << 32), 0x8000_0000_0000_0000L | i); }

    static Object uuidValue(UUID id, boolean asBlob) { return asBlob ? OxySqliteFile.bytes(id) : id.toString(); }

    /** Oxy's timestamp forms (OxySqliteFile.formatTimestamp), a few seconds apart. */
    static String timestamp(int i, int form) {
        return OxySqliteFile.formatTimestamp(BASE_SECOND + i * 7L, (int) Math.floorMod(i * 7_919L, 1_000_000_000L), form);
    }

    /** 'YYYY-MM-DD HH:MM:SS', as SQLite's CURRENT_TIMESTAMP and many apps write it. */
    static String spaced(int i) {
        return Instant.ofEpochSecond(BASE_SECOND + i * 5L).toString().replace('T', ' ').replace("Z", "");
    }

    static String text(SplittableRandom rnd, int length) {
        StringBuilder text = new StringBuilder(length + 64);
        while (text.length() < length) text.append(PHRASES[rnd.nextInt(PHRASES.length)]).append(' ');
        return text.toString();
    }

    static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }
}
