/**
 * The app's sessions on the database an upgrade or a move takes from: refused or ended before the final
 * backup, and its writes counted, so a backup that missed some is never switched to.
 */
public final class AppSessions {
    private AppSessions() {}

    /** Every client session on the database but this one. */
    private static final String APP_SESSIONS = "FROM pg_stat_activity WHERE datname = current_database() "
        + "AND pid <> pg_backend_pid() AND backend_type = 'client backend'";

    /** None connected, or --yes (endWhenBackupStarts): then they are ended when the final backup starts. */
    public static void checkNoneConnected(PostgresUrl url, boolean endWhenBackupStarts, Console console) {
        long connected = SingleValue.number(url, "SELECT count(*) " + APP_SESSIONS);
        if (connected == 0) return;
        if (!endWhenBackupStarts) {
            throw new OxyError(ExitCode.REFUSED, connected + " session(s) of the app are connected to " + url.database(),
                "Stop the app first, or pass --yes to end its sessions when the upgrade starts; nothing was changed.");
        }
        console.warn(connected + " app session(s) connected: they are ended when the final backup starts (--yes)");
    }

    /**
     * Ends the app's sessions and waits until those are gone: a session's row counters reach the statistics
     * only when it ends, and writesSoFar must see them.
     */
    public static void end(PostgresUrl url) throws InterruptedException {
        // MATERIALIZED: the sessions are chosen first, so this one is never among those terminated
        String ended = SingleValue.text(url, "WITH app AS MATERIALIZED (SELECT pid " + APP_SESSIONS + ") "
            + "SELECT coalesce(string_agg(pid::text, ','), '') FROM app WHERE pg_terminate_backend(pid)");
        if (ended.isEmpty()) return;
        // waited for here, not by pg_terminate_backend's timeout: that needs PostgreSQL 14, and an upgrade's source may be older
        // polled often: in upgrade --method replicate this wait is inside the downtime
        for (int wait = 0; wait < 1000 && SingleValue.number(url, "SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + ended + ")") > 0; wait++) {
            Thread.sleep(10);
        }
    }

    /** Rows inserted, updated and deleted in the app's tables since the statistics began: a moving number means writes. */
    public static long writesSoFar(PostgresUrl url) {
        return SingleValue.number(url, "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables");
    }
}
