import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What `upgrade --method replicate` does in the two databases: a publication on the old one, a subscription
 * (and through it a replication slot) on the new one, every object named oxy_upgrade so that cleanup and
 * status find ours and nothing else. Sync slots PostgreSQL makes for the initial copy end in the new
 * server's system identifier (pg_&lt;sub&gt;_sync_&lt;rel&gt;_&lt;sysid&gt;), which the state file records.
 */
public final class LogicalReplication {
    /** The publication, the subscription and its slot all carry this name; status warns about slots starting with it. */
    public static final String NAME = "oxy_upgrade";
    /** The way back after the switch: publication and slot on the new server, subscription on the old one (status warns about it too). */
    public static final String BACK = "oxy_upgrade_back";

    private LogicalReplication() {}

    // --- pre-checks on the old database (read only) ---

    public static String walLevel(PostgresUrl old) { return SingleValue.text(old, "SHOW wal_level"); }

    /** Superuser or REPLICATION: what the walsender of a subscription needs. */
    public static boolean mayReplicate(PostgresUrl old) {
        return "t".equals(SingleValue.text(old, "SELECT rolsuper OR rolreplication OR " + memberOfAny("rds_replication")
            + " FROM pg_roles WHERE rolname = current_user"));
    }

    /** Whether the session's role is a member of one of these roles (those that exist): managed services grant replication through their own. */
    private static String memberOfAny(String... roles) {
        return "EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname IN ('" + String.join("', '", roles) + "') AND pg_has_role(current_user, r.oid, 'USAGE'))";
    }

    /** CREATE SUBSCRIPTION: superusers, from PostgreSQL 16 members of pg_create_subscription, and the managed services' admin roles. */
    public static boolean maySubscribe(PostgresUrl url) {
        return "t".equals(SingleValue.text(url, "SELECT rolsuper OR " + memberOfAny("pg_create_subscription", "rds_superuser", "cloudsqlsuperuser", "azure_pg_admin")
            + " FROM pg_roles WHERE rolname = current_user"));
    }

    /** ALTER SYSTEM SET wal_level: superusers only (a GRANT ALTER SYSTEM ON PARAMETER needs PostgreSQL 15 and is rare). */
    public static boolean maySetWalLevel(PostgresUrl old) {
        return "t".equals(SingleValue.text(old, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    }

    public static long largeObjects(PostgresUrl old) { return SingleValue.number(old, "SELECT count(*) FROM pg_largeobject_metadata"); }

    /**
     * Tables whose updates and deletes cannot be replicated: no primary key and no replica identity index,
     * or REPLICA IDENTITY NOTHING. "schema.table|d" (DEFAULT) or "|n" (NOTHING): what to restore afterwards.
     */
    public static List<String> tablesWithoutReplicaIdentity(PostgresUrl old) {
        return list(old, """
            SELECT format('%I.%I', n.nspname, c.relname) || '|' || CASE c.relreplident WHEN 'n' THEN 'n' ELSE 'd' END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
              AND (c.relreplident = 'n'
                OR c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
                OR c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))
            ORDER BY 1""");
    }

    public static String tableOf(String identityEntry) { return identityEntry.substring(0, identityEntry.lastIndexOf('|')); }

    // --- the old database (publisher) ---

    /** REPLICA IDENTITY FULL for the duration: updates and deletes of those tables then carry the whole old row. */
    public static void setReplicaIdentityFull(PostgresUrl old, List<String> entries) throws SQLException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            for (String entry : entries) statement.execute("ALTER TABLE " + tableOf(entry) + " REPLICA IDENTITY FULL");
        }
    }

