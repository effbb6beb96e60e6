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
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * generate_sqlite OUTPUT_FILE ROWS: writes an Oxy-shaped SQLite file (see tests/OxySqliteFile.java) holding ROWS
 * rows in all: 90% spread over Oxy's 17 app tables (OxySqliteFile.withBulkRows) and 10% in one extra wide table,
 * wide_events (40 columns: integers, reals, text, json, blobs, timestamps, booleans). For benchmarks of
 * migrate_sqlite and pgloader. Deterministic: the same arguments give the same rows.
 */
public class generate_sqlite {

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

    public static void main(String... args) throws Exception {
        if (args.length != 2 || !args[1].matches("\\d{1,10}")) {
            System.err.println("usage: generate_sqlite OUTPUT_FILE ROWS   (e.g. bench/generate_sqlite.java /tmp/x.sqlite 200000)");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        long requested = Long.parseLong(args[1]);
        if (requested > Integer.MAX_VALUE) {
            System.err.println("generate_sqlite: ROWS must be at most " + Integer.MAX_VALUE);
            System.exit(2);
        }
        int rows = (int) requested;
        int wide = rows / 10;
        int bulk = rows - wide;

        long t0 = System.nanoTime();
        OxySqliteFile file = OxySqliteFile.create(out).withBulkRows(bulk);
        long t1 = System.nanoTime();
        writeWideEvents(file.jdbcUrl(), wide);
        long t2 = System.nanoTime();

        Map<String, Integer> counts = file.appRowCounts();
        double seconds = (t2 - t0) / 1e9;
        System.out.printf("wrote %s: %,d rows (%,d in Oxy's 17 tables, %,d in wide_events) + %d seaql_migrations rows%n",
                out, rows, bulk, wide, OxySqliteFile.SEAQL_MIGRATIONS.size());
        System.out.printf("  %s%n", counts);
        System.out.printf("  app tables %.2f s (%,.0f rows/s), wide_events %.2f s (%,.0f rows/s); total %.2f s = %,.0f rows/s, %,.1f MB%n",
                (t1 - t0) / 1e9, perSecond(bulk, t1 - t0), (t2 - t1) / 1e9, perSecond(wide, t2 - t1),
                seconds, perSecond(rows, t2 - t0), Files.size(out) / 1e6);
    }

    static double perSecond(long rows, long nanos) { return nanos == 0 ? 0 : rows / (nanos / 1e9); }

    static void writeWideEvents(String url, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA synchronous=OFF");
                s.execute("PRAGMA cache_size=-65536");
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute(WIDE_DDL);
            }
            String marks = "?" + ", ?".repeat(WIDE_COLUMNS - 1);
            SplittableRandom rnd = new SplittableRandom(40);
            long base = Instant.parse("2025-03-01T00:00:00Z").getEpochSecond();
            String[] types = {"page_view", "query", "export", "login", "error", "webhook"};
            String[] regions = {"eu-west-1", "us-east-1", "ap-northeast-1", null};
            String[] methods = {"GET", "POST", "PUT", "DELETE"};
            String[] locales = {"en-US", "fr-FR", "ja-JP", "de-CH", "pt-BR", null};
            String[] countries = {"US", "FR", "JP", "CH", "BR", null};
            String[] messages = {"ok", "Zeitüberschreitung beim Lesen", "タイムアウト", "rate limited 🚦", "café servi", ""};
            try (PreparedStatement p = c.prepareStatement("INSERT INTO \"wide_events\" VALUES (" + marks + ")")) {
                for (int i = 0; i < rows; i++) {
                    long at = base + i * 3L;
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
                    p.setBytes(k++, payload(rnd, 64 + (i % 8) * 32));
                    p.setBytes(k++, i % 2 == 0 ? payload(rnd, 32) : null);
                    p.setBytes(k++, i % 10 == 0 ? payload(rnd, 1_024) : null);
                    p.setBytes(k++, payload(rnd, 16));
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
                    p.addBatch();
                    if (i % 2_000 == 1_999) p.executeBatch();
                }
                p.executeBatch();
            }
            c.commit();
        }
    }

    static byte[] payload(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }
}
