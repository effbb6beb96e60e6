import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The server as a whole: cache hit ratio, replication slots and the WAL they keep, data checksums. */
final class ServerChecks {
    private ServerChecks() {}

    /** Fewer block accesses than this since the statistics began say nothing about the cache (a fresh server). */
    private static final long ACCESSES_TO_JUDGE = 10_000;

    static List<Check> run(Connection connection, Thresholds thresholds, Visibility visibility) throws SQLException {
        List<Check> checks = new ArrayList<>();
        checks.add(cacheHitRatio(connection, thresholds));
        checks.add(replicationSlots(connection, thresholds, visibility));
        return checks;
    }

    private static Check cacheHitRatio(Connection connection, Thresholds thresholds) throws SQLException {
        long[] blocks = HealthQueries.one(connection, """
            SELECT coalesce((SELECT sum(heap_blks_hit) + sum(coalesce(toast_blks_hit, 0)) FROM pg_statio_user_tables), 0)::bigint,
                   coalesce((SELECT sum(heap_blks_read) + sum(coalesce(toast_blks_read, 0)) FROM pg_statio_user_tables), 0)::bigint,
                   coalesce((SELECT sum(idx_blks_hit) FROM pg_statio_user_indexes), 0)::bigint,
                   coalesce((SELECT sum(idx_blks_read) FROM pg_statio_user_indexes), 0)::bigint""",
            row -> new long[] {row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4)});
        long hits = blocks[0] + blocks[2];
        long accesses = hits + blocks[1] + blocks[3];
        if (accesses < ACCESSES_TO_JUDGE) return Check.ok(Check.Kind.CACHE_HIT_RATIO, "too few block reads yet to judge (" + accesses + ")");
        double percent = 100.0 * hits / accesses;
        List<String> details = List.of(
            "tables " + ratio(blocks[0], blocks[1]) + ", indexes " + ratio(blocks[2], blocks[3]) + " (of " + accesses + " block accesses since statistics began)");
        Check.Level level = percent < thresholds.cacheHitWarnPercent() ? Check.Level.WARN : Check.Level.OK;
        return Check.of(Check.Kind.CACHE_HIT_RATIO, level, HealthQueries.percent(percent) + " of reads served from shared_buffers",
            "The working set does not fit shared_buffers (" + HealthQueries.one(connection, "SELECT current_setting('shared_buffers')", r -> r.getString(1))
                + "): raise it (about a quarter of RAM) or find the scans that read the most (pg_stat_statements)", details);
    }

    private static String ratio(long hits, long reads) {
        return hits + reads == 0 ? "n/a" : HealthQueries.percent(100.0 * hits / (hits + reads));
    }

    record Slot(String name, String type, String database, boolean active, long retainedBytes, String walStatus) {}

    /** A slot nobody reads keeps every WAL segment from its position on: the disk fills until the server stops. */
    private static Check replicationSlots(Connection connection, Thresholds thresholds, Visibility visibility) throws SQLException {
        String walStatus = visibility.serverVersionNumber() >= 130000 ? "wal_status" : "NULL";
        List<Slot> slots = HealthQueries.rows(connection, """
            SELECT slot_name, slot_type, coalesce(database, ''), active,
                   coalesce(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, restart_lsn), 0)::bigint,
                   %s FROM pg_replication_slots ORDER BY 5 DESC""".formatted(walStatus),
            row -> new Slot(row.getString(1), row.getString(2), row.getString(3), row.getBoolean(4), row.getLong(5), row.getString(6)));
        if (slots.isEmpty()) return Check.ok(Check.Kind.REPLICATION_SLOTS, "none");
        List<String> details = slots.stream().map(s -> s.name() + " (" + s.type() + (s.database().isEmpty() ? "" : ", database " + s.database()) + "): "
            + (s.active() ? "active" : "inactive") + ", keeps " + Console.humanBytes(s.retainedBytes()) + " of WAL"
            + (s.walStatus() == null ? "" : ", wal_status " + s.walStatus())).toList();
        List<Slot> inactive = slots.stream().filter(s -> !s.active()).toList();
        boolean critical = slots.stream().anyMatch(s -> s.retainedBytes() >= thresholds.slotWalCriticalBytes() || "lost".equals(s.walStatus()) || "unreserved".equals(s.walStatus()));
        long retained = slots.stream().mapToLong(Slot::retainedBytes).max().orElse(0);
        if (inactive.isEmpty() && !critical) return Check.ok(Check.Kind.REPLICATION_SLOTS, slots.size() + " active, keeping at most " + Console.humanBytes(retained) + " of WAL", details);
        Slot worst = inactive.isEmpty() ? slots.get(0) : inactive.get(0);
        String advice = worst.name().startsWith(LogicalReplication.NAME)
            ? "A slot of an unfinished upgrade --method replicate: ./jbang oxy upgrade --finalize (or --rollback) removes it"
            : "If nothing will read it again (a forgotten replica, archiver or upgrade): SELECT pg_drop_replication_slot('" + worst.name() + "')";
        return Check.of(Check.Kind.REPLICATION_SLOTS, critical ? Check.Level.CRIT : Check.Level.WARN,
            inactive.size() + " inactive slot(s); " + worst.name() + " keeps " + Console.humanBytes(worst.retainedBytes()) + " of WAL", advice, details);
    }

    /** Checksums catch a disk or controller that returns wrong bytes; without them such damage is read as data. */
    static Check dataChecksums(Connection connection, Visibility visibility) throws SQLException {
        String setting = HealthQueries.one(connection, "SELECT current_setting('data_checksums')", row -> row.getString(1));
        long failures = visibility.serverVersionNumber() >= 120000
            ? HealthQueries.one(connection, "SELECT coalesce(sum(checksum_failures), 0)::bigint FROM pg_stat_database", row -> row.getLong(1)) : 0;
        if (failures > 0) {
            return Check.of(Check.Kind.DATA_CHECKSUMS, Check.Level.CRIT, setting + ", and " + failures + " checksum failure(s) seen: data on disk is damaged",
                "Find them in the server log (\"invalid page\"), check the disk, restore the damaged tables from a backup: ./jbang oxy restore", List.of());
        }
        if ("on".equals(setting)) return Check.ok(Check.Kind.DATA_CHECKSUMS, "on, no failures seen");
        return Check.of(Check.Kind.DATA_CHECKSUMS, Check.Level.WARN, "off: damage on disk would be read as data",
            "Turn them on with the server stopped: pg_checksums --enable -D <data directory> (PostgreSQL 12+), or initdb --data-checksums for a new cluster (the default from 18)",
            List.of());
    }
}
