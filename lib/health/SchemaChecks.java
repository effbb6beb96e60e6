import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The database's tables and indexes: the largest, unused, duplicate and invalid indexes, tables without a primary key. */
final class SchemaChecks {
    private SchemaChecks() {}

    static List<Check> run(Connection connection, Thresholds thresholds) throws SQLException {
        List<Check> checks = new ArrayList<>();
        checks.add(largest(connection));
        checks.add(unusedIndexes(connection, thresholds));
        AppSchema app = AppSchema.of(connection);
        checks.add(duplicateIndexes(connection, app));
        checks.add(invalidIndexes(connection));
        checks.add(tablesWithoutPrimaryKey(connection, app));
        return checks;
    }

    private static Check largest(Connection connection) throws SQLException {
        List<String> details = new ArrayList<>(HealthQueries.rows(connection, """
            SELECT 'table ' || format('%%I.%%I', n.nspname, c.relname) || ': ' || pg_size_pretty(pg_total_relation_size(c.oid))
                   || ' with indexes and TOAST, ~' || greatest(c.reltuples, 0)::bigint || ' rows'
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'p') AND %s ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 5""".formatted(HealthQueries.USER_SCHEMAS),
            row -> row.getString(1)));
        details.addAll(HealthQueries.rows(connection, """
            SELECT 'index ' || format('%%I.%%I', n.nspname, c.relname) || ': ' || pg_size_pretty(pg_relation_size(c.oid))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'i' AND %s ORDER BY pg_relation_size(c.oid) DESC LIMIT 5""".formatted(HealthQueries.USER_SCHEMAS),
            row -> row.getString(1)));
        String size = HealthQueries.one(connection, "SELECT current_database() || ' is ' || pg_size_pretty(pg_database_size(current_database()))",
            row -> row.getString(1));
        return Check.ok(Check.Kind.LARGEST_RELATIONS, details.isEmpty() ? size + ", no tables" : size + "; largest " + details.get(0).replaceFirst(" with indexes.*", ""), details);
    }

    /** Never scanned since the statistics began, not backing a constraint (unique, primary key, exclusion): a cost on every write. */
    private static Check unusedIndexes(Connection connection, Thresholds thresholds) throws SQLException {
        List<String[]> unused = HealthQueries.rows(connection, """
            SELECT format('%I.%I', s.schemaname, s.indexrelname), format('%I.%I', s.schemaname, s.relname), pg_relation_size(s.indexrelid)
            FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
            WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = s.indexrelid)
              AND pg_relation_size(s.indexrelid) >= ?
            ORDER BY 3 DESC""", row -> new String[] {row.getString(1), row.getString(2), row.getString(3)}, thresholds.unusedIndexMinimumBytes());
        String since = HealthQueries.one(connection, """
            SELECT coalesce('since ' || to_char(stats_reset, 'YYYY-MM-DD HH24:MI'), 'since statistics began')
            FROM pg_stat_database WHERE datname = current_database()""", row -> row.getString(1));
        if (unused.isEmpty()) return Check.ok(Check.Kind.UNUSED_INDEXES, "none of " + Console.humanBytes(thresholds.unusedIndexMinimumBytes()) + " or more unscanned " + since);
        long bytes = unused.stream().mapToLong(u -> Long.parseLong(u[2])).sum();
        List<String> details = unused.stream().map(u -> u[0] + " on " + u[1] + ": " + Console.humanBytes(Long.parseLong(u[2]))).toList();
        return Check.of(Check.Kind.UNUSED_INDEXES, Check.Level.WARN, unused.size() + " index(es) never scanned " + since + ", " + Console.humanBytes(bytes)
                + " (counts are this server's: a replica's reads are not in them)",
            "If no replica or monthly report reads it: DROP INDEX CONCURRENTLY " + unused.get(0)[0], HealthQueries.firstFew(details, 5));
    }

