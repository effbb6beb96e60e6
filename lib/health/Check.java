import java.util.List;

/**
 * One finding of doctor: which check, how it stands, the figure it measured, and (when not OK) the one
 * command or step that helps. details: the rows behind the figure (who holds the connections, which tables).
 */
public record Check(Kind kind, Level level, String figure, String advice, List<String> details) {

    /** How a check stands; the worst WARN or CRIT decides doctor's exit code, UNKNOWN never does. */
    public enum Level {
        OK("\u2713"), WARN("!"), CRIT("\u2717"), UNKNOWN("?");

        private final String mark;

        Level(String mark) { this.mark = mark; }

        public String mark() { return mark; }

        /** The number the metrics file carries: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN (Nagios' order). */
        public int number() { return ordinal(); }
    }

    /** Every check doctor makes, in the order it prints them; key: the stable name in --json and the metrics. */
    public enum Kind {
        CONNECTIONS("connections", "Connections"),
        LONG_QUERIES("long_queries", "Long-running queries"),
        LONG_TRANSACTIONS("long_transactions", "Long transactions"),
        IDLE_IN_TRANSACTION("idle_in_transaction", "Idle in transaction"),
        BLOCKED_SESSIONS("blocked_sessions", "Blocked sessions"),
        WRAPAROUND("wraparound", "Transaction-ID age"),
        VACUUM_ANALYZE("vacuum_analyze", "Vacuum and analyze"),
        DEAD_TUPLES("dead_tuples", "Dead tuples"),
        TABLE_BLOAT("table_bloat", "Table bloat (estimate)"),
        INDEX_BLOAT("index_bloat", "Index bloat (estimate)"),
        LARGEST_RELATIONS("largest_relations", "Largest tables and indexes"),
        UNUSED_INDEXES("unused_indexes", "Unused indexes"),
        DUPLICATE_INDEXES("duplicate_indexes", "Duplicate indexes"),
        INVALID_INDEXES("invalid_indexes", "Invalid indexes"),
        TABLES_WITHOUT_PRIMARY_KEY("tables_without_primary_key", "Tables without a primary key"),
        CACHE_HIT_RATIO("cache_hit_ratio", "Cache hit ratio"),
        REPLICATION_SLOTS("replication_slots", "Replication slots"),
        DISK_FREE("disk_free", "Free disk space"),
        BACKUP("backup", "Newest backup"),
        DATA_CHECKSUMS("data_checksums", "Data checksums");

        private final String key;
        private final String title;

        Kind(String key, String title) {
            this.key = key;
            this.title = title;
        }

        public String key() { return key; }
        public String title() { return title; }
    }

    public static Check ok(Kind kind, String figure, List<String> details) { return new Check(kind, Level.OK, figure, null, details); }
    public static Check ok(Kind kind, String figure) { return ok(kind, figure, List.of()); }
    public static Check unknown(Kind kind, String reason) { return new Check(kind, Level.UNKNOWN, reason, null, List.of()); }

    /** WARN or CRIT, whichever the figure reached; the advice is the command that helps. */
    public static Check of(Kind kind, Level level, String figure, String advice, List<String> details) {
        return new Check(kind, level, figure, level == Level.OK ? null : advice, details);
    }
}
