/** Exit codes shared by every oxy-ops command; the README's table is written from this list. */
public final class ExitCode {
    public static final int OK = 0;
    /** Something failed that has no more specific code below. */
    public static final int FAILED = 1;
    /** Bad flag, bad URL, bad argument: picocli's own usage code. */
    public static final int USAGE = 2;
    /** PostgreSQL does not answer: not running, unreachable, wrong password, did not become ready. */
    public static final int DATABASE_UNAVAILABLE = 3;
    /** The database answers but its schema is not current (pending migrations or checksum drift). */
    public static final int SCHEMA_NOT_CURRENT = 4;
    /** The docker runtime was asked for but Docker is not installed or its daemon does not answer. */
    public static final int DOCKER_UNAVAILABLE = 5;
    /** The host port PostgreSQL should listen on is taken. */
    public static final int PORT_IN_USE = 6;
    /** The data on disk belongs to another PostgreSQL major, or is not recognised: nothing was started. */
    public static final int DATA_NEEDS_ATTENTION = 7;
    /** A pre-flight check refused the work (bad or missing source, unmapped tables, orphans, non-empty target, bad values): nothing was written. */
    public static final int REFUSED = 8;
    /** Row counts or checksums differ after loading; the load was rolled back. */
    public static final int VERIFICATION_FAILED = 9;
    /** Another backup, restore or prune holds the backup directory's lock; nothing was done. */
    public static final int LOCKED = 10;
    /** No pg_dump/pg_restore of a suitable major on this host and no Docker to run one in. */
    public static final int TOOLS_MISSING = 11;
    /** The object store (s3://) does not answer, refuses our credentials, or has no such bucket; or an upload to it failed. */
    public static final int STORE_UNAVAILABLE = 12;
    /** doctor: at least one check warns (and none is critical); 20 and up are doctor's, apart from the failures above. */
    public static final int HEALTH_WARNING = 20;
    /** doctor: at least one check is critical (connections nearly exhausted, wraparound near, disk nearly full, a slot past its limit). */
    public static final int HEALTH_CRITICAL = 21;
    /** Stopped by Ctrl+C or SIGTERM (128 + SIGINT). */
    public static final int INTERRUPTED = 130;

    private ExitCode() {}
}
