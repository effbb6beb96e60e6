import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** One SQLite table and the PostgreSQL table it loads into, with the columns both have, in source order. */
public record TablePlan(SqliteSchema.Table source, TargetSchema.Table target, List<String> columns) {
    /** Migration ledgers: each side keeps its own, so they are never planned. */
    public static final Set<String> LEDGERS = Set.of("seaql_migrations", "flyway_schema_history");

    public String name() { return target.name(); }

    /** The target's columns that are loaded, in the order of columns(). */
    public List<TargetSchema.Column> targetColumns() { return columns.stream().map(name -> target.columns().get(name)).toList(); }

    /** Parents before children, from the target's foreign keys; a cycle is loaded in name order with deferred constraints. */
    public static List<TablePlan> inForeignKeyOrder(List<TablePlan> tables, Console console) {
        Map<String, TablePlan> remaining = new TreeMap<>();
        tables.forEach(table -> remaining.put(table.name(), table));
        List<TablePlan> ordered = new ArrayList<>();
        while (!remaining.isEmpty()) {
            TablePlan next = remaining.values().stream()
                .filter(table -> table.target().parents().stream().noneMatch(parent -> !parent.equals(table.name()) && remaining.containsKey(parent)))
                .findFirst().orElse(null);
            if (next == null) {
                console.warn("foreign keys form a cycle among " + remaining.keySet() + "; loading them in name order (their constraints must be DEFERRABLE)");
                ordered.addAll(remaining.values());
                break;
            }
            ordered.add(next);
            remaining.remove(next.name());
        }
        return ordered;
    }
}
