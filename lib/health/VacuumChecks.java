import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What vacuum is for: transaction-ID age against wraparound, stale statistics on the largest tables, dead tuples,
 * and the space updates and deletes left behind (bloat). Bloat is the statistical estimate check_postgres and
 * PgHero use (expected pages from pg_stats' column widths and pg_class.reltuples), not a scan: it reads no table.
 */
final class VacuumChecks {
    private VacuumChecks() {}

    /** The largest tables doctor shows the last vacuum and analyze of. */
    private static final int LARGEST = 10;

    record TableStats(String name, long bytes, long live, long dead, long modifiedSinceAnalyze, Timestamp lastVacuum, Timestamp lastAnalyze,
                      double reltuples, boolean autovacuumOff) {}

    static List<Check> run(Connection connection, Thresholds thresholds) throws SQLException {
        List<Check> checks = new ArrayList<>();
        checks.add(wraparound(connection, thresholds));
        List<TableStats> tables = HealthQueries.rows(connection, """
            SELECT format('%I.%I', s.schemaname, s.relname), pg_table_size(s.relid), s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze,
                   greatest(s.last_vacuum, s.last_autovacuum), greatest(s.last_analyze, s.last_autoanalyze), c.reltuples,
                   coalesce(c.reloptions::text[] && ARRAY['autovacuum_enabled=false', 'autovacuum_enabled=off'], false)
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE s.schemaname !~ '^pg_(toast|temp)' ORDER BY 2 DESC""",
            row -> new TableStats(row.getString(1), row.getLong(2), row.getLong(3), row.getLong(4), row.getLong(5), row.getTimestamp(6),
                row.getTimestamp(7), row.getDouble(8), row.getBoolean(9)));
        boolean autovacuum = "on".equals(HealthQueries.one(connection, "SELECT current_setting('autovacuum')", row -> row.getString(1)));
        checks.add(vacuumAnalyze(tables, autovacuum));
        checks.add(deadTuples(tables, thresholds));
        checks.add(tableBloat(connection, thresholds));
        checks.add(indexBloat(connection, thresholds));
        return checks;
    }

    private static Check wraparound(Connection connection, Thresholds thresholds) throws SQLException {
        List<String[]> databases = HealthQueries.rows(connection, "SELECT datname, age(datfrozenxid)::text FROM pg_database ORDER BY age(datfrozenxid) DESC",
            row -> new String[] {row.getString(1), row.getString(2)});
        List<String> tables = HealthQueries.rows(connection, """
            SELECT format('%I.%I', n.nspname, c.relname) || ' ' || age(c.relfrozenxid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 't') ORDER BY age(c.relfrozenxid) DESC LIMIT 3""", row -> row.getString(1));
        long oldest = Long.parseLong(databases.get(0)[1]);
        double percent = 100.0 * oldest / Thresholds.WRAPAROUND_HORIZON;
        Check.Level level = percent >= thresholds.wraparoundCriticalPercent() ? Check.Level.CRIT
            : percent >= thresholds.wraparoundWarnPercent() ? Check.Level.WARN : Check.Level.OK;
        List<String> details = new ArrayList<>();
        databases.stream().limit(5).forEach(d -> details.add("database " + d[0] + ": " + String.format(java.util.Locale.ROOT, "%,d", Long.parseLong(d[1])) + " XIDs"));
        details.add("oldest tables here: " + String.join(", ", tables));
        return Check.of(Check.Kind.WRAPAROUND, level, String.format(java.util.Locale.ROOT, "oldest database %s at %,d XIDs, %s of the way to wraparound",
                databases.get(0)[0], oldest, HealthQueries.percent(percent)),
            "Autovacuum is not freezing fast enough (a long transaction or a forgotten slot holds it back?): ./jbang oxy maintain --vacuum in database "
                + databases.get(0)[0] + " (VACUUM (FREEZE) if it keeps climbing)", details);
    }

    /** Statistics are stale when rows changed by twice what autovacuum's default would analyze after (50 + 10 %). */
    private static Check vacuumAnalyze(List<TableStats> tables, boolean autovacuum) {
        List<TableStats> largest = tables.stream().limit(LARGEST).toList();
        if (largest.isEmpty()) return Check.ok(Check.Kind.VACUUM_ANALYZE, "no tables yet");
        List<String> details = largest.stream().map(t -> t.name() + " (" + Console.humanBytes(t.bytes()) + "): vacuumed " + ago(t.lastVacuum())
            + ", analyzed " + ago(t.lastAnalyze()) + ", " + t.modifiedSinceAnalyze() + " rows changed since" + (t.autovacuumOff() ? ", autovacuum off for it" : "")).toList();
        List<TableStats> stale = largest.stream().filter(t -> t.modifiedSinceAnalyze() > 2 * (50 + 0.1 * Math.max(t.reltuples(), 0))).toList();
        if (!autovacuum) {
            return Check.of(Check.Kind.VACUUM_ANALYZE, Check.Level.WARN, "autovacuum is off for the whole server",
                "Turn it on (ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf()), or run ./jbang oxy maintain --vacuum on a schedule", details);
        }
        if (stale.isEmpty()) return Check.ok(Check.Kind.VACUUM_ANALYZE, "statistics current on the " + largest.size() + " largest tables", details);
        return Check.of(Check.Kind.VACUUM_ANALYZE, Check.Level.WARN, stale.size() + " of the largest tables have stale statistics, e.g. " + stale.get(0).name()
                + " (" + stale.get(0).modifiedSinceAnalyze() + " rows changed since " + (stale.get(0).lastAnalyze() == null ? "it was loaded; never analyzed" : "it was analyzed " + ago(stale.get(0).lastAnalyze())) + ")",
            "./jbang oxy maintain --vacuum " + stale.get(0).name(), details);
    }

    private static Check deadTuples(List<TableStats> tables, Thresholds thresholds) {
        List<TableStats> dead = tables.stream()
            .filter(t -> t.dead() >= 1000 && 100.0 * t.dead() / (t.live() + t.dead()) >= thresholds.deadTuplesWarnPercent())
            .sorted(Comparator.comparingLong(TableStats::dead).reversed()).toList();
        long total = tables.stream().mapToLong(TableStats::dead).sum();
        if (dead.isEmpty()) {
            return Check.ok(Check.Kind.DEAD_TUPLES, "no table over " + HealthQueries.percent(thresholds.deadTuplesWarnPercent()) + " dead rows (" + total + " dead in all)");
        }
        List<String> details = dead.stream().map(t -> t.name() + ": " + t.dead() + " dead of " + (t.live() + t.dead()) + " rows ("
            + HealthQueries.percent(100.0 * t.dead() / (t.live() + t.dead())) + "), vacuumed " + ago(t.lastVacuum()) + (t.autovacuumOff() ? ", autovacuum off for it" : "")).toList();
        TableStats worst = dead.get(0);
        return Check.of(Check.Kind.DEAD_TUPLES, Check.Level.WARN, dead.size() + " table(s) over " + HealthQueries.percent(thresholds.deadTuplesWarnPercent())
                + " dead rows, the most in " + worst.name() + " (" + HealthQueries.percent(100.0 * worst.dead() / (worst.live() + worst.dead())) + ")",
            "./jbang oxy maintain --vacuum " + worst.name(), HealthQueries.firstFew(details, 5));
    }

    record Bloat(String name, long pages, long expectedPages, boolean complete) {
        long bytes(long blockSize) { return Math.max(0, pages - expectedPages) * blockSize; }
        double percent() { return pages == 0 ? 0 : 100.0 * Math.max(0, pages - expectedPages) / pages; }
    }

    /**
     * Expected heap pages: reltuples rows of a 24-byte header (23 and alignment) plus the columns' average widths
     * (pg_stats, weighted by their null fraction, aligned to 8), plus a 4-byte line pointer each, on pages of
     * block_size less the 24-byte page header, filled to the table's fillfactor.
     */
    private static Check tableBloat(Connection connection, Thresholds thresholds) throws SQLException {
        List<Bloat> estimates = HealthQueries.rows(connection, """
            WITH tables AS (
              SELECT c.oid, n.nspname, c.relname, c.relpages, c.reltuples,
                     coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 100) AS fillfactor
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'm') AND c.reltuples >= 0 AND c.relpages > 0 AND %s
            ), widths AS (
              SELECT t.oid, count(*) AS columns, count(s.attname) AS with_stats,
                     sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS data_width
              FROM tables t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
              LEFT JOIN pg_stats s ON s.schemaname = t.nspname AND s.tablename = t.relname AND s.attname = a.attname
              GROUP BY t.oid
            )
            SELECT format('%%I.%%I', t.nspname, t.relname), t.relpages::bigint,
                   ceil(t.reltuples * (24 + ceil(w.data_width / 8) * 8 + 4) / ((current_setting('block_size')::int - 24) * t.fillfactor / 100.0))::bigint,
                   w.columns = w.with_stats
            FROM tables t JOIN widths w ON w.oid = t.oid""".formatted(HealthQueries.USER_SCHEMAS),
            row -> new Bloat(row.getString(1), row.getLong(2), row.getLong(3), row.getBoolean(4)));
        return bloatCheck(Check.Kind.TABLE_BLOAT, estimates, connection, thresholds, "tables",
            "VACUUM makes the space reusable but does not return it; VACUUM FULL (locks the table) or pg_repack returns it: VACUUM FULL %s");
    }

    /**
     * The same for B-tree indexes on plain columns: an 8-byte index tuple header plus the columns' widths aligned
     * to 8, a 4-byte line pointer, pages less the page header and B-tree's 16-byte special space, at fillfactor (90).
     */
    private static Check indexBloat(Connection connection, Thresholds thresholds) throws SQLException {
        List<Bloat> estimates = HealthQueries.rows(connection, """
            SELECT format('%%I.%%I', n.nspname, ic.relname), ic.relpages::bigint,
                   (1 + ceil(ic.reltuples * (8 + ceil(cols.width / 8) * 8 + 4)
                     / ((current_setting('block_size')::int - 40) * coalesce((SELECT option_value::int FROM pg_options_to_table(ic.reloptions)
                                                                              WHERE option_name = 'fillfactor'), 90) / 100.0)))::bigint,
                   cols.columns = cols.with_stats
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = tc.relnamespace JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
            CROSS JOIN LATERAL (
              SELECT count(*) AS columns, count(s.attname) AS with_stats, coalesce(sum(s.avg_width), 0) AS width
              FROM unnest(i.indkey::int2[]) AS k(attnum)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = tc.relname AND s.attname = a.attname) cols
            WHERE i.indexprs IS NULL AND i.indisvalid AND ic.reltuples >= 0 AND ic.relpages > 1 AND %s""".formatted(HealthQueries.USER_SCHEMAS),
            row -> new Bloat(row.getString(1), row.getLong(2), row.getLong(3), row.getBoolean(4)));
        return bloatCheck(Check.Kind.INDEX_BLOAT, estimates, connection, thresholds, "B-tree indexes",
            "Rebuild it without blocking writes: ./jbang oxy maintain --reindex %s");
    }

    private static Check bloatCheck(Check.Kind kind, List<Bloat> estimates, Connection connection, Thresholds thresholds, String what, String adviceFormat)
        throws SQLException {
        long blockSize = HealthQueries.one(connection, "SELECT current_setting('block_size')::bigint", row -> row.getLong(1));
        List<Bloat> judged = estimates.stream().filter(Bloat::complete).toList();
        long unjudged = estimates.size() - judged.size();
        List<Bloat> bloated = judged.stream()
            .filter(b -> b.percent() >= thresholds.bloatWarnPercent() && b.bytes(blockSize) >= thresholds.bloatMinimumBytes())
            .sorted(Comparator.comparingLong((Bloat b) -> b.bytes(blockSize)).reversed()).toList();
        long wasted = judged.stream().mapToLong(b -> b.bytes(blockSize)).sum();
        String note = unjudged == 0 ? "" : "; " + unjudged + " not judged (never analyzed, or columns we may not read)";
        if (bloated.isEmpty()) {
            return Check.ok(kind, "about " + Console.humanBytes(wasted) + " reclaimable across " + judged.size() + " " + what + ", none over "
                + HealthQueries.percent(thresholds.bloatWarnPercent()) + note);
        }
        List<String> details = bloated.stream().map(b -> b.name() + ": ~" + Console.humanBytes(b.bytes(blockSize)) + " of "
            + Console.humanBytes(b.pages() * blockSize) + " (" + HealthQueries.percent(b.percent()) + ")").toList();
        return Check.of(kind, Check.Level.WARN, bloated.size() + " of " + what + " over " + HealthQueries.percent(thresholds.bloatWarnPercent())
                + " bloat, the most in " + bloated.get(0).name() + " (~" + Console.humanBytes(bloated.get(0).bytes(blockSize)) + ")" + note,
            String.format(adviceFormat, bloated.get(0).name()), HealthQueries.firstFew(details, 5));
    }

    private static String ago(Timestamp when) {
        if (when == null) return "never";
        double seconds = (System.currentTimeMillis() - when.getTime()) / 1000.0;
        return HealthQueries.duration(Math.max(0, seconds)) + " ago";
    }
}
