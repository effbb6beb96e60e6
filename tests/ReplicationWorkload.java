import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the --method replicate tests of every runtime share: the app that writes through the copy and the switch,
 * the checksums compared on both sides, and the points a run is seen to reach (our slot made, writes refused).
 */
final class ReplicationWorkload {
    private ReplicationWorkload() {}

    /** An app: one row at a time into events (no primary key) and an update of an older row, ids counted once acknowledged; stops at its first error. */
    static final class Writer extends Thread {
        final AtomicLong acknowledged = new AtomicLong();
        private final int port;
        volatile String stoppedBy;

        Writer(int port) { this.port = port; }

        @Override
        public void run() {
            try (Connection connection = OxyCli.connectLocal(port, "oxy"); Statement statement = connection.createStatement()) {
                for (long id = 1_000_001; ; id++) {
                    statement.execute("INSERT INTO events VALUES (" + id + ", 'during')");
                    statement.execute("UPDATE events SET note = 'updated' WHERE id = " + (id - 1_000_000)); // rows of before the upgrade
                    acknowledged.set(id - 1_000_000);
                }
            } catch (SQLException e) {
                stoppedBy = e.getMessage();
            }
        }
    }

    /**
     * A replicate upgrade waited out while the app and pgbench write: asserts it exited 0, that the app wrote during the
     * copy and had its session ended by the switch, and that pgbench ran to its end; the upgrade's output.
     */
    static OxyCli.Result finishWhileWriting(Process upgrade, Writer app, Process pgbench) throws Exception {
        OxyCli.awaitOutput(upgrade, "Copying while the app writes", Duration.ofMinutes(3));
        long atCopy = app.acknowledged.get();
        OxyCli.awaitOutput(upgrade, "Switchover:", Duration.ofMinutes(3));
        long atSwitch = app.acknowledged.get();
        OxyCli.Result upgraded = OxyCli.finish(upgrade, Duration.ofMinutes(3));
        assertEquals(0, upgraded.exitCode(), upgraded.toString());
        app.join(30_000);
        String pgbenchOutput = new String(pgbench.getInputStream().readAllBytes());
        pgbench.waitFor();
        assertTrue(atSwitch > atCopy, "the app wrote during the copy: " + atCopy + " then " + atSwitch);
        assertTrue(app.stoppedBy != null, "the switch ended the app's session");
        assertTrue(pgbenchOutput.contains("number of transactions actually processed"), pgbenchOutput);
        return upgraded;
    }

    /** The app's writes on the new server after the switch: inserts, updates and deletes in events (no key), and the sequence. */
    static void appWritesAfterTheSwitch(Connection connection) throws SQLException {
        OxyCli.execute(connection, "INSERT INTO events SELECT g, 'after the switch' FROM generate_series(2000001, 2000500) g");
        OxyCli.execute(connection, "UPDATE events SET note = 'updated after the switch' WHERE id <= 300");
        OxyCli.execute(connection, "DELETE FROM events WHERE id BETWEEN 301 AND 350");
        OxyCli.execute(connection, "INSERT INTO tickets (n) SELECT g FROM generate_series(1, 50) g");
    }

    /** Every table's row count and checksum of its rows, as "count:md5". */
    static Map<String, String> checksums(Connection connection) throws SQLException {
        Map<String, String> sums = new TreeMap<>();
        for (String table : RowCounts.tables(connection)) {
            sums.put(table, OxyCli.queryString(connection, "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM " + table + " t"));
        }
        return sums;
    }

    /** The run's slot oxy_upgrade exists on the server (false while it restarts): the copy has begun. */
    static boolean hasOurSlot(Callable<Connection> server) {
        try (Connection connection = server.call()) {
            return OxyCli.queryLong(connection, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'oxy_upgrade'") > 0;
        } catch (Exception restarting) {
            return false;
        }
    }

    /** Writes are refused on the server's database oxy (false while it restarts): the switch has begun. */
    static boolean writesRefused(Callable<Connection> server) {
        try (Connection connection = server.call()) {
            return OxyCli.queryLong(connection, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                + "WHERE d.datname = 'oxy' AND array_to_string(s.setconfig, ',') LIKE '%default_transaction_read_only=on%'") > 0;
        } catch (Exception switching) {
            return false;
        }
    }
}