    /** The publication of every user table as it is now (DDL is not replicated: the schema must not change meanwhile). */
    public static void createPublication(PostgresUrl old) throws SQLException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            if (exists(connection, "SELECT 1 FROM pg_publication WHERE pubname = '" + NAME + "'")) return;
            List<String> tables = RowCounts.tables(connection);
            statement.execute("CREATE PUBLICATION " + NAME + (tables.isEmpty() ? "" : " FOR TABLE " + String.join(", ", tables)));
        }
    }

    /**
     * Writes refused on the old database: every new session starts read-only, and the app's sessions are ended.
     * A database setting, so it holds for a role that is superuser too (the usual app role in docker).
     */
    public static void refuseWrites(PostgresUrl old) throws SQLException, InterruptedException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + Databases.quote(old.database()) + " SET default_transaction_read_only = on");
        }
        AppSessions.end(old);
    }

    public static void allowWrites(PostgresUrl old) throws SQLException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + Databases.quote(old.database()) + " RESET default_transaction_read_only");
        }
    }

    /** The old server's WAL position now: once the slot confirms it, the new database has every write. */
    public static String currentLsn(PostgresUrl old) { return SingleValue.text(old, "SELECT pg_current_wal_lsn()::text"); }

    /** Bytes of WAL the new server has not confirmed yet (-1: no slot of ours). */
    public static long lagBytes(PostgresUrl old) { return lagBytes(old, NAME); }

    private static long lagBytes(PostgresUrl publisher, String slot) {
        return SingleValue.number(publisher, "SELECT coalesce((SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
            + "FROM pg_replication_slots WHERE slot_name = '" + slot + "'), -1)");
    }

    /** Waits until the new server confirmed everything up to lsn (the lag drained); a real condition, polled. */
    public static void awaitConfirmed(PostgresUrl old, String lsn, Duration timeout) throws InterruptedException {
        awaitConfirmed(old, NAME, lsn, timeout, "the new server did not catch up with the old one");
    }

    /** After the switch, the other way: the old server confirmed everything the new one wrote up to lsn. */
    public static void awaitConfirmedBack(PostgresUrl newServer, String lsn, Duration timeout) throws InterruptedException {
        awaitConfirmed(newServer, BACK, lsn, timeout, "the old server did not catch up with the new one");
    }

    private static void awaitConfirmed(PostgresUrl publisher, String slot, String lsn, Duration timeout, String failure) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String sql = "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND confirmed_flush_lsn >= '" + lsn + "'::pg_lsn";
        while (SingleValue.number(publisher, sql) == 0) {
            if (System.nanoTime() > deadline) {
                throw new OxyError(ExitCode.FAILED, failure + " within " + timeout.toSeconds() + " s ("
                    + Console.humanBytes(Math.max(0, lagBytes(publisher, slot))) + " behind)", null);
            }
            Thread.sleep(20);
        }
    }

    /** Exact row counts of every table, read in one snapshot. */
    public static Map<String, Long> rowCounts(PostgresUrl url) throws SQLException {
        try (Connection connection = url.connect()) {
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET LOCAL jit = off"); // compiling count(*) costs more than it saves, in each parallel worker
            }
            Map<String, Long> counts = RowCounts.exact(connection);
            connection.commit();
            return counts;
        }
    }

    public static Map<String, Long> rowCountsOrUnavailable(PostgresUrl url) {
        try {
            return rowCounts(url);
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
    }

    /**
     * VACUUM (ANALYZE) of the new database once the copy is done, before the switch: the copied rows get their
     * hint bits (with data checksums, as 18 has by default, the first touch of a page writes all of it to WAL)
     * and the app's first queries get statistics. Otherwise the exact counts inside the downtime would do those writes.
     */
    public static void vacuumAnalyze(PostgresUrl target) throws SQLException {
        try (Connection connection = target.connect(); Statement statement = connection.createStatement()) {
            statement.execute("VACUUM (ANALYZE)");
        }
    }

    /** A checkpoint on each server before the switch (superuser or pg_checkpoint; skipped otherwise): the shutdowns of the swap then write little. */
    public static void checkpoint(PostgresUrl... servers) {
        for (PostgresUrl server : servers) {
            try (Connection connection = server.connect(); Statement statement = connection.createStatement()) {
                statement.execute("CHECKPOINT");
            } catch (SQLException notAllowed) {
                // only time is lost: the shutdown checkpoint writes the same buffers
            }
        }
    }

    /**
     * Removes from the old database what this upgrade made there, each part whether or not it is still there:
     * our slots (their walsenders ended first), the publication, the replica identities restored, writes allowed.
     * subscriberSystemId: the new server's, naming the initial copy's sync slots (null: none were made).
     */
    public static List<String> cleanOld(PostgresUrl old, String subscriberSystemId, List<String> identityEntries, boolean writesWereRefused)
        throws SQLException, InterruptedException {
        List<String> removed = new ArrayList<>();
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            dropSlots(statement, "slot_name = '" + NAME + "'" + (subscriberSystemId == null ? ""
                : " OR slot_name ~ '^pg_[0-9]+_sync_[0-9]+_" + subscriberSystemId.replaceAll("\\D", "") + "$'"), removed);
            dropPublication(connection, statement, NAME, removed);
            restoreIdentities(connection, statement, identityEntries, removed);
        }
        if (writesWereRefused) allowWrites(old);
        return removed;
    }

    /** Our slots matching the condition, dropped, each walsender that holds one ended first (it takes a moment to exit). */
    private static void dropSlots(Statement statement, String ours, List<String> removed) throws SQLException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            List<String> slots = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT slot_name, active_pid FROM pg_replication_slots WHERE " + ours)) {
                while (rows.next()) slots.add(rows.getString(1) + "|" + rows.getString(2));
            }
            if (slots.isEmpty()) return;
            boolean allDropped = true;
            for (String slot : slots) {
                String name = slot.substring(0, slot.indexOf('|'));
                String pid = slot.substring(slot.indexOf('|') + 1);
                if (!"null".equals(pid)) statement.execute("SELECT pg_terminate_backend(" + pid + ")");
                try (PreparedStatement drop = statement.getConnection().prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    drop.setString(1, name);
                    drop.execute();
                    removed.add("slot " + name);
                } catch (SQLException stillActive) { // its walsender had not exited yet
                    allDropped = false;
                    if (attempt >= 200) throw stillActive;
                }
            }
            if (allDropped) return;
            Thread.sleep(50);
        }
    }

    private static void dropPublication(Connection connection, Statement statement, String name, List<String> removed) throws SQLException {
        if (!exists(connection, "SELECT 1 FROM pg_publication WHERE pubname = '" + name + "'")) return;
        statement.execute("DROP PUBLICATION " + name);
        removed.add("publication " + name);
    }

    private static void restoreIdentities(Connection connection, Statement statement, List<String> identityEntries, List<String> removed) throws SQLException {
        for (String entry : identityEntries) {
            String table = tableOf(entry);
            if (!exists(connection, "SELECT 1 FROM pg_class WHERE oid = to_regclass('" + table.replace("'", "''") + "') AND relreplident = 'f'")) continue;
            statement.execute("ALTER TABLE " + table + " REPLICA IDENTITY " + (entry.endsWith("|n") ? "NOTHING" : "DEFAULT"));
            removed.add("replica identity FULL of " + table);
        }
    }

    // --- the new database (subscriber) ---

    public static String systemIdentifier(PostgresUrl url) { return SingleValue.text(url, "SELECT system_identifier::text FROM pg_control_system()"); }

    /**
     * The subscription: the initial copy of every published table, then the changes as they happen. The
     * connection string holds the old server's password (libpq has no other way in here); it lives in the new
     * server's catalog, readable by superusers only, until the subscription is dropped at the switch.
     */
    public static void createSubscription(PostgresUrl target, String hostAndPort, PostgresUrl old) throws SQLException {
        try (Connection connection = target.connect(); Statement statement = connection.createStatement()) {
            if (exists(connection, "SELECT 1 FROM pg_subscription WHERE subname = '" + NAME + "'")) return;
            keepStatementsOutOfServerLog(statement);
            statement.execute("CREATE SUBSCRIPTION " + NAME + " CONNECTION " + connectionString(hostAndPort, old, NAME) + " PUBLICATION " + NAME
                + " WITH (slot_name = '" + NAME + "')");
        }
    }

    /**
     * The subscription's commits flushed on the new server as they are applied (synchronous_commit = on; the
     * worker takes it without a restart). With the default off, the new server confirms a position only after its
     * WAL writer's next flush and its worker's next wake-up: most of a second of the drain inside the downtime.
     */
    public static void flushEachCommit(PostgresUrl target) throws SQLException {
        try (Connection connection = target.connect(); Statement statement = connection.createStatement()) {
            statement.execute("ALTER SUBSCRIPTION " + NAME + " SET (synchronous_commit = on)");
        }
    }

    /** Tables not copied yet (initial copy not finished), as "schema.table"; empty once every table is ready. */
    public static List<String> tablesStillCopying(PostgresUrl target) {
        return list(target, "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid "
            + "JOIN pg_class c ON c.oid = r.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE s.subname = '" + NAME + "' AND r.srsubstate <> 'r' ORDER BY 1");
    }

    /**
     * A copy that cannot go on (a row the new server refuses, the old server unreachable) shows as errors of the
     * subscription's workers, which retry for ever: said here, in the server log's place.
     */
    public static void requireNoErrors(PostgresUrl target) {
        long errors = SingleValue.number(target, "SELECT coalesce(sum(apply_error_count + sync_error_count), 0) FROM pg_stat_subscription_stats WHERE subname = '" + NAME + "'");
        if (errors > 0) {
            throw new OxyError(ExitCode.FAILED, "the new server's copy of the data failed " + errors + " time(s) (its log says why)",
                "What the upgrade made is removed and the old server runs on; fix the cause, or use --method dump.");
        }
    }

    /** Bytes of those tables on the old server: what the initial copy still has to move. */
    public static long bytesOf(PostgresUrl old, List<String> tables) {
        if (tables.isEmpty()) return 0;
        StringBuilder sum = new StringBuilder("SELECT coalesce(sum(pg_table_size(to_regclass(t))), 0) FROM unnest(ARRAY[");
        for (int i = 0; i < tables.size(); i++) sum.append(i == 0 ? "" : ",").append("'").append(tables.get(i).replace("'", "''")).append("'");
        return SingleValue.number(old, sum + "]::text[]) t");
    }

    /** Sequences on the new server set to the old server's values (logical replication does not carry them). */
    public static int copySequences(PostgresUrl old, PostgresUrl target) throws SQLException {
        Map<String, Long> values = new LinkedHashMap<>();
        try (Connection connection = old.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences WHERE last_value IS NOT NULL")) {
            while (rows.next()) values.put(rows.getString(1), rows.getLong(2));
        }
        try (Connection connection = writable(target); PreparedStatement set = connection.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
            for (var value : values.entrySet()) {
                set.setString(1, value.getKey());
                set.setLong(2, value.getValue());
                set.execute();
            }
        }
        return values.size();
    }

    /** The subscription disabled and dropped, with its slot on the old server when that answers (cleanOld drops it otherwise). */
    public static boolean dropSubscription(PostgresUrl target) throws SQLException {
        try (Connection connection = target.connect(); Statement statement = connection.createStatement()) {
            if (!exists(connection, "SELECT 1 FROM pg_subscription WHERE subname = '" + NAME + "'")) return false;
            statement.execute("ALTER SUBSCRIPTION " + NAME + " DISABLE");
            // the slot is dropped on the old server by cleanOld, which also ends its walsender; here only the catalog entry goes
            statement.execute("ALTER SUBSCRIPTION " + NAME + " SET (slot_name = NONE)");
            statement.execute("DROP SUBSCRIPTION " + NAME);
            return true;
        }
    }

    // --- the way back (after the switch: new -> old, until --finalize or --rollback) ---

    /**
     * On the new server before it takes writes: the tables without a key get REPLICA IDENTITY FULL there too, a
     * publication of every table and a slot, so the slot holds every write from the switch on, whenever the old
     * server subscribes. The new server needs wal_level=logical for the slot (set when it was made).
     */
    public static void prepareWayBack(PostgresUrl newServer, List<String> identityEntries) throws SQLException {
        try (Connection connection = writable(newServer); Statement statement = connection.createStatement()) {
            for (String entry : identityEntries) statement.execute("ALTER TABLE " + tableOf(entry) + " REPLICA IDENTITY FULL");
            if (!exists(connection, "SELECT 1 FROM pg_publication WHERE pubname = '" + BACK + "'")) {
                List<String> tables = RowCounts.tables(connection);
                statement.execute("CREATE PUBLICATION " + BACK + (tables.isEmpty() ? "" : " FOR TABLE " + String.join(", ", tables)));
            }
            if (!exists(connection, "SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + BACK + "'")) {
                statement.execute("SELECT pg_create_logical_replication_slot('" + BACK + "', 'pgoutput')");
            }
        }
    }

    /**
     * CREATE SUBSCRIPTION carries a password: this session's statements are kept out of the server's log (by
     * log_statement, by a slow statement's duration, and with an error), where the role may set that (superuser).
     */
    private static void keepStatementsOutOfServerLog(Statement statement) {
        try {
            statement.execute("SET log_statement = 'none'");
            statement.execute("SET log_min_duration_statement = -1");
            statement.execute("SET log_min_error_statement = 'panic'");
        } catch (SQLException notSuperuser) {
            // the server's own settings stand; by default they log no successful DDL
        }
    }

    /** A subscription's libpq connection string to the publishing server, as an SQL literal. */
    private static String connectionString(String hostAndPort, PostgresUrl publisher, String applicationName) {
        String conninfo = hostAndPort + " dbname=" + libpqValue(publisher.database()) + " user=" + libpqValue(publisher.user())
            + (publisher.password() == null ? "" : " password=" + libpqValue(publisher.password())) + " application_name=" + applicationName;
        return "'" + conninfo.replace("'", "''") + "'";
    }

    /** On the old server: the subscription to the new one's slot, with nothing copied (the old has all up to the switch). */
    public static void subscribeBack(PostgresUrl old, String newHostAndPort, PostgresUrl newServer) throws SQLException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            if (exists(connection, "SELECT 1 FROM pg_subscription WHERE subname = '" + BACK + "'")) return;
            keepStatementsOutOfServerLog(statement);
            statement.execute("CREATE SUBSCRIPTION " + BACK + " CONNECTION " + connectionString(newHostAndPort, newServer, BACK) + " PUBLICATION " + BACK
                + " WITH (copy_data = false, create_slot = false, slot_name = '" + BACK + "', synchronous_commit = on)");
        }
    }

    /** The old server's subscription back, dropped (its slot on the new server goes with removeWayBack). */
    public static boolean dropSubscriptionBack(PostgresUrl old) throws SQLException {
        try (Connection connection = writable(old); Statement statement = connection.createStatement()) {
            if (!exists(connection, "SELECT 1 FROM pg_subscription WHERE subname = '" + BACK + "'")) return false;
            statement.execute("ALTER SUBSCRIPTION " + BACK + " DISABLE");
            statement.execute("ALTER SUBSCRIPTION " + BACK + " SET (slot_name = NONE)");
            statement.execute("DROP SUBSCRIPTION " + BACK);
            return true;
        }
    }

    /** The new server's side of the way back removed: its slot (walsender ended first), the publication, the replica identities restored. */
    public static List<String> removeWayBack(PostgresUrl newServer, List<String> identityEntries) throws SQLException, InterruptedException {
        List<String> removed = new ArrayList<>();
        try (Connection connection = writable(newServer); Statement statement = connection.createStatement()) {
            dropSlots(statement, "slot_name = '" + BACK + "'", removed);
            dropPublication(connection, statement, BACK, removed);
            restoreIdentities(connection, statement, identityEntries, removed);
        }
        return removed;
    }

    /** Exact counts of both servers at once (each in one snapshot): the rollback's check, as the switch's. */
    public static void requireSameCounts(PostgresUrl from, PostgresUrl to, String what, String hint) throws SQLException {
        var fromCounted = java.util.concurrent.CompletableFuture.supplyAsync(() -> rowCountsOrUnavailable(from));
        Map<String, Long> counted = rowCounts(to);
        RowCounts.requireMatching(Cli.join(fromCounted), counted, what, hint);
    }

    // --- status ---

    /** Slots of ours on this server and the WAL each keeps ("oxy_upgrade: 1.2 GB retained, inactive"). */
    public static List<String> slotsRetainingWal(Connection connection) throws SQLException {
        List<String> slots = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT slot_name, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint, active "
                 + "FROM pg_replication_slots WHERE slot_name LIKE '" + NAME + "%' ORDER BY 1")) {
            while (rows.next()) {
                slots.add(rows.getString(1) + ": " + Console.humanBytes(rows.getLong(2)) + " of WAL retained, " + (rows.getBoolean(3) ? "active" : "inactive"));
            }
        }
        return slots;
    }

    // --- helpers ---

    /** A session that may write even while writes are refused on the database (refuseWrites): ours alone. */
    private static Connection writable(PostgresUrl url) throws SQLException {
        Connection connection = url.connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET default_transaction_read_only = off");
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    private static boolean exists(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            return rows.next();
        }
    }

    private static List<String> list(PostgresUrl url, String sql) {
        List<String> values = new ArrayList<>();
        try (Connection connection = url.connect(); Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) values.add(rows.getString(1));
        } catch (SQLException e) {
            throw url.unavailable(e);
        }
        return values;
    }

    /** A libpq connection-string value, quoted. */
    private static String libpqValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