    /** Same table, columns, operator classes, collations, expressions and predicate: one of them is enough. */
    private static Check duplicateIndexes(Connection connection, AppSchema app) throws SQLException {
        List<String[]> found = HealthQueries.rows(connection, """
            SELECT format('%%I.%%I', n.nspname, c.relname),
                   string_agg(format('%%I.%%I', n.nspname, ic.relname) || CASE WHEN i.indisprimary THEN ' (primary key)' WHEN i.indisunique THEN ' (unique)' ELSE '' END,
                              ', ' ORDER BY i.indisprimary DESC, i.indisunique DESC, ic.relname),
                   (array_agg(format('%%I.%%I', n.nspname, ic.relname) ORDER BY i.indisprimary, i.indisunique, EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid), ic.relname DESC))[1]
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.indisvalid AND %s
            GROUP BY n.nspname, c.relname, i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text,
                     coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
            HAVING count(*) > 1 ORDER BY 1""".formatted(HealthQueries.USER_SCHEMAS),
            row -> new String[] {row.getString(1), row.getString(2), row.getString(3)});
        List<String[]> groups = found.stream().filter(g -> !app.madeIndex(g[2])).toList();
        List<String> apps = found.stream().filter(g -> app.madeIndex(g[2])).map(g -> g[0] + ": " + g[1] + " (as migrations/ make them)").toList();
        if (groups.isEmpty()) return Check.ok(Check.Kind.DUPLICATE_INDEXES, apps.isEmpty() ? "none" : "none but the app's own, as migrations/ make them: " + apps.size(), apps);
        List<String> details = groups.stream().map(g -> g[0] + ": " + g[1]).toList();
        return Check.of(Check.Kind.DUPLICATE_INDEXES, Check.Level.WARN, groups.size() + " set(s) of identical indexes, e.g. on " + groups.get(0)[0],
            "Keep one (a constraint's, or one a partitioned index needs): DROP INDEX CONCURRENTLY " + groups.get(0)[2], HealthQueries.firstFew(details, 5));
    }

    /** An interrupted CREATE INDEX or REINDEX CONCURRENTLY leaves an invalid index: written to on every change, never read. */
    private static Check invalidIndexes(Connection connection) throws SQLException {
        List<String> invalid = HealthQueries.rows(connection, """
            SELECT format('%%I.%%I', n.nspname, ic.relname) || ' on ' || format('%%I.%%I', n.nspname, c.relname) || ', ' || pg_size_pretty(pg_relation_size(ic.oid))
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND %s ORDER BY 1""".formatted(HealthQueries.USER_SCHEMAS), row -> row.getString(1));
        if (invalid.isEmpty()) return Check.ok(Check.Kind.INVALID_INDEXES, "none");
        return Check.of(Check.Kind.INVALID_INDEXES, Check.Level.WARN, invalid.size() + " invalid index(es) (an interrupted CREATE INDEX or REINDEX CONCURRENTLY, "
                + "or one being built right now), e.g. " + invalid.get(0),
            "./jbang oxy maintain --reindex drops the leftovers of REINDEX CONCURRENTLY (_ccnew, _ccold) and rebuilds the others",
            HealthQueries.firstFew(invalid, 5));
    }

    /** Without a key, logical replication cannot carry UPDATE and DELETE unless the table replicates whole rows (REPLICA IDENTITY FULL). */
    private static Check tablesWithoutPrimaryKey(Connection connection, AppSchema app) throws SQLException {
        List<String[]> found = HealthQueries.rows(connection, """
            SELECT format('%%I.%%I', n.nspname, c.relname),
                   CASE c.relreplident WHEN 'f' THEN 'replica identity full' WHEN 'n' THEN 'replica identity nothing'
                        WHEN 'i' THEN 'replica identity index' ELSE 'no replica identity' END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND %s
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1""".formatted(HealthQueries.USER_SCHEMAS), row -> new String[] {row.getString(1), row.getString(2)});
        List<String[]> tables = found.stream().filter(t -> !app.madeTable(t[0])).toList();
        List<String> apps = found.stream().filter(t -> app.madeTable(t[0])).map(t -> t[0]).toList();
        if (tables.isEmpty()) {
            return Check.ok(Check.Kind.TABLES_WITHOUT_PRIMARY_KEY, apps.isEmpty() ? "every table has one"
                : "every table has one but the app's own " + String.join(", ", apps) + ", as migrations/ make it "
                    + "(upgrade --method replicate copies such a table with REPLICA IDENTITY FULL)");
        }
        List<String> details = tables.stream().map(t -> t[0] + " (" + t[1] + ")").toList();
        return Check.of(Check.Kind.TABLES_WITHOUT_PRIMARY_KEY, Check.Level.WARN, tables.size() + " table(s), e.g. " + tables.get(0)[0]
                + ": logical replication cannot carry their updates and deletes (upgrade --method replicate copies them with REPLICA IDENTITY FULL, slower)",
            "Give each a key: ALTER TABLE " + tables.get(0)[0] + " ADD PRIMARY KEY (<column>)", HealthQueries.firstFew(details, 5));
    }
}
