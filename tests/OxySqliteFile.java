import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Writes real SQLite files in the shape of Oxy's own database ({@code ~/.local/share/oxy/db.sqlite}), for the
 * tests and benchmarks of {@code migrate_sqlite}. See /work/shared/OXY_SQLITE_FORMAT.md for what Oxy stores.
 *
 * <p>What the file looks like:
 * <ul>
 *   <li>the 17 tables of migrations/V1__oxy_app_schema.sql, same table and column names and column order, NOT NULL
 *       and foreign keys where the PostgreSQL schema has them, with the SQLite types Oxy declares: {@code uuid_text}
 *       (holding 16-byte BLOBs), {@code timestamp_with_timezone_text}, {@code json_text}, {@code boolean} (0/1),
 *       {@code integer}, {@code bigint}, {@code varchar}, {@code text}; settings.id is
 *       {@code integer NOT NULL PRIMARY KEY AUTOINCREMENT} (so the file also has {@code sqlite_sequence});</li>
 *   <li>the Slack and A2A tables ({@link #EXTRA_TABLES}) that PostgreSQL's V1 schema does not have;</li>
 *   <li>SeaORM's {@code seaql_migrations} ledger with a few rows.</li>
 * </ul>
 *
 * <p>Beware SQLite type affinity: every declared type that contains "TEXT" ({@code uuid_text}, {@code json_text},
 * {@code timestamp_with_timezone_text}) has TEXT affinity, so a number written into such a column is stored as
 * text (see {@link #withEpochMillis()}); BLOBs stay BLOBs.
 *
 * <p>Every method opens its own connection (with {@code PRAGMA foreign_keys=OFF}, one transaction) and closes it,
 * so nothing needs closing and the file can be read by anyone between calls. All values are deterministic. The
 * hostile {@code with…} methods add the sample data first if it is not there yet (they reference its rows), and
 * each may be called once per file. Uses only java.sql: the org.xerial:sqlite-jdbc driver must be on the classpath
 * at run time.
 */
final class OxySqliteFile {

    // ---- tables ----------------------------------------------------------------------------------------------

    /** The 17 tables of V1__oxy_app_schema.sql, parents before children. */
    static final List<String> APP_TABLES = List.of(
            "users", "workspaces", "git_namespaces", "workspace_users", "project_repos", "projects", "branches",
            "threads", "secrets", "api_keys", "messages", "artifacts", "logs", "runs", "checkpoints", "settings",
            "tasks");

    /** Tables Oxy's file has and the PostgreSQL V1 schema lacks (not counting seaql_migrations). */
    static final List<String> EXTRA_TABLES = List.of(
            "slack_channel_bindings", "slack_user_identities", "slack_conversation_contexts", "a2a_tasks",
            "a2a_messages", "a2a_task_status", "a2a_artifacts");

    /** SeaORM's migration ledger; {@link #SEAQL_MIGRATIONS} rows. */
    static final String SEAQL_TABLE = "seaql_migrations";

    /** The table {@link #withSqliteOnlyTable()} adds. */
    static final String LEGACY_TABLE = "legacy_notes";

    /** Rows written into seaql_migrations by {@link #create(Path)}: version → applied_at (unix seconds). */
    static final Map<String, Long> SEAQL_MIGRATIONS = orderedMap(
            "m20220101_000001_create_table", 1741341600L,
            "m20250307_090813_add_threads", 1741341601L,
            "m20250611_015638_add_tokens_to_messages", 1749606998L);

    // ---- uuids -----------------------------------------------------------------------------------------------

    /** The nil uuid; Oxy's default for projects.active_branch_id and every *.project_id / runs.branch_id. */
    static final UUID NIL = new UUID(0L, 0L);

    /** Id of sample row {@code n} of table number {@code table}: {@code 0000TTTT-0000-4000-8000-NNNNNNNNNNNN} (hex). */
    static UUID sampleId(int table, int n) { return uuid(table, 0x0000, n); }

    /** Id used by the hostile rows: {@code 0000TTTT-bad0-4000-8000-NNNNNNNNNNNN}. */
    static UUID hostileId(int table, int n) { return uuid(table, 0xbad0, n); }

    private static UUID uuid(int table, int group, long n) {
        return new UUID(((long) table << 32) | ((long) group << 16) | 0x4000L, 0x8000_0000_0000_0000L | n);
    }

    // table numbers used in ids
    private static final int T_USERS = 1, T_WORKSPACES = 2, T_WORKSPACE_USERS = 3, T_GIT_NAMESPACES = 4,
            T_PROJECT_REPOS = 5, T_PROJECTS = 6, T_BRANCHES = 7, T_THREADS = 8, T_MESSAGES = 9, T_ARTIFACTS = 10,
            T_LOGS = 11, T_RUNS = 12, T_CHECKPOINTS = 13, T_SECRETS = 14, T_API_KEYS = 15, T_TASKS = 16,
            T_SLACK_BINDINGS = 17, T_SLACK_USERS = 18, T_SLACK_CONTEXTS = 19, T_A2A_TASKS = 20, T_A2A_MESSAGES = 21,
            T_A2A_STATUS = 22, T_A2A_ARTIFACTS = 23;

    // ---- sample data: the values tests assert ----------------------------------------------------------------

    /** 00000001-0000-4000-8000-000000000001 */
    static final UUID ALICE_ID = sampleId(T_USERS, 1);
    static final UUID BOB_ID = sampleId(T_USERS, 2);
    static final UUID CHLOE_ID = sampleId(T_USERS, 3);
    static final String ALICE_EMAIL = "alice@example.com";
    static final String ALICE_NAME = "Alice Ångström 👩‍💻";
    static final String BOB_NAME = "王小明 (Bob)";
    /** users.created_at of Alice, 9 fraction digits as Oxy writes it. */
    static final String ALICE_CREATED_AT_TEXT = "2025-06-11T01:56:38.123456789+00:00";
    static final Instant ALICE_CREATED_AT = Instant.parse("2025-06-11T01:56:38.123456789Z");
    /** ALICE_CREATED_AT as PostgreSQL keeps it: rounded (not truncated) to microseconds, as PG's input and pgjdbc do. */
    static final Instant ALICE_CREATED_AT_PG = Instant.parse("2025-06-11T01:56:38.123457Z");
    /** users.last_login_at of Alice, the CURRENT_TIMESTAMP form (UTC, no offset). */
    static final String ALICE_LAST_LOGIN_AT_TEXT = "2025-06-11 01:56:38";
    static final Instant ALICE_LAST_LOGIN_AT = Instant.parse("2025-06-11T01:56:38Z");
    /** users.last_login_at of Bob: the only non-UTC offset in the sample. */
    static final String BOB_LAST_LOGIN_AT_TEXT = "2025-06-12T09:30:00.500+05:30";
    static final Instant BOB_LAST_LOGIN_AT = Instant.parse("2025-06-12T04:00:00.500Z");
    /** users.last_login_at of Chloé (6 fraction digits); her created_at is the CURRENT_TIMESTAMP form. */
    static final String CHLOE_LAST_LOGIN_AT_TEXT = "2025-06-13T10:11:12.654321+00:00";
    static final Instant CHLOE_LAST_LOGIN_AT = Instant.parse("2025-06-13T10:11:12.654321Z");
    /** Alice: email_verified 1; Bob: column left to DEFAULT FALSE (stored 0); Chloé: 0. */
    static final boolean ALICE_EMAIL_VERIFIED = true;

    static final UUID WORKSPACE_ACME_ID = sampleId(T_WORKSPACES, 1);
    static final UUID WORKSPACE_LAB_ID = sampleId(T_WORKSPACES, 2);
    static final String WORKSPACE_LAB_NAME = "研究チーム 🚀";
    static final UUID GIT_NAMESPACE_ID = sampleId(T_GIT_NAMESPACES, 1);
    /** git_namespaces.installation_id: a bigint beyond 2^31. */
    static final long GIT_INSTALLATION_ID = 98_765_432_109L;
    static final UUID PROJECT_REPO_ID = sampleId(T_PROJECT_REPOS, 1);
    static final UUID PROJECT_SALES_ID = sampleId(T_PROJECTS, 1);
    /** Its active_branch_id is left to the nil-uuid default; its project_repo_id is NULL. */
    static final UUID PROJECT_DONNEES_ID = sampleId(T_PROJECTS, 2);
    static final UUID BRANCH_MAIN_ID = sampleId(T_BRANCHES, 1);
    static final UUID BRANCH_FEATURE_ID = sampleId(T_BRANCHES, 2);
    static final String BRANCH_MAIN_REVISION = "0123456789abcdef0123456789abcdef01234567";

    /** Alice's thread; sandbox_info is nested JSON ({@link #THREAD_ALICE_SANDBOX_INFO}). */
    static final UUID THREAD_ALICE_ID = sampleId(T_THREADS, 1);
    static final String THREAD_ALICE_SANDBOX_INFO =
            "{\"kind\":\"e2b\",\"config\":{\"cpu\":2,\"env\":{\"LANG\":\"ja_JP.UTF-8\",\"GREETING\":\"héllo 👋\"}},"
            + "\"ports\":[8080,8443],\"ready\":true,\"ttl\":null}";
    /** Bob's thread: is_processing 1, project_id and source_type left to their defaults (nil uuid, ''). */
    static final UUID THREAD_BOB_ID = sampleId(T_THREADS, 2);
    /** A thread with user_id NULL. */
    static final UUID THREAD_ANON_ID = sampleId(T_THREADS, 3);

    static final UUID MESSAGE_ALICE_QUESTION_ID = sampleId(T_MESSAGES, 1);
    /** Bot answer in Alice's thread: is_human 0, input_tokens 120, output_tokens 340. */
    static final UUID MESSAGE_ALICE_ANSWER_ID = sampleId(T_MESSAGES, 2);
    static final String MESSAGE_ALICE_ANSWER_CONTENT = "Revenue was €1.2M — up 12 % 📈 (東京 +30 %)";
    static final String MESSAGE_ALICE_ANSWER_CREATED_AT_TEXT = "2025-06-11T01:56:39.123+00:00";
    static final Instant MESSAGE_ALICE_ANSWER_CREATED_AT = Instant.parse("2025-06-11T01:56:39.123Z");

    /** Artifact with nested JSON content {@link #ARTIFACT_SQL_CONTENT}. */
    static final UUID ARTIFACT_SQL_ID = sampleId(T_ARTIFACTS, 1);
    static final String ARTIFACT_SQL_CONTENT =
            "{\"sql\":\"SELECT region, sum(revenue) FROM sales GROUP BY 1\",\"result\":{\"columns\":[\"region\","
            + "\"revenue\"],\"rows\":[[\"EMEA\",1200000.5],[\"日本\",null]]},\"meta\":{\"emoji\":\"📊\","
            + "\"nested\":{\"deep\":{\"deeper\":[true,false,{\"x\":-1.5e-3}]}}}}";
    static final UUID ARTIFACT_WORKFLOW_ID = sampleId(T_ARTIFACTS, 2);

    static final UUID LOG_ALICE_ID = sampleId(T_LOGS, 1);
    static final UUID LOG_BOB_ID = sampleId(T_LOGS, 2);

    static final UUID RUN_DAILY_1_ID = sampleId(T_RUNS, 1);
    /** Run with error text, user_id NULL, project_id/branch_id left to the nil-uuid default. */
    static final UUID RUN_DAILY_2_ID = sampleId(T_RUNS, 2);
    static final String RUN_DAILY_2_ERROR = "Boom 💥: division by zero";
    /** Run with run_index NULL, a lookup_id, and root_* set. */
    static final UUID RUN_REPLAY_ID = sampleId(T_RUNS, 3);

    static final UUID CHECKPOINT_1_ID = sampleId(T_CHECKPOINTS, 1);
    static final UUID SECRET_OPENAI_ID = sampleId(T_SECRETS, 1);
    /** Inactive secret (is_active 0), description NULL, project_id left to the nil-uuid default. */
    static final UUID SECRET_OLD_ID = sampleId(T_SECRETS, 2);
    static final UUID API_KEY_ALICE_ID = sampleId(T_API_KEYS, 1);
    static final String API_KEY_ALICE_LAST_USED_AT_TEXT = "2025-06-11T01:56:38+00:00";
    static final Instant API_KEY_ALICE_LAST_USED_AT = Instant.parse("2025-06-11T01:56:38Z");
    static final UUID API_KEY_BOB_ID = sampleId(T_API_KEYS, 2);

    /** settings rows get ids 1 and 2 from AUTOINCREMENT; the next id must be 3 after a migration. */
    static final int SETTINGS_NEXT_ID = 3;
    static final long SETTINGS_1_SELECTED_REPO_ID = 123_456_789_012L;

    static final UUID TASK_WEEKLY_ID = sampleId(T_TASKS, 1);

    /** Rows {@link #withSampleData()} writes, per table (APP_TABLES, then EXTRA_TABLES). */
    static final Map<String, Integer> SAMPLE_ROW_COUNTS = orderedMap(
            "users", 3, "workspaces", 2, "git_namespaces", 1, "workspace_users", 3, "project_repos", 1,
            "projects", 2, "branches", 2, "threads", 3, "secrets", 2, "api_keys", 2, "messages", 5, "artifacts", 2,
            "logs", 2, "runs", 3, "checkpoints", 3, "settings", 2, "tasks", 2,
            "slack_channel_bindings", 1, "slack_user_identities", 1, "slack_conversation_contexts", 1,
            "a2a_tasks", 1, "a2a_messages", 2, "a2a_task_status", 1, "a2a_artifacts", 1);

    // ---- hostile rows ----------------------------------------------------------------------------------------

    /** {@link #withNulInText()}: messages row in Alice's thread whose content is {@link #NUL_TEXT_CONTENT}. */
    static final UUID NUL_TEXT_MESSAGE_ID = hostileId(T_MESSAGES, 1);
    static final String NUL_TEXT_CONTENT = "before\u0000after";
    /** {@link #withNulInJson()}: artifacts row whose content is {@link #NUL_JSON_CONTENT} (the JSON escape backslash-u0000). */
    static final UUID NUL_JSON_ARTIFACT_ID = hostileId(T_ARTIFACTS, 1);
    static final String NUL_JSON_CONTENT = "{\"text\":\"nul\\u0000here\",\"ok\":true}";
    /** {@link #withEpochMillis()}: messages row whose created_at is the integer {@link #EPOCH_MILLIS}. */
    static final UUID EPOCH_MILLIS_MESSAGE_ID = hostileId(T_MESSAGES, 2);
    static final long EPOCH_MILLIS = 1_749_606_998_123L;
    static final Instant EPOCH_MILLIS_INSTANT = Instant.parse("2025-06-11T01:56:38.123Z");
    /** {@link #withEpochSeconds()}: messages row whose created_at is the integer {@link #EPOCH_SECONDS}. */
    static final UUID EPOCH_SECONDS_MESSAGE_ID = hostileId(T_MESSAGES, 3);
    static final long EPOCH_SECONDS = 1_749_606_998L;
    static final Instant EPOCH_SECONDS_INSTANT = Instant.parse("2025-06-11T01:56:38Z");
    /** {@link #withOrphan()}: messages row whose thread_id {@link #ORPHAN_THREAD_ID} is no thread. */
    static final UUID ORPHAN_MESSAGE_ID = hostileId(T_MESSAGES, 4);
    static final UUID ORPHAN_THREAD_ID = hostileId(T_THREADS, 99);
    /** {@link #withEmptyStringForeignKey()}: threads row whose (nullable) user_id is the empty text ''. */
    static final UUID EMPTY_FK_THREAD_ID = hostileId(T_THREADS, 1);
    /** {@link #withInvalidJson()}: artifacts row whose content is {@link #INVALID_JSON}. */
    static final UUID INVALID_JSON_ARTIFACT_ID = hostileId(T_ARTIFACTS, 2);
    static final String INVALID_JSON = "{\"a\":";
    /** {@link #withHugeBlob(int)}: logs row whose prompts (text) is {@link #hugeText(int)}. */
    static final UUID HUGE_LOG_ID = hostileId(T_LOGS, 1);
    /**
     * {@link #withTextUuids()}: a users row whose id is stored as 36-char text, a threads row whose id and user_id
     * are stored as 32-hex text, and a messages row (blob id) whose thread_id is 36-char text. The references
     * between them are consistent once uuids are normalised.
     */
    static final UUID TEXT_UUID_USER_ID = hostileId(T_USERS, 1);
    static final UUID TEXT_UUID_THREAD_ID = hostileId(T_THREADS, 2);
    static final UUID TEXT_UUID_MESSAGE_ID = hostileId(T_MESSAGES, 5);
    /** {@link #withSqliteOnlyTable()}: rows in legacy_notes. */
    static final int LEGACY_ROWS = 2;

    // ---- instance --------------------------------------------------------------------------------------------

    private final Path file;
    private final String url;
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private boolean sampleData;
    private int bulkCalls;

    private OxySqliteFile(Path file) {
        this.file = file;
        this.url = "jdbc:sqlite:" + file.toAbsolutePath();
    }

    /** Creates (replacing any file there) an Oxy-shaped SQLite file: all tables, no app rows, seaql_migrations filled. */
    static OxySqliteFile create(Path file) {
        try {
            Files.deleteIfExists(file);
            for (String suffix : new String[] {"-journal", "-wal", "-shm"}) {
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
            }
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot prepare " + file + ": " + e.getMessage(), e);
        }
        OxySqliteFile f = new OxySqliteFile(file);
        f.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                for (String ddl : DDL) s.execute(ddl);
            }
            for (Map.Entry<String, Long> m : SEAQL_MIGRATIONS.entrySet()) {
                f.insert(c, SEAQL_TABLE, "version", m.getKey(), "applied_at", m.getValue());
            }
        });
        for (String t : APP_TABLES) f.counts.put(t, 0);
        for (String t : EXTRA_TABLES) f.counts.put(t, 0);
        f.counts.put(SEAQL_TABLE, SEAQL_MIGRATIONS.size());
        return f;
    }

    /** The SQLite file. */
    Path path() { return file; }

    /** The JDBC URL of the file ({@code jdbc:sqlite:/abs/path}). */
    String jdbcUrl() { return url; }

    /**
     * Rows written so far per table, in creation order: the 17 app tables, the 7 Slack/A2A tables,
     * seaql_migrations, then legacy_notes once {@link #withSqliteOnlyTable()} ran. (sqlite_sequence not included.)
     */
    Map<String, Integer> rowCounts() { return Collections.unmodifiableMap(new LinkedHashMap<>(counts)); }

    /** Rows written so far in the 17 tables PostgreSQL's V1 schema has, in {@link #APP_TABLES} order. */
    Map<String, Integer> appRowCounts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String t : APP_TABLES) m.put(t, counts.get(t));
        return Collections.unmodifiableMap(m);
    }

    /** Total rows written so far across every table of {@link #rowCounts()}. */
    long totalRows() { return counts.values().stream().mapToLong(Integer::longValue).sum(); }

    // ---- sample data ----------------------------------------------------------------------------------------

    /**
     * Adds a small, referentially consistent data set touching all 17 tables and the Slack/A2A tables
     * ({@link #SAMPLE_ROW_COUNTS}): both timestamp forms, 0/3/6/9 fraction digits, one +05:30 offset, booleans 0/1
     * (some left to their TRUE/FALSE defaults), emoji/CJK/accented text, nested JSON, nil-uuid defaults.
     * Idempotent: a second call does nothing.
     */
    OxySqliteFile withSampleData() {
        if (sampleData) return this;
        inTransaction(this::insertSample);
        SAMPLE_ROW_COUNTS.forEach((t, n) -> counts.merge(t, n, Integer::sum));
        sampleData = true;
        return this;
    }

    private void insertSample(Connection c) throws SQLException {
        // users: 9 / CURRENT_TIMESTAMP / 0 / +05:30 / 6 digit timestamps; email_verified 1, default, 0
        insert(c, "users", "id", ALICE_ID, "email", ALICE_EMAIL, "name", ALICE_NAME,
                "picture", "https://example.com/alice.png", "created_at", ALICE_CREATED_AT_TEXT,
                "last_login_at", ALICE_LAST_LOGIN_AT_TEXT, "password_hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                "email_verified", true, "email_verification_token", null, "role", "admin", "status", "active");
        insert(c, "users", "id", BOB_ID, "email", "bob@example.com", "name", BOB_NAME, "picture", null,
                "created_at", "2025-06-12T08:00:00+00:00", "last_login_at", BOB_LAST_LOGIN_AT_TEXT,
                "password_hash", null, "email_verification_token", "tok-ß-123", "role", "member", "status", "active");
        insert(c, "users", "id", CHLOE_ID, "email", "chloe@example.com", "name", "Chloé Dupont-Müller",
                "picture", null, "created_at", "2025-06-13 10:11:12", "last_login_at", CHLOE_LAST_LOGIN_AT_TEXT,
                "password_hash", null, "email_verified", false, "email_verification_token", null,
                "role", "member", "status", "inactive");

        insert(c, "workspaces", "id", WORKSPACE_ACME_ID, "name", "Acme ☕ Analytics",
                "created_at", "2025-06-11 01:56:38", "updated_at", "2025-06-11T01:56:38.123+00:00");
        insert(c, "workspaces", "id", WORKSPACE_LAB_ID, "name", WORKSPACE_LAB_NAME,
                "created_at", "2025-06-13T10:00:00.000001+00:00", "updated_at", "2025-06-13T10:00:00.000001+00:00");

        insert(c, "git_namespaces", "id", GIT_NAMESPACE_ID, "installation_id", GIT_INSTALLATION_ID,
                "name", "acme-org", "owner_type", "Organization", "provider", "github", "slug", "acme-org",
                "user_id", ALICE_ID, "oauth_token", "gho_16C7e42F292c6912E7710c838347Ae178B4a");

        insert(c, "workspace_users", "id", sampleId(T_WORKSPACE_USERS, 1), "workspace_id", WORKSPACE_ACME_ID,
                "user_id", ALICE_ID, "role", "owner", "created_at", "2025-06-11 01:56:38",
                "updated_at", "2025-06-11 01:56:38");
        insert(c, "workspace_users", "id", sampleId(T_WORKSPACE_USERS, 2), "workspace_id", WORKSPACE_ACME_ID,
                "user_id", BOB_ID, "role", "member", "created_at", "2025-06-12T08:00:00.500+00:00",
                "updated_at", "2025-06-12T08:00:00.500+00:00");
        insert(c, "workspace_users", "id", sampleId(T_WORKSPACE_USERS, 3), "workspace_id", WORKSPACE_LAB_ID,
                "user_id", CHLOE_ID, "role", "admin", "created_at", "2025-06-13T10:00:00.000001+00:00",
                "updated_at", "2025-06-13 10:00:00");

        insert(c, "project_repos", "id", PROJECT_REPO_ID, "repo_id", "987654321", "git_namespace_id", GIT_NAMESPACE_ID,
                "created_at", "2025-06-11T02:00:00+00:00", "updated_at", "2025-06-11T02:00:00+00:00");

        insert(c, "projects", "id", PROJECT_SALES_ID, "name", "Sales 📈", "workspace_id", WORKSPACE_ACME_ID,
                "created_at", "2025-06-11T02:00:01.100+00:00", "updated_at", "2025-06-11 02:00:01",
                "active_branch_id", BRANCH_MAIN_ID, "project_repo_id", PROJECT_REPO_ID);
        insert(c, "projects", "id", PROJECT_DONNEES_ID, "name", "Données clients", "workspace_id", WORKSPACE_LAB_ID,
                "created_at", "2025-06-13T10:05:00+00:00", "updated_at", "2025-06-13T10:05:00+00:00",
                "project_repo_id", null); // active_branch_id: nil-uuid default

        insert(c, "branches", "id", BRANCH_MAIN_ID, "project_id", PROJECT_SALES_ID, "name", "main",
                "revision", BRANCH_MAIN_REVISION, "sync_status", "synced",
                "created_at", "2025-06-11T02:00:02.222222+00:00", "updated_at", "2025-06-11T02:00:02.222222+00:00");
        insert(c, "branches", "id", BRANCH_FEATURE_ID, "project_id", PROJECT_SALES_ID, "name", "feature/ünïcode-🌿",
                "revision", "fedcba9876543210fedcba9876543210fedcba98", "sync_status", "pending",
                "created_at", "2025-06-12 12:00:00", "updated_at", "2025-06-12T12:00:00.999999999+00:00");

        insert(c, "threads", "id", THREAD_ALICE_ID, "title", "Revenue by region 🌍", "input", "Revenue by region?",
                "output", "See the chart below.", "source", "agents/sales.agent.yml",
                "created_at", "2025-06-11T01:56:38.500+00:00",
                "references", "[{\"type\":\"sql\",\"path\":\"queries/revenue.sql\"}]", "source_type", "agent",
                "user_id", ALICE_ID, "is_processing", false, "project_id", PROJECT_SALES_ID,
                "sandbox_info", THREAD_ALICE_SANDBOX_INFO);
        insert(c, "threads", "id", THREAD_BOB_ID, "title", "¿Qué tal? 你好", "input", "hola", "output", "",
                "source", "agents/default.agent.yml", "created_at", "2025-06-12 08:30:00", "references", "[]",
                "user_id", BOB_ID, "is_processing", true, "sandbox_info", null); // source_type, project_id: defaults
        insert(c, "threads", "id", THREAD_ANON_ID, "title", "日本語のスレッド", "input", "売上は？", "output", "増加",
                "source", "workflows/ja.workflow.yml", "created_at", "2025-06-13T10:06:00.123456+00:00",
                "references", "[]", "source_type", "workflow", "user_id", null, "project_id", PROJECT_DONNEES_ID);
        // threads.is_processing of THREAD_ANON_ID: DEFAULT FALSE

        insert(c, "secrets", "id", SECRET_OPENAI_ID, "name", "OPENAI_API_KEY", "encrypted_value", "bm9uY2U=:Y2lwaGVy",
                "description", "ключ API для агента", "created_at", "2025-06-11T03:00:00.001+00:00",
                "updated_at", "2025-06-11T03:00:00.001+00:00", "created_by", ALICE_ID, "is_active", true,
                "project_id", PROJECT_SALES_ID);
        insert(c, "secrets", "id", SECRET_OLD_ID, "name", "OLD_TOKEN", "encrypted_value", "b2xk:dG9rZW4=",
                "description", null, "created_at", "2025-06-11 03:00:00", "updated_at", "2025-06-11 03:00:00",
                "created_by", ALICE_ID, "is_active", false);

        insert(c, "api_keys", "id", API_KEY_ALICE_ID, "user_id", ALICE_ID,
                "key_hash", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "name", "CI key 🔑", "expires_at", null, "last_used_at", API_KEY_ALICE_LAST_USED_AT_TEXT,
                "created_at", "2025-06-11 04:00:00", "updated_at", "2025-06-11T04:00:00.000+00:00",
                "is_active", true, "project_id", PROJECT_SALES_ID);
        insert(c, "api_keys", "id", API_KEY_BOB_ID, "user_id", BOB_ID,
                "key_hash", "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                "name", "expired", "expires_at", "2025-07-01T00:00:00+00:00", "last_used_at", null,
                "created_at", "2025-06-12T09:00:00.000000+00:00", "updated_at", "2025-06-12 09:00:00",
                "is_active", false);

        insert(c, "messages", "id", MESSAGE_ALICE_QUESTION_ID, "content", "What was revenue in Q2? 💰",
                "is_human", true, "thread_id", THREAD_ALICE_ID, "created_at", "2025-06-11T01:56:38.500+00:00",
                "input_tokens", 0, "output_tokens", 0);
        insert(c, "messages", "id", MESSAGE_ALICE_ANSWER_ID, "content", MESSAGE_ALICE_ANSWER_CONTENT,
                "is_human", false, "thread_id", THREAD_ALICE_ID, "created_at", MESSAGE_ALICE_ANSWER_CREATED_AT_TEXT,
                "input_tokens", 120, "output_tokens", 340);
        insert(c, "messages", "id", sampleId(T_MESSAGES, 3), "content", "¿Qué tal?\nLine two\ttabbed",
                "is_human", true, "thread_id", THREAD_BOB_ID, "created_at", "2025-06-12 08:30:01",
                "input_tokens", 3, "output_tokens", 0);
        insert(c, "messages", "id", sampleId(T_MESSAGES, 4), "content", "你好，世界 — «quotes» 'single' \"double\" \\ backslash",
                "is_human", false, "thread_id", THREAD_BOB_ID, "created_at", "2025-06-12T08:30:02.123456789+00:00",
                "input_tokens", 2_000_000_000, "output_tokens", 7);
        insert(c, "messages", "id", sampleId(T_MESSAGES, 5), "content", "Naïve café résumé",
                "is_human", true, "thread_id", THREAD_ANON_ID, "created_at", "2025-06-13T10:06:01+00:00");
        // input_tokens / output_tokens of message 5: DEFAULT 0

        insert(c, "artifacts", "id", ARTIFACT_SQL_ID, "content", ARTIFACT_SQL_CONTENT, "kind", "execute_sql",
                "message_id", MESSAGE_ALICE_ANSWER_ID, "thread_id", THREAD_ALICE_ID,
                "created_at", "2025-06-11T01:56:39.124+00:00");
        insert(c, "artifacts", "id", ARTIFACT_WORKFLOW_ID,
                "content", "{\"steps\":[{\"name\":\"fetch\",\"ok\":true},{\"name\":\"chart\",\"ok\":false,\"why\":\"ça plante\"}]}",
                "kind", "workflow", "message_id", sampleId(T_MESSAGES, 4), "thread_id", THREAD_BOB_ID,
                "created_at", "2025-06-12 08:30:03");

        insert(c, "logs", "id", LOG_ALICE_ID, "user_id", ALICE_ID, "prompts", "Show revenue by region 🌍",
                "thread_id", THREAD_ALICE_ID,
                "log", "{\"model\":\"gpt-4o\",\"usage\":{\"input\":120,\"output\":340},\"tools\":[{\"name\":\"sql\",\"args\":{\"q\":\"SELECT 1\"}}]}",
                "created_at", "2025-06-11T01:56:40.000001+00:00", "updated_at", "2025-06-11T01:56:40.000001+00:00");
        insert(c, "logs", "id", LOG_BOB_ID, "user_id", BOB_ID, "prompts", "hola", "thread_id", THREAD_BOB_ID,
                "log", "{}", "created_at", "2025-06-12 08:30:04", "updated_at", "2025-06-12 08:30:04");

        insert(c, "runs", "id", RUN_DAILY_1_ID, "source_id", "workflows/daily.workflow.yml", "run_index", 1,
                "root_source_id", null, "root_run_index", null,
                "metadata", "{\"trigger\":\"cron\",\"labels\":{\"team\":\"données\"}}",
                "blocks", "{\"b1\":{\"type\":\"task\",\"children\":[\"b2\"]},\"b2\":{\"type\":\"sql\"}}",
                "children", "[]", "error", null, "created_at", "2025-06-11T05:00:00+00:00",
                "updated_at", "2025-06-11T05:00:01.500+00:00", "project_id", PROJECT_SALES_ID,
                "root_replay_ref", null, "branch_id", BRANCH_MAIN_ID, "variables", "{\"date\":\"2025-06-11\"}",
                "output", "{\"rows\":3,\"values\":[1,2,3]}", "lookup_id", null, "user_id", ALICE_ID);
        insert(c, "runs", "id", RUN_DAILY_2_ID, "source_id", "workflows/daily.workflow.yml", "run_index", 2,
                "metadata", null, "blocks", null, "children", null, "error", RUN_DAILY_2_ERROR,
                "created_at", "2025-06-12 05:00:00", "updated_at", "2025-06-12 05:00:02",
                "variables", null, "output", null, "user_id", null); // project_id, branch_id: nil-uuid defaults
        insert(c, "runs", "id", RUN_REPLAY_ID, "source_id", "workflows/daily.workflow.yml", "run_index", null,
                "root_source_id", "workflows/daily.workflow.yml", "root_run_index", 1,
                "metadata", "{\"replay\":true}", "blocks", "{}", "children", "[{\"id\":\"c1\"}]", "error", null,
                "created_at", "2025-06-13T06:00:00.123456+00:00", "updated_at", "2025-06-13T06:00:00.123456+00:00",
                "project_id", PROJECT_SALES_ID, "root_replay_ref", "workflows/daily.workflow.yml::1",
                "branch_id", BRANCH_MAIN_ID, "variables", "{}", "output", null,
                "lookup_id", sampleId(T_RUNS, 100), "user_id", BOB_ID);

        insert(c, "checkpoints", "id", CHECKPOINT_1_ID, "run_id", RUN_DAILY_1_ID, "replay_id", "b1",
                "checkpoint_hash", "h-1", "output", "{\"value\":42}", "events", "[{\"kind\":\"start\"},{\"kind\":\"end\"}]",
                "child_run_info", null, "loop_values", "[1,2,3]",
                "created_at", "2025-06-11T05:00:00.500+00:00", "updated_at", "2025-06-11 05:00:00");
        insert(c, "checkpoints", "id", sampleId(T_CHECKPOINTS, 2), "run_id", RUN_DAILY_1_ID, "replay_id", "b1.b2",
                "checkpoint_hash", "h-2", "output", null, "events", null,
                "child_run_info", "{\"run\":{\"source_id\":\"sub.workflow.yml\",\"run_index\":7}}", "loop_values", null,
                "created_at", "2025-06-11T05:00:00.600000+00:00", "updated_at", "2025-06-11T05:00:00.600000+00:00");
        insert(c, "checkpoints", "id", sampleId(T_CHECKPOINTS, 3), "run_id", RUN_REPLAY_ID, "replay_id", "b1",
                "checkpoint_hash", "h-3", "output", "\"just a string ✓\"", "events", "[]", "child_run_info", null,
                "loop_values", null, "created_at", "2025-06-13 06:00:00", "updated_at", "2025-06-13 06:00:00");

        // settings: ids 1 and 2 come from AUTOINCREMENT (sqlite_sequence ends at 2)
        insert(c, "settings", "github_token", "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                "selected_repo_id", SETTINGS_1_SELECTED_REPO_ID, "onboarded", true,
                "revision", "0123456789abcdef0123456789abcdef01234567", "sync_status", "synced",
                "created_at", "2025-06-11 00:00:00", "updated_at", "2025-06-11T00:00:00.123+00:00");
        insert(c, "settings", "github_token", "", "selected_repo_id", null, "revision", null, "sync_status", "idle",
                "created_at", "2025-06-12T00:00:00+00:00", "updated_at", "2025-06-12T00:00:00+00:00");
        // onboarded of settings 2: DEFAULT FALSE

        insert(c, "tasks", "id", TASK_WEEKLY_ID, "title", "Weekly report", "question", "How did we do this week?",
                "answer", "Better ✅", "file_path", "tasks/weekly.task.yml", "created_at", "2025-06-11T07:00:00+00:00");
        insert(c, "tasks", "id", sampleId(T_TASKS, 2), "title", "Rapport trimestriel — 四半期",
                "question", "Quels sont les chiffres ?", "answer", "", "file_path", "tasks/trimestre.task.yml",
                "created_at", "2025-06-12 07:00:00");

        // Slack / A2A (not in the PostgreSQL V1 schema)
        insert(c, "slack_channel_bindings", "id", sampleId(T_SLACK_BINDINGS, 1), "slack_team_id", "T0123ABC",
                "slack_channel_id", "C0456DEF", "oxy_project_id", PROJECT_SALES_ID,
                "default_agent_id", "agents/sales.agent.yml", "created_by_slack_user_id", "U0789GHI",
                "created_at", "2025-06-14 09:00:00");
        insert(c, "slack_user_identities", "id", sampleId(T_SLACK_USERS, 1), "slack_team_id", "T0123ABC",
                "slack_user_id", "U0789GHI", "oxy_user_id", ALICE_ID, "linked_at", "2025-06-14T09:00:01.123+00:00",
                "last_seen_at", "2025-06-14 09:30:00");
        insert(c, "slack_conversation_contexts", "id", sampleId(T_SLACK_CONTEXTS, 1), "slack_team_id", "T0123ABC",
                "slack_channel_id", "C0456DEF", "slack_thread_ts", "1749891600.000100",
                "oxy_session_id", THREAD_ALICE_ID, "last_slack_message_ts", "1749891601.000200",
                "created_at", "2025-06-14 09:40:00", "updated_at", "2025-06-14T09:40:01+00:00");
        UUID a2aTask = sampleId(T_A2A_TASKS, 1);
        insert(c, "a2a_tasks", "id", a2aTask, "agent_name", "sales", "thread_id", THREAD_ALICE_ID,
                "run_id", RUN_DAILY_1_ID, "context_id", "ctx-1", "state", "completed",
                "metadata", "{\"client\":{\"name\":\"a2a-cli\",\"v\":1}}", "created_at", "2025-06-15 10:00:00",
                "updated_at", "2025-06-15T10:00:05.000001+00:00");
        insert(c, "a2a_messages", "id", sampleId(T_A2A_MESSAGES, 1), "task_id", a2aTask, "context_id", "ctx-1",
                "agent_name", "sales", "role", "user", "sequence_number", 1,
                "parts", "[{\"kind\":\"text\",\"text\":\"Ventes ? 📊\"}]", "metadata", null,
                "created_at", "2025-06-15 10:00:00");
        insert(c, "a2a_messages", "id", sampleId(T_A2A_MESSAGES, 2), "task_id", a2aTask, "context_id", "ctx-1",
                "agent_name", "sales", "role", "agent", "sequence_number", 2,
                "parts", "[{\"kind\":\"text\",\"text\":\"+12 %\"},{\"kind\":\"data\",\"data\":{\"x\":[1,2]}}]",
                "metadata", "{\"tokens\":5}", "created_at", "2025-06-15T10:00:04.500+00:00");
        insert(c, "a2a_task_status", "id", sampleId(T_A2A_STATUS, 1), "task_id", a2aTask, "agent_name", "sales",
                "state", "completed", "message_id", sampleId(T_A2A_MESSAGES, 2), "metadata", null,
                "created_at", "2025-06-15T10:00:05+00:00");
        insert(c, "a2a_artifacts", "id", sampleId(T_A2A_ARTIFACTS, 1), "task_id", a2aTask, "agent_name", "sales",
                "sequence_number", 1, "description", "chart", "parts", "[{\"kind\":\"file\",\"name\":\"chart.png\"}]",
                "storage_location", "s3://bucket/chart.png", "size_bytes", 5_000_000_000L, "metadata", "{}",
                "created_at", "2025-06-15 10:00:05");
    }

    // ---- hostile rows, one at a time ------------------------------------------------------------------------

    /** messages {@link #NUL_TEXT_MESSAGE_ID} (Alice's thread) with content "before\0after": PostgreSQL text rejects NUL. */
    OxySqliteFile withNulInText() {
        withSampleData();
        inTransaction(c -> insert(c, "messages", "id", NUL_TEXT_MESSAGE_ID, "content", NUL_TEXT_CONTENT,
                "is_human", true, "thread_id", THREAD_ALICE_ID, "created_at", "2025-06-11T01:57:00+00:00",
                "input_tokens", 0, "output_tokens", 0));
        return count("messages", 1);
    }

    /**
     * artifacts {@link #NUL_JSON_ARTIFACT_ID} whose content {@link #NUL_JSON_CONTENT} is valid JSON with the escape
     * backslash-u0000 (six ASCII characters, no NUL byte): jsonb rejects it ("unsupported Unicode escape sequence").
     */
    OxySqliteFile withNulInJson() {
        withSampleData();
        inTransaction(c -> insert(c, "artifacts", "id", NUL_JSON_ARTIFACT_ID, "content", NUL_JSON_CONTENT,
                "kind", "execute_sql", "message_id", MESSAGE_ALICE_ANSWER_ID, "thread_id", THREAD_ALICE_ID,
                "created_at", "2025-06-11T01:57:01+00:00"));
        return count("artifacts", 1);
    }

    /**
     * messages {@link #EPOCH_MILLIS_MESSAGE_ID} whose created_at is bound as the integer {@link #EPOCH_MILLIS}
     * (= {@link #EPOCH_MILLIS_INSTANT}). The column's TEXT affinity makes SQLite store it as the text
     * '1749606998123' (typeof = 'text').
     */
    OxySqliteFile withEpochMillis() {
        withSampleData();
        inTransaction(c -> insert(c, "messages", "id", EPOCH_MILLIS_MESSAGE_ID, "content", "epoch millis",
                "is_human", false, "thread_id", THREAD_ALICE_ID, "created_at", EPOCH_MILLIS,
                "input_tokens", 0, "output_tokens", 0));
        return count("messages", 1);
    }

    /**
     * messages {@link #EPOCH_SECONDS_MESSAGE_ID} whose created_at is bound as the integer {@link #EPOCH_SECONDS}
     * (= {@link #EPOCH_SECONDS_INSTANT}); stored as the text '1749606998' (TEXT affinity).
     */
    OxySqliteFile withEpochSeconds() {
        withSampleData();
        inTransaction(c -> insert(c, "messages", "id", EPOCH_SECONDS_MESSAGE_ID, "content", "epoch seconds",
                "is_human", false, "thread_id", THREAD_ALICE_ID, "created_at", EPOCH_SECONDS,
                "input_tokens", 0, "output_tokens", 0));
        return count("messages", 1);
    }

    /** messages {@link #ORPHAN_MESSAGE_ID} whose thread_id {@link #ORPHAN_THREAD_ID} matches no thread. */
    OxySqliteFile withOrphan() {
        withSampleData();
        inTransaction(c -> insert(c, "messages", "id", ORPHAN_MESSAGE_ID, "content", "my thread is gone",
                "is_human", true, "thread_id", ORPHAN_THREAD_ID, "created_at", "2025-06-11 02:00:00",
                "input_tokens", 0, "output_tokens", 0));
        return count("messages", 1);
    }

    /** threads {@link #EMPTY_FK_THREAD_ID} whose user_id (nullable FK → users) holds the empty text ''. */
    OxySqliteFile withEmptyStringForeignKey() {
        withSampleData();
        inTransaction(c -> insert(c, "threads", "id", EMPTY_FK_THREAD_ID, "title", "empty user", "input", "",
                "output", "", "source", "agents/default.agent.yml", "created_at", "2025-06-11 02:00:00",
                "references", "[]", "source_type", "agent", "user_id", "", "is_processing", false,
                "project_id", PROJECT_SALES_ID, "sandbox_info", null));
        return count("threads", 1);
    }

    /** artifacts {@link #INVALID_JSON_ARTIFACT_ID} whose content (json_text, NOT NULL) is the truncated {@code {"a":}. */
    OxySqliteFile withInvalidJson() {
        withSampleData();
        inTransaction(c -> insert(c, "artifacts", "id", INVALID_JSON_ARTIFACT_ID, "content", INVALID_JSON,
                "kind", "execute_sql", "message_id", MESSAGE_ALICE_ANSWER_ID, "thread_id", THREAD_ALICE_ID,
                "created_at", "2025-06-11T01:57:02+00:00"));
        return count("artifacts", 1);
    }

    /**
     * logs {@link #HUGE_LOG_ID} (Alice, her thread) whose prompts column (text NOT NULL; PostgreSQL text too: the V1
     * schema has no bytea column) holds {@link #hugeText(int) hugeText(bytes)}: exactly {@code bytes} UTF-8 bytes.
     */
    OxySqliteFile withHugeBlob(int bytes) {
        withSampleData();
        String text = hugeText(bytes);
        inTransaction(c -> insert(c, "logs", "id", HUGE_LOG_ID, "user_id", ALICE_ID, "prompts", text,
                "thread_id", THREAD_ALICE_ID, "log", "{\"huge\":true}", "created_at", "2025-06-11 02:00:00",
                "updated_at", "2025-06-11 02:00:00"));
        return count("logs", 1);
    }

    /** Deterministic ASCII text of exactly {@code bytes} bytes (lines of "prompt line NNNNNNNN …\n"). */
    static String hugeText(int bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes < 0");
        StringBuilder sb = new StringBuilder(bytes + 64);
        for (int line = 0; sb.length() < bytes; line++) {
            sb.append("prompt line ").append(String.format("%08d", line))
              .append(" the quick brown fox jumps over the lazy dog\n");
        }
        sb.setLength(bytes);
        return sb.toString();
    }

    /**
     * Uuids stored as text instead of 16-byte blobs: users {@link #TEXT_UUID_USER_ID} with id as 36-char text;
     * threads {@link #TEXT_UUID_THREAD_ID} with id and user_id (→ that user) as 32-hex text; messages
     * {@link #TEXT_UUID_MESSAGE_ID} (blob id) with thread_id (→ that thread) as 36-char text.
     */
    OxySqliteFile withTextUuids() {
        withSampleData();
        inTransaction(c -> {
            insert(c, "users", "id", new Text(TEXT_UUID_USER_ID.toString()), "email", "text-uuid@example.com",
                    "name", "Text Uuid", "created_at", "2025-06-11 02:00:00", "last_login_at", "2025-06-11 02:00:00",
                    "email_verified", false, "role", "member", "status", "active");
            insert(c, "threads", "id", new Text(hex32(TEXT_UUID_THREAD_ID)), "title", "text uuids", "input", "",
                    "output", "", "source", "agents/default.agent.yml", "created_at", "2025-06-11 02:00:00",
                    "references", "[]", "source_type", "agent", "user_id", new Text(hex32(TEXT_UUID_USER_ID)),
                    "is_processing", false, "project_id", PROJECT_SALES_ID);
            insert(c, "messages", "id", TEXT_UUID_MESSAGE_ID, "content", "in a text-uuid thread", "is_human", true,
                    "thread_id", new Text(TEXT_UUID_THREAD_ID.toString()), "created_at", "2025-06-11 02:00:01",
                    "input_tokens", 0, "output_tokens", 0);
        });
        count("users", 1);
        count("threads", 1);
        return count("messages", 1);
    }

    /**
     * Adds table legacy_notes (id integer PRIMARY KEY, body text, created_at timestamp_with_timezone_text), which
     * PostgreSQL's schema lacks, with {@link #LEGACY_ROWS} rows.
     */
    OxySqliteFile withSqliteOnlyTable() {
        inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE \"legacy_notes\" ( \"id\" integer NOT NULL PRIMARY KEY, \"body\" text NOT NULL,"
                        + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )");
            }
            insert(c, LEGACY_TABLE, "id", 1, "body", "old note", "created_at", "2024-01-01 00:00:00");
            insert(c, LEGACY_TABLE, "id", 2, "body", "ancienne note ✎", "created_at", "2024-01-02T00:00:00+00:00");
        });
        counts.put(LEGACY_TABLE, LEGACY_ROWS);
        return this;
    }

    // ---- bulk rows ------------------------------------------------------------------------------------------

    /** Share of bulk rows per table (sums to 1): most in messages, logs, runs, artifacts, checkpoints. */
    static final Map<String, Double> BULK_SHARES = orderedMap(
            "users", 0.004, "workspaces", 0.001, "git_namespaces", 0.0005, "workspace_users", 0.004,
            "project_repos", 0.0005, "projects", 0.002, "branches", 0.004, "threads", 0.05, "secrets", 0.004,
            "api_keys", 0.004, "messages", 0.38, "artifacts", 0.12, "logs", 0.15, "runs", 0.15,
            "checkpoints", 0.1015, "settings", 0.0, "tasks", 0.024);

    /** Parent tables a bulk table needs at least one row in. */
    private static final Map<String, List<String>> BULK_PARENTS = orderedMap(
            "workspaces", List.of(), "users", List.of(), "git_namespaces", List.of("users"),
            "workspace_users", List.of("workspaces", "users"), "project_repos", List.of("git_namespaces"),
            "projects", List.of("workspaces"), "branches", List.of("projects"), "threads", List.of("users", "projects"),
            "secrets", List.of("users", "projects"), "api_keys", List.of("users", "projects"),
            "messages", List.of("threads"), "artifacts", List.of("messages"), "logs", List.of("users", "threads"),
            "runs", List.of("users", "branches"), "checkpoints", List.of("runs"), "settings", List.of(),
            "tasks", List.of());

    /** How {@link #withBulkRows(int)} splits {@code total} rows over the 17 tables (sums to exactly total). */
    static Map<String, Integer> bulkPlan(int total) {
        if (total < 0) throw new IllegalArgumentException("total < 0");
        Map<String, Integer> plan = new LinkedHashMap<>();
        int assigned = 0;
        for (String t : APP_TABLES) {
            int n = (int) Math.floor(total * BULK_SHARES.get(t));
            plan.put(t, n);
            assigned += n;
        }
        plan.merge("messages", total - assigned, Integer::sum);
        // every table with rows needs its parents to have one: take a row from the largest table that can spare
        // one, else move one of the child's rows to the parent (only for tiny totals)
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String t : APP_TABLES) {
                for (String p : BULK_PARENTS.get(t)) {
                    if (plan.get(t) == 0) break;
                    if (plan.get(p) > 0) continue;
                    String donor = APP_TABLES.stream().filter(x -> !x.equals(t) && !x.equals(p) && plan.get(x) > 1)
                            .max((a, b) -> Integer.compare(plan.get(a), plan.get(b))).orElse(t);
                    plan.merge(donor, -1, Integer::sum);
                    plan.merge(p, 1, Integer::sum);
                    changed = true;
                }
            }
        }
        return plan;
    }

    /**
     * Adds about {@code total} rows (exactly, see {@link #bulkPlan(int)}) spread over the 17 app tables, in one
     * transaction with prepared, batched statements. Valid and referentially consistent (orphan-free, unique keys
     * respected), deterministic, mixed timestamp forms, unicode in some values. Ids are
     * {@code 0000TTTT-bNNN-4000-8000-…} (NNN = call number), so it can be combined with the sample data and called
     * more than once. Returns this.
     */
    OxySqliteFile withBulkRows(int total) {
        Map<String, Integer> plan = bulkPlan(total);
        int call = ++bulkCalls;
        inTransaction(c -> new Bulk(c, call, plan).run());
        plan.forEach((t, n) -> counts.merge(t, n, Integer::sum));
        return this;
    }

    private final class Bulk {
        final Connection c;
        final int group;
        final Map<String, Integer> n;
        final SplittableRandom rnd;
        final long baseSecond = Instant.parse("2025-01-01T00:00:00Z").getEpochSecond();

        Bulk(Connection c, int call, Map<String, Integer> plan) {
            this.c = c;
            this.group = 0xb000 + call;
            this.n = plan;
            this.rnd = new SplittableRandom(0x0517_1e5eL + call);
        }

        UUID id(int table, long i) { return uuid(table, group, i); }

        int count(String t) { return n.get(t); }

        void run() throws SQLException {
            int users = count("users"), workspaces = count("workspaces"), namespaces = count("git_namespaces");
            int repos = count("project_repos"), projects = count("projects"), branches = count("branches");
            int threads = count("threads"), messages = count("messages"), runs = count("runs");

            table("users", "id, email, name, picture, created_at, last_login_at, password_hash, email_verified,"
                    + " email_verification_token, role, status", (p, i) -> {
                p.setBytes(1, bytes(id(T_USERS, i)));
                p.setString(2, "user" + i + ".g" + Integer.toHexString(group) + "@bulk.example.com");
                p.setString(3, NAMES[i % NAMES.length] + " " + i);
                p.setString(4, i % 3 == 0 ? null : "https://example.com/u/" + i + ".png");
                p.setString(5, ts(i * 3_600L, i));
                p.setString(6, ts(i * 3_600L + 86_400, i + 1));
                p.setString(7, i % 2 == 0 ? "$argon2id$v=19$m=19456,t=2,p=1$" + hexOf(i) : null);
                p.setInt(8, i % 2);
                p.setString(9, null);
                p.setString(10, i == 0 ? "admin" : "member");
                p.setString(11, i % 17 == 16 ? "inactive" : "active");
            });
            table("workspaces", "id, name, created_at, updated_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_WORKSPACES, i)));
                p.setString(2, "Workspace " + i + (i % 2 == 0 ? " ☕" : " 研究"));
                p.setString(3, ts(i * 7_200L, i));
                p.setString(4, ts(i * 7_200L + 60, i + 2));
            });
            table("git_namespaces", "id, installation_id, name, owner_type, provider, slug, user_id, oauth_token", (p, i) -> {
                p.setBytes(1, bytes(id(T_GIT_NAMESPACES, i)));
                p.setLong(2, 50_000_000_000L + i);
                p.setString(3, "org-" + i);
                p.setString(4, i % 2 == 0 ? "Organization" : "User");
                p.setString(5, "github");
                p.setString(6, "org-" + i);
                p.setBytes(7, bytes(id(T_USERS, i % users)));
                p.setString(8, "gho_" + hexOf(i * 31L + 7));
            });
            table("workspace_users", "id, workspace_id, user_id, role, created_at, updated_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_WORKSPACE_USERS, i)));
                p.setBytes(2, bytes(id(T_WORKSPACES, i % workspaces)));
                p.setBytes(3, bytes(id(T_USERS, i % users)));
                p.setString(4, i % workspaces == 0 ? "owner" : "member");
                p.setString(5, ts(i * 3_600L + 10, i));
                p.setString(6, ts(i * 3_600L + 10, i));
            });
            table("project_repos", "id, repo_id, git_namespace_id, created_at, updated_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_PROJECT_REPOS, i)));
                p.setString(2, Long.toString(700_000_000L + i));
                p.setBytes(3, bytes(id(T_GIT_NAMESPACES, i % namespaces)));
                p.setString(4, ts(i * 5_000L, i));
                p.setString(5, ts(i * 5_000L, i));
            });
            table("projects", "id, name, workspace_id, created_at, updated_at, active_branch_id, project_repo_id", (p, i) -> {
                p.setBytes(1, bytes(id(T_PROJECTS, i)));
                p.setString(2, "Project " + i + (i % 3 == 0 ? " 📈" : ""));
                p.setBytes(3, bytes(id(T_WORKSPACES, i % workspaces)));
                p.setString(4, ts(i * 4_000L, i));
                p.setString(5, ts(i * 4_000L + 1, i + 1));
                // branch i belongs to project i % projects, so branch i (if any) is one of this project's
                p.setBytes(6, i < branches ? bytes(id(T_BRANCHES, i)) : bytes(NIL));
                p.setBytes(7, repos > 0 && i < repos ? bytes(id(T_PROJECT_REPOS, i)) : null);
            });
            table("branches", "id, project_id, name, revision, sync_status, created_at, updated_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_BRANCHES, i)));
                p.setBytes(2, bytes(id(T_PROJECTS, i % projects)));
                p.setString(3, i < projects ? "main" : "feature/b-" + i);
                p.setString(4, revision(i));
                p.setString(5, i % 5 == 0 ? "pending" : "synced");
                p.setString(6, ts(i * 4_100L, i));
                p.setString(7, ts(i * 4_100L + 5, i + 3));
            });
            table("threads", "id, title, input, output, source, created_at, \"references\", source_type, user_id,"
                    + " is_processing, project_id, sandbox_info", (p, i) -> {
                p.setBytes(1, bytes(id(T_THREADS, i)));
                p.setString(2, TITLES[i % TITLES.length] + " #" + i);
                p.setString(3, TITLES[(i + 3) % TITLES.length] + "?");
                p.setString(4, i % 4 == 0 ? "" : "Done: " + i + " rows.");
                p.setString(5, i % 2 == 0 ? "agents/sales.agent.yml" : "workflows/daily.workflow.yml");
                p.setString(6, ts(i * 600L, i));
                p.setString(7, i % 3 == 0 ? "[]" : "[{\"type\":\"sql\",\"path\":\"queries/q" + (i % 50) + ".sql\"}]");
                p.setString(8, i % 2 == 0 ? "agent" : "workflow");
                p.setBytes(9, i % 10 == 9 ? null : bytes(id(T_USERS, i % users)));
                p.setInt(10, i % 50 == 0 ? 1 : 0);
                p.setBytes(11, i % 7 == 6 ? bytes(NIL) : bytes(id(T_PROJECTS, i % projects)));
                p.setString(12, i % 5 == 0 ? "{\"kind\":\"e2b\",\"config\":{\"cpu\":" + (1 + i % 4) + "}}" : null);
            });
            table("secrets", "id, name, encrypted_value, description, created_at, updated_at, created_by, is_active,"
                    + " project_id", (p, i) -> {
                p.setBytes(1, bytes(id(T_SECRETS, i)));
                p.setString(2, "SECRET_" + i);
                p.setString(3, hexOf(i * 1_000_003L) + ":" + hexOf(i * 7L + 1));
                p.setString(4, i % 2 == 0 ? null : "secret n°" + i);
                p.setString(5, ts(i * 900L, i));
                p.setString(6, ts(i * 900L, i));
                p.setBytes(7, bytes(id(T_USERS, i % users)));
                p.setInt(8, i % 6 == 5 ? 0 : 1);
                p.setBytes(9, i % 3 == 2 ? bytes(NIL) : bytes(id(T_PROJECTS, i % projects)));
            });
            table("api_keys", "id, user_id, key_hash, name, expires_at, last_used_at, created_at, updated_at,"
                    + " is_active, project_id", (p, i) -> {
                p.setBytes(1, bytes(id(T_API_KEYS, i)));
                p.setBytes(2, bytes(id(T_USERS, i % users)));
                p.setString(3, "sha256:" + hexOf(i * 2_654_435_761L) + hexOf(i + 11L));
                p.setString(4, "key " + i);
                p.setString(5, i % 3 == 0 ? ts(i * 900L + 31_536_000L, i) : null);
                p.setString(6, i % 2 == 0 ? ts(i * 900L + 3_600, i + 1) : null);
                p.setString(7, ts(i * 900L, i));
                p.setString(8, ts(i * 900L, i + 2));
                p.setInt(9, i % 4 == 3 ? 0 : 1);
                p.setBytes(10, i % 3 == 2 ? bytes(NIL) : bytes(id(T_PROJECTS, i % projects)));
            });
            table("messages", "id, content, is_human, thread_id, created_at, input_tokens, output_tokens", (p, i) -> {
                boolean human = i % 2 == 0;
                p.setBytes(1, bytes(id(T_MESSAGES, i)));
                p.setString(2, human ? TITLES[i % TITLES.length] + " — question " + i : paragraph(i));
                p.setInt(3, human ? 1 : 0);
                p.setBytes(4, bytes(id(T_THREADS, messageThread(i, threads))));
                p.setString(5, ts(i * 7L, i));
                p.setInt(6, human ? 0 : 50 + rnd.nextInt(4_000));
                p.setInt(7, human ? 0 : 20 + rnd.nextInt(2_000));
            });
            table("artifacts", "id, content, kind, message_id, thread_id, created_at", (p, i) -> {
                long m = (i * 7L + 1) % messages;
                p.setBytes(1, bytes(id(T_ARTIFACTS, i)));
                p.setString(2, artifactJson(i));
                p.setString(3, KINDS[i % KINDS.length]);
                p.setBytes(4, bytes(id(T_MESSAGES, m)));
                p.setBytes(5, bytes(id(T_THREADS, messageThread(m, threads))));
                p.setString(6, ts(m * 7L + 1, i));
            });
            table("logs", "id, user_id, prompts, thread_id, log, created_at, updated_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_LOGS, i)));
                p.setBytes(2, bytes(id(T_USERS, i % users)));
                p.setString(3, paragraph(i + 1));
                p.setBytes(4, bytes(id(T_THREADS, i % threads)));
                p.setString(5, "{\"model\":\"gpt-4o\",\"usage\":{\"input\":" + rnd.nextInt(5_000) + ",\"output\":"
                        + rnd.nextInt(3_000) + "},\"steps\":[{\"tool\":\"sql\",\"ms\":" + rnd.nextInt(900)
                        + "},{\"tool\":\"chart\",\"ok\":" + (i % 9 != 0) + "}],\"note\":\"" + NOTES[i % NOTES.length] + "\"}");
                p.setString(6, ts(i * 11L, i));
                p.setString(7, ts(i * 11L + 2, i + 1));
            });
            table("runs", "id, source_id, run_index, root_source_id, root_run_index, metadata, blocks, children, error,"
                    + " created_at, updated_at, project_id, root_replay_ref, branch_id, variables, output, lookup_id,"
                    + " user_id", (p, i) -> {
                long b = i % branches;
                p.setBytes(1, bytes(id(T_RUNS, i)));
                p.setString(2, "workflows/w" + (i % 50) + ".workflow.yml");
                p.setInt(3, i);                        // unique per run: (project, branch, source, run_index) stays unique
                boolean replay = i % 10 == 9;
                p.setString(4, replay ? "workflows/w" + (i % 50) + ".workflow.yml" : null);
                if (replay) p.setInt(5, i - 1); else p.setNull(5, Types.INTEGER);
                p.setString(6, "{\"trigger\":\"" + (i % 2 == 0 ? "cron" : "api") + "\",\"labels\":{\"n\":" + i + "}}");
                p.setString(7, "{\"b1\":{\"type\":\"task\",\"children\":[\"b2\"]},\"b2\":{\"type\":\"sql\",\"q\":\"SELECT "
                        + i + "\"}}");
                p.setString(8, "[]");
                p.setString(9, i % 20 == 19 ? "Error " + i + ": timeout ⏱" : null);
                p.setString(10, ts(i * 13L, i));
                p.setString(11, ts(i * 13L + 4, i + 1));
                p.setBytes(12, bytes(id(T_PROJECTS, b % projects)));
                p.setString(13, replay ? "workflows/w" + (i % 50) + ".workflow.yml::" + (i - 1) : null);
                p.setBytes(14, bytes(id(T_BRANCHES, b)));
                p.setString(15, "{\"date\":\"2025-06-" + (10 + i % 20) + "\"}");
                p.setString(16, i % 20 == 19 ? null : "{\"rows\":" + (i % 100) + "}");
                p.setBytes(17, i % 4 == 0 ? bytes(id(T_RUNS + 0x100, i)) : null);
                p.setBytes(18, i % 3 == 0 ? null : bytes(id(T_USERS, i % users)));
            });
            table("checkpoints", "id, run_id, replay_id, checkpoint_hash, output, events, child_run_info, loop_values,"
                    + " created_at, updated_at", (p, i) -> {
                long r = i % runs, step = i / runs;
                p.setBytes(1, bytes(id(T_CHECKPOINTS, i)));
                p.setBytes(2, bytes(id(T_RUNS, r)));
                p.setString(3, "b" + (step + 1));            // (run_id, replay_id) unique
                p.setString(4, hexOf(i * 40_503L) + hexOf(r));
                p.setString(5, "{\"value\":" + i + "}");
                p.setString(6, "[{\"kind\":\"start\",\"t\":" + i + "},{\"kind\":\"end\"}]");
                p.setString(7, i % 8 == 0 ? "{\"run\":{\"run_index\":" + r + "}}" : null);
                p.setString(8, i % 5 == 0 ? "[1,2,3]" : null);
                p.setString(9, ts(r * 13L + step, i));
                p.setString(10, ts(r * 13L + step, i));
            });
            table("settings", "github_token, selected_repo_id, onboarded, revision, sync_status, created_at, updated_at",
                    (p, i) -> {
                p.setString(1, "ghp_" + hexOf(i));
                p.setLong(2, 100_000L + i);
                p.setInt(3, i % 2);
                p.setString(4, revision(i));
                p.setString(5, "synced");
                p.setString(6, ts(i, i));
                p.setString(7, ts(i, i));
            });
            table("tasks", "id, title, question, answer, file_path, created_at", (p, i) -> {
                p.setBytes(1, bytes(id(T_TASKS, i)));
                p.setString(2, "Task " + i);
                p.setString(3, TITLES[i % TITLES.length] + "?");
                p.setString(4, i % 3 == 0 ? "" : paragraph(i + 2));
                p.setString(5, "tasks/t" + i + ".task.yml");
                p.setString(6, ts(i * 97L, i));
            });
        }

        void table(String table, String columns, RowWriter writer) throws SQLException {
            int rows = count(table);
            if (rows == 0) return;
            String marks = String.join(", ", Collections.nCopies(columns.split(",").length, "?"));
            try (PreparedStatement p = c.prepareStatement("INSERT INTO \"" + table + "\" (" + columns + ") VALUES (" + marks + ")")) {
                for (int i = 0; i < rows; i++) {
                    writer.write(p, i);
                    p.addBatch();
                    if (i % 2_000 == 1_999) p.executeBatch();
                }
                p.executeBatch();
            }
        }

        /** Timestamp {@code offsetSeconds} after 2025-01-01 UTC, in one of Oxy's forms chosen by {@code variant}. */
        String ts(long offsetSeconds, long variant) {
            long epoch = baseSecond + offsetSeconds;
            int form = Math.floorMod(variant, 5);
            int nanos = (int) Math.floorMod(variant * 123_456_789L + offsetSeconds, 1_000_000_000L);
            return formatTimestamp(epoch, nanos, form);
        }

        String paragraph(long i) {
            StringBuilder sb = new StringBuilder(256);
            int words = 12 + (int) (i % 40);
            for (int w = 0; w < words; w++) {
                if (w > 0) sb.append(' ');
                sb.append(WORDS[(int) ((i * 31 + w * 7) % WORDS.length)]);
            }
            return sb.append('.').toString();
        }

        String artifactJson(long i) {
            return "{\"sql\":\"SELECT region, sum(revenue) FROM sales WHERE id > " + i + " GROUP BY 1\",\"result\":{"
                    + "\"columns\":[\"region\",\"revenue\"],\"rows\":[[\"EMEA\"," + (i % 1000) + ".5],[\"日本\",null],"
                    + "[\"Zürich\"," + (i * 3 % 777) + "]]},\"meta\":{\"ms\":" + (i % 900) + ",\"cached\":" + (i % 2 == 0) + "}}";
        }
    }

    @FunctionalInterface
    private interface RowWriter { void write(PreparedStatement p, int i) throws SQLException; }

    private static long messageThread(long message, int threads) { return message % threads; }

    private static final String[] NAMES = {"Alice", "Bob", "Chloé", "Dmitri", "Émilie", "Fatima", "郭", "Håkon", "Ines", "João"};
    private static final String[] TITLES = {
        "Revenue by region", "Churn last quarter", "Top customers 🏆", "売上の推移", "Coût par clic", "Weekly active users",
        "Ventas por país", "Umsatz nach Monat", "Latency p99 ⏱", "Inventory levels"};
    private static final String[] WORDS = {
        "the", "revenue", "grew", "by", "twelve", "percent", "in", "EMEA", "while", "churn", "fell", "🚀", "données",
        "über", "売上", "naïve", "query", "returned", "rows", "with", "average", "latency", "of", "42ms", "and",
        "a", "chart", "was", "rendered", "for", "café", "managers"};
    private static final String[] KINDS = {"execute_sql", "workflow", "agent", "semantic_query", "data_app"};
    private static final String[] NOTES = {"ok", "retry", "cached ✓", "slow", "空"};

    private static String revision(long i) {
        String h = hexOf(i * 0x9E3779B97F4A7C15L) + hexOf(i + 0x1234567L) + "00000000000000000000000000000000";
        return h.substring(0, 40);
    }

    private static String hexOf(long v) { return String.format("%016x", v); }

    // ---- formatting helpers -----------------------------------------------------------------------------------

    /**
     * Formats an instant the way Oxy's file holds it: form 0 = "YYYY-MM-DD HH:MM:SS" (CURRENT_TIMESTAMP, UTC);
     * forms 1–4 = "YYYY-MM-DDTHH:MM:SS[.f]+00:00" with 0, 3, 6 or 9 fraction digits (nanos truncated).
     */
    static String formatTimestamp(long epochSecond, int nanos, int form) {
        long days = Math.floorDiv(epochSecond, 86_400L);
        int secs = (int) Math.floorMod(epochSecond, 86_400L);
        java.time.LocalDate d = java.time.LocalDate.ofEpochDay(days);
        StringBuilder sb = new StringBuilder(35);
        pad(sb, d.getYear(), 4).append('-');
        pad(sb, d.getMonthValue(), 2).append('-');
        pad(sb, d.getDayOfMonth(), 2).append(form == 0 ? ' ' : 'T');
        pad(sb, secs / 3600, 2).append(':');
        pad(sb, secs / 60 % 60, 2).append(':');
        pad(sb, secs % 60, 2);
        if (form == 0) return sb.toString();
        int digits = (form - 1) * 3;
        if (digits > 0) {
            sb.append('.');
            String f = String.format("%09d", nanos);
            sb.append(f, 0, digits);
        }
        return sb.append("+00:00").toString();
    }

    private static StringBuilder pad(StringBuilder sb, int v, int width) {
        String s = Integer.toString(v);
        for (int k = s.length(); k < width; k++) sb.append('0');
        return sb.append(s);
    }

    /** The 16 bytes Oxy stores for a uuid (big-endian, RFC 4122 order: what Rust's Uuid::as_bytes gives). */
    static byte[] bytes(UUID u) {
        return ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
    }

    /** The uuid of 16 stored bytes. */
    static UUID fromBytes(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        return new UUID(bb.getLong(), bb.getLong());
    }

    /** 32 lowercase hex digits, no hyphens. */
    static String hex32(UUID u) { return u.toString().replace("-", ""); }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    /** A value bound as TEXT as is (used for uuids stored as text). */
    private record Text(String value) {}

    @FunctionalInterface
    private interface SqlWork { void run(Connection c) throws SQLException; }

    private void inTransaction(SqlWork work) {
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA foreign_keys=OFF");  // Oxy's files can hold orphans; so can ours
                s.execute("PRAGMA synchronous=OFF");   // a test fixture: speed over durability
                s.execute("PRAGMA cache_size=-65536");
            }
            c.setAutoCommit(false);
            try {
                work.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    /** INSERT INTO table (k1, k2, …) VALUES (v1, v2, …) from name/value pairs. */
    private void insert(Connection c, String table, Object... pairs) throws SQLException {
        List<String> cols = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) cols.add("\"" + pairs[i] + "\"");
        String sql = "INSERT INTO \"" + table + "\" (" + String.join(", ", cols) + ") VALUES ("
                + String.join(", ", Collections.nCopies(cols.size(), "?")) + ")";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 1; i < pairs.length; i += 2) bind(p, (i + 1) / 2, pairs[i]);
            p.executeUpdate();
        }
    }

    private static void bind(PreparedStatement p, int index, Object v) throws SQLException {
        if (v == null) p.setNull(index, Types.NULL);
        else if (v instanceof UUID u) p.setBytes(index, bytes(u));
        else if (v instanceof Text t) p.setString(index, t.value());
        else if (v instanceof Boolean b) p.setInt(index, b ? 1 : 0);
        else if (v instanceof Integer i) p.setInt(index, i);
        else if (v instanceof Long l) p.setLong(index, l);
        else if (v instanceof String s) p.setString(index, s);
        else if (v instanceof byte[] b) p.setBytes(index, b);
        else throw new IllegalArgumentException("cannot bind " + v.getClass());
    }

    private OxySqliteFile count(String table, int rows) {
        counts.merge(table, rows, Integer::sum);
        return this;
    }

    @SuppressWarnings("unchecked")
    private static <K, V> Map<K, V> orderedMap(Object... pairs) {
        Map<K, V> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((K) pairs[i], (V) pairs[i + 1]);
        return Collections.unmodifiableMap(m);
    }

    // ---- DDL: Oxy's SQLite shape of the V1 schema ------------------------------------------------------------

    private static final String NIL_BLOB = "X'00000000000000000000000000000000'";

    private static final List<String> DDL = List.of(
        "CREATE TABLE \"seaql_migrations\" ( \"version\" varchar NOT NULL PRIMARY KEY, \"applied_at\" bigint NOT NULL )",

        "CREATE TABLE \"users\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"email\" varchar NOT NULL UNIQUE,"
            + " \"name\" varchar NOT NULL,"
            + " \"picture\" varchar NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"last_login_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"password_hash\" varchar NULL,"
            + " \"email_verified\" boolean NOT NULL DEFAULT FALSE,"
            + " \"email_verification_token\" varchar NULL,"
            + " \"role\" varchar NOT NULL DEFAULT 'member',"
            + " \"status\" varchar NOT NULL DEFAULT 'active' )",
        "CREATE INDEX \"idx_users_email\" ON \"users\" (\"email\")",
        "CREATE INDEX \"idx_users_email_verification_token\" ON \"users\" (\"email_verification_token\")",
        "CREATE INDEX \"idx_users_role\" ON \"users\" (\"role\")",
        "CREATE INDEX \"idx_users_status\" ON \"users\" (\"status\")",

        "CREATE TABLE \"workspaces\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"name\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",

        "CREATE TABLE \"git_namespaces\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"installation_id\" bigint NOT NULL,"
            + " \"name\" varchar NOT NULL,"
            + " \"owner_type\" varchar NOT NULL,"
            + " \"provider\" varchar NOT NULL,"
            + " \"slug\" varchar NOT NULL,"
            + " \"user_id\" uuid_text NOT NULL,"
            + " \"oauth_token\" varchar NOT NULL )",

        "CREATE TABLE \"workspace_users\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"workspace_id\" uuid_text NOT NULL,"
            + " \"user_id\" uuid_text NOT NULL,"
            + " \"role\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",

        "CREATE TABLE \"project_repos\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"repo_id\" varchar NOT NULL,"
            + " \"git_namespace_id\" uuid_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",

        "CREATE TABLE \"projects\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"name\" varchar NOT NULL,"
            + " \"workspace_id\" uuid_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"active_branch_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " \"project_repo_id\" uuid_text NULL )",

        "CREATE TABLE \"branches\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"project_id\" uuid_text NOT NULL,"
            + " \"name\" varchar(255) NOT NULL,"
            + " \"revision\" char(40) NOT NULL,"
            + " \"sync_status\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL )",

        "CREATE TABLE \"threads\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"title\" varchar NOT NULL,"
            + " \"input\" varchar NOT NULL,"
            + " \"output\" varchar NOT NULL,"
            + " \"source\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"references\" text NOT NULL,"
            + " \"source_type\" varchar NOT NULL DEFAULT '',"
            + " \"user_id\" uuid_text NULL,"
            + " \"is_processing\" boolean NOT NULL DEFAULT FALSE,"
            + " \"project_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " \"sandbox_info\" json_text NULL,"
            + " CONSTRAINT \"fk_threads_user_id\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )",
        "CREATE INDEX \"idx_threads_user_id\" ON \"threads\" (\"user_id\")",

        "CREATE TABLE \"secrets\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"name\" varchar NOT NULL,"
            + " \"encrypted_value\" text NOT NULL,"
            + " \"description\" text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"created_by\" uuid_text NOT NULL,"
            + " \"is_active\" boolean NOT NULL DEFAULT TRUE,"
            + " \"project_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " CONSTRAINT \"fk_secrets_created_by\" FOREIGN KEY (\"created_by\") REFERENCES \"users\" (\"id\")"
            + " ON DELETE RESTRICT ON UPDATE CASCADE )",
        "CREATE INDEX \"idx_secrets_created_by\" ON \"secrets\" (\"created_by\")",
        "CREATE INDEX \"idx_secrets_is_active\" ON \"secrets\" (\"is_active\")",
        "CREATE INDEX \"idx_secrets_name_active\" ON \"secrets\" (\"name\", \"is_active\")",

        "CREATE TABLE \"api_keys\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"user_id\" uuid_text NOT NULL,"
            + " \"key_hash\" varchar NOT NULL,"
            + " \"name\" varchar NOT NULL,"
            + " \"expires_at\" timestamp_with_timezone_text NULL,"
            + " \"last_used_at\" timestamp_with_timezone_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"is_active\" boolean NOT NULL DEFAULT TRUE,"
            + " \"project_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " CONSTRAINT \"fk_api_keys_user_id\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\")"
            + " ON DELETE CASCADE )",
        "CREATE INDEX \"idx_api_keys_user_id\" ON \"api_keys\" (\"user_id\")",
        "CREATE INDEX \"idx_api_keys_key_hash\" ON \"api_keys\" (\"key_hash\")",
        "CREATE INDEX \"idx_api_keys_is_active\" ON \"api_keys\" (\"is_active\")",

        "CREATE TABLE \"messages\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"content\" text NOT NULL,"
            + " \"is_human\" boolean NOT NULL,"
            + " \"thread_id\" uuid_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"input_tokens\" integer NOT NULL DEFAULT 0,"
            + " \"output_tokens\" integer NOT NULL DEFAULT 0,"
            + " CONSTRAINT \"fk-thread-id\" FOREIGN KEY (\"thread_id\") REFERENCES \"threads\" (\"id\")"
            + " ON DELETE CASCADE )",

        "CREATE TABLE \"artifacts\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"content\" json_text NOT NULL,"
            + " \"kind\" varchar NOT NULL,"
            + " \"message_id\" uuid_text NOT NULL,"
            + " \"thread_id\" uuid_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk-artifacts-threads-id\" FOREIGN KEY (\"thread_id\") REFERENCES \"threads\" (\"id\")"
            + " ON DELETE CASCADE,"
            + " CONSTRAINT \"fk-artifacts-messages-id\" FOREIGN KEY (\"message_id\") REFERENCES \"messages\" (\"id\")"
            + " ON DELETE CASCADE )",

        "CREATE TABLE \"logs\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"user_id\" uuid_text NOT NULL,"
            + " \"prompts\" text NOT NULL,"
            + " \"thread_id\" uuid_text NOT NULL,"
            + " \"log\" json_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL,"
            + " CONSTRAINT \"fk_logs_user_id\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION,"
            + " CONSTRAINT \"fk_logs_thread_id\" FOREIGN KEY (\"thread_id\") REFERENCES \"threads\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )",

        "CREATE TABLE \"runs\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"source_id\" varchar NOT NULL,"
            + " \"run_index\" integer NULL,"
            + " \"root_source_id\" varchar NULL,"
            + " \"root_run_index\" integer NULL,"
            + " \"metadata\" json_text NULL,"
            + " \"blocks\" json_text NULL,"
            + " \"children\" json_text NULL,"
            + " \"error\" varchar NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"project_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " \"root_replay_ref\" varchar NULL,"
            + " \"branch_id\" uuid_text NOT NULL DEFAULT " + NIL_BLOB + ","
            + " \"variables\" json_text NULL,"
            + " \"output\" json_text NULL,"
            + " \"lookup_id\" uuid_text NULL,"
            + " \"user_id\" uuid_text NULL,"
            + " CONSTRAINT \"fk_runs_user_id\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )",
        "CREATE UNIQUE INDEX \"idx_unique_source_runindex\" ON \"runs\" (\"project_id\", \"branch_id\", \"source_id\","
            + " \"run_index\") WHERE \"run_index\" IS NOT NULL",
        "CREATE INDEX \"idx_runs_user_id\" ON \"runs\" (\"user_id\")",

        "CREATE TABLE \"checkpoints\" ("
            + " \"id\" uuid_text NOT NULL,"
            + " \"run_id\" uuid_text NOT NULL,"
            + " \"replay_id\" varchar NOT NULL,"
            + " \"checkpoint_hash\" varchar NOT NULL,"
            + " \"output\" json_text NULL,"
            + " \"events\" json_text NULL,"
            + " \"child_run_info\" json_text NULL,"
            + " \"loop_values\" json_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL,"
            + " CONSTRAINT \"fk_checkpoints_run_id\" FOREIGN KEY (\"run_id\") REFERENCES \"runs\" (\"id\")"
            + " ON DELETE CASCADE )",
        "CREATE UNIQUE INDEX \"idx_unique_run_replay_checkpoint\" ON \"checkpoints\" (\"run_id\", \"replay_id\")",

        "CREATE TABLE \"settings\" ("
            + " \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
            + " \"github_token\" text NOT NULL,"
            + " \"selected_repo_id\" bigint NULL,"
            + " \"onboarded\" boolean NOT NULL DEFAULT FALSE,"
            + " \"revision\" text NULL,"
            + " \"sync_status\" varchar(20) NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",

        "CREATE TABLE \"tasks\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"title\" varchar NOT NULL,"
            + " \"question\" varchar NOT NULL,"
            + " \"answer\" varchar NOT NULL,"
            + " \"file_path\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",

        // Slack and A2A tables (no PostgreSQL counterpart in V1)
        "CREATE TABLE \"slack_channel_bindings\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"slack_team_id\" varchar NOT NULL,"
            + " \"slack_channel_id\" varchar NOT NULL,"
            + " \"oxy_project_id\" uuid_text NOT NULL,"
            + " \"default_agent_id\" varchar NOT NULL,"
            + " \"created_by_slack_user_id\" varchar NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP )",
        "CREATE UNIQUE INDEX \"idx_slack_channel_bindings_unique\" ON \"slack_channel_bindings\""
            + " (\"slack_team_id\", \"slack_channel_id\")",

        "CREATE TABLE \"slack_user_identities\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"slack_team_id\" varchar NOT NULL,"
            + " \"slack_user_id\" varchar NOT NULL,"
            + " \"oxy_user_id\" uuid_text NOT NULL,"
            + " \"linked_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"last_seen_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_slack_user_identities_oxy_user_id\" FOREIGN KEY (\"oxy_user_id\")"
            + " REFERENCES \"users\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION )",

        "CREATE TABLE \"slack_conversation_contexts\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"slack_team_id\" varchar NOT NULL,"
            + " \"slack_channel_id\" varchar NOT NULL,"
            + " \"slack_thread_ts\" varchar NOT NULL,"
            + " \"oxy_session_id\" uuid_text NOT NULL,"
            + " \"last_slack_message_ts\" varchar NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_slack_conversation_contexts_oxy_session_id\" FOREIGN KEY (\"oxy_session_id\")"
            + " REFERENCES \"threads\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION )",

        "CREATE TABLE \"a2a_tasks\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"agent_name\" varchar NOT NULL,"
            + " \"thread_id\" uuid_text NULL,"
            + " \"run_id\" uuid_text NULL,"
            + " \"context_id\" varchar NULL,"
            + " \"state\" varchar NOT NULL,"
            + " \"metadata\" json_text NOT NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " \"updated_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_a2a_tasks_thread_id\" FOREIGN KEY (\"thread_id\") REFERENCES \"threads\" (\"id\")"
            + " ON DELETE SET NULL ON UPDATE NO ACTION,"
            + " CONSTRAINT \"fk_a2a_tasks_run_id\" FOREIGN KEY (\"run_id\") REFERENCES \"runs\" (\"id\")"
            + " ON DELETE SET NULL ON UPDATE NO ACTION )",

        "CREATE TABLE \"a2a_messages\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"task_id\" uuid_text NULL,"
            + " \"context_id\" varchar NULL,"
            + " \"agent_name\" varchar NOT NULL,"
            + " \"role\" varchar NOT NULL,"
            + " \"sequence_number\" integer NOT NULL,"
            + " \"parts\" json_text NOT NULL,"
            + " \"metadata\" json_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_a2a_messages_task_id\" FOREIGN KEY (\"task_id\") REFERENCES \"a2a_tasks\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )",

        "CREATE TABLE \"a2a_task_status\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"task_id\" uuid_text NOT NULL,"
            + " \"agent_name\" varchar NOT NULL,"
            + " \"state\" varchar NOT NULL,"
            + " \"message_id\" uuid_text NULL,"
            + " \"metadata\" json_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_a2a_task_status_task_id\" FOREIGN KEY (\"task_id\") REFERENCES \"a2a_tasks\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )",

        "CREATE TABLE \"a2a_artifacts\" ("
            + " \"id\" uuid_text NOT NULL PRIMARY KEY,"
            + " \"task_id\" uuid_text NOT NULL,"
            + " \"agent_name\" varchar NOT NULL,"
            + " \"sequence_number\" integer NOT NULL,"
            + " \"description\" text NULL,"
            + " \"parts\" json_text NOT NULL,"
            + " \"storage_location\" varchar NULL,"
            + " \"size_bytes\" bigint NULL,"
            + " \"metadata\" json_text NULL,"
            + " \"created_at\" timestamp_with_timezone_text NOT NULL DEFAULT CURRENT_TIMESTAMP,"
            + " CONSTRAINT \"fk_a2a_artifacts_task_id\" FOREIGN KEY (\"task_id\") REFERENCES \"a2a_tasks\" (\"id\")"
            + " ON DELETE CASCADE ON UPDATE NO ACTION )"
    );
}
