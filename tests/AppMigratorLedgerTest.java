import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * migrations/V2 records Oxy's SeaORM ledger for the schema V1 made, so that Oxy's own migrator (run by `oxy serve`
 * at every start) and ours never fight. No Oxy binary can be built here: {@link #oxyServeMigrates} plays SeaORM's
 * Migrator::up as sea-orm-migration 1.1.20 does it on PostgreSQL, against a real server.
 */
class AppMigratorLedgerTest {
    @RegisterExtension static final ExternalPostgres server = new ExternalPostgres("ledger", "ledger-pw", "app");

    /** Oxy's Migrator::migrations() at 119c7a3 (crates/migration/src/lib.rs), the commit V1 mirrors: what its binary knows. */
    static final List<String> OXY_MIGRATIONS = List.of(
        "m20220101_000001_create_table", "m20241111_110133_add_agent_to_conversation", "m20241112_035850_add_message",
        "m20250307_090813_add_threads", "m20250318_230139_add_thread_references", "m20250501_215840_add_tasks",
        "m20250519_011103_add_workflow_to_threads", "m20250522_011451_drop_messages_and_conversations",
        "m20250523_123859_add_users_table", "m20250523_123900_add_user_id_to_threads", "m20250527_005652_create_table_messages",
        "m20250609_000001_create_api_keys_table", "m20250609_015141_Add_artifacts", "m20250611_015638_add_tokens_to_messages",
        "m20250613_090405_add_auth_fields_to_users", "m20250618_102934_create_github_config_table",
        "m20250624_100000_add_role_to_users", "m20250625_000001_add_status_to_users",
        "m20250625_151048_add_is_processing_to_thread", "m20250626_000001_create_secrets_table",
        "m20250708_021201_create_logs_table", "m20250727_150336_add_run_model", "m20250811_084647_add_organizations_table",
        "m20250811_084822_add_organization_users_table", "m20250811_085101_projects_table", "m20250811_090444_branches_table",
        "m20250813_071440_add_project_id_to_threads_table", "m20250813_071500_add_project_id_to_secrets_table",
        "m20250813_071600_add_project_id_to_runs_table", "m20250819_020551_add_project_id_to_api_keys_table",
        "m20250819_084109_fix_root_replay_ref_type", "m20250902_073902_add_active_branch_id_to_projects_table",
        "m20250902_080016_add_branch_id_to_runs_table", "m20250902_080217_add_project_branch_id_to_run_index_runs_table",
        "m20250923_064746_change_organization_to_workspace", "m20250924_015621_create_project_repos_and_update_projects",
        "m20250929_081920_create_git_namespaces_table", "m20251009_020233_add_run_variables_and_output",
        "m20251104_015138_add_blocks_to_message", "m20251204_000001_create_a2a_tasks_table",
        "m20251204_000002_create_a2a_messages_table", "m20251204_000003_create_a2a_task_status_table",
        "m20251204_000004_create_a2a_artifacts_table", "m20251114_000002_create_slack_channel_bindings_table",
        "m20251114_000003_create_slack_user_identities_table", "m20251114_000004_create_slack_conversation_contexts_table",
        "m20251219_000001_add_user_id_to_runs", "m20260108_000001_drop_fk_runs_project_id",
        "m20260109_000001_add_sandbox_fields_to_threads");

    /**
     * The PostgreSQL SQL of the 7 migrations V1 has no tables for, as sea-query 0.32.7 writes Oxy's code at 119c7a3
     * (the a2a and legacy Slack tables): what `oxy serve` applies on a database migrated here.
     */
    static final Map<String, String> LEFT_TO_OXY = orderedMap(
        "m20251204_000001_create_a2a_tasks_table", """
            CREATE TABLE IF NOT EXISTS "a2a_tasks" ( "id" uuid NOT NULL PRIMARY KEY, "agent_name" varchar NOT NULL, "thread_id" uuid NULL, "run_id" uuid NULL, "context_id" varchar NULL, "state" varchar NOT NULL, "metadata" json NOT NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "fk_a2a_tasks_thread_id" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE SET NULL ON UPDATE NO ACTION, CONSTRAINT "fk_a2a_tasks_run_id" FOREIGN KEY ("run_id") REFERENCES "runs" ("id") ON DELETE SET NULL ON UPDATE NO ACTION );
            CREATE INDEX "idx_a2a_tasks_agent_name_state" ON "a2a_tasks" ("agent_name", "state");
            CREATE INDEX "idx_a2a_tasks_context_id" ON "a2a_tasks" ("context_id");
            CREATE INDEX "idx_a2a_tasks_thread_id" ON "a2a_tasks" ("thread_id");
            """,
        "m20251204_000002_create_a2a_messages_table", """
            CREATE TABLE IF NOT EXISTS "a2a_messages" ( "id" uuid NOT NULL PRIMARY KEY, "task_id" uuid NULL, "context_id" varchar NULL, "agent_name" varchar NOT NULL, "role" varchar NOT NULL, "sequence_number" integer NOT NULL, "parts" json NOT NULL, "metadata" json NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "fk_a2a_messages_task_id" FOREIGN KEY ("task_id") REFERENCES "a2a_tasks" ("id") ON DELETE CASCADE ON UPDATE NO ACTION );
            CREATE INDEX "idx_a2a_messages_task_sequence" ON "a2a_messages" ("task_id", "sequence_number");
            CREATE INDEX "idx_a2a_messages_context_id" ON "a2a_messages" ("context_id");
            CREATE INDEX "idx_a2a_messages_agent_task" ON "a2a_messages" ("agent_name", "task_id");
            """,
        "m20251204_000003_create_a2a_task_status_table", """
            CREATE TABLE IF NOT EXISTS "a2a_task_status" ( "id" uuid NOT NULL PRIMARY KEY, "task_id" uuid NOT NULL, "agent_name" varchar NOT NULL, "state" varchar NOT NULL, "message_id" uuid NULL, "metadata" json NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "fk_a2a_task_status_task_id" FOREIGN KEY ("task_id") REFERENCES "a2a_tasks" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_a2a_task_status_message_id" FOREIGN KEY ("message_id") REFERENCES "a2a_messages" ("id") ON DELETE SET NULL ON UPDATE NO ACTION );
            CREATE INDEX "idx_a2a_task_status_task_created" ON "a2a_task_status" ("task_id", "created_at");
            CREATE INDEX "idx_a2a_task_status_agent_task" ON "a2a_task_status" ("agent_name", "task_id");
            """,
        "m20251204_000004_create_a2a_artifacts_table", """
            CREATE TABLE IF NOT EXISTS "a2a_artifacts" ( "id" uuid NOT NULL PRIMARY KEY, "task_id" uuid NOT NULL, "agent_name" varchar NOT NULL, "sequence_number" integer NOT NULL, "description" text NULL, "parts" json NOT NULL, "storage_location" varchar NULL, "size_bytes" bigint NULL, "metadata" json NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "fk_a2a_artifacts_task_id" FOREIGN KEY ("task_id") REFERENCES "a2a_tasks" ("id") ON DELETE CASCADE ON UPDATE NO ACTION );
            CREATE INDEX "idx_a2a_artifacts_task_sequence" ON "a2a_artifacts" ("task_id", "sequence_number");
            CREATE INDEX "idx_a2a_artifacts_agent_task" ON "a2a_artifacts" ("agent_name", "task_id");
            """,
        "m20251114_000002_create_slack_channel_bindings_table", """
            CREATE TABLE IF NOT EXISTS "slack_channel_bindings" ( "id" uuid NOT NULL PRIMARY KEY, "slack_team_id" varchar NOT NULL, "slack_channel_id" varchar NOT NULL, "oxy_project_id" uuid NOT NULL, "default_agent_id" varchar NOT NULL, "created_by_slack_user_id" varchar NOT NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP );
            CREATE UNIQUE INDEX "idx_slack_channel_bindings_unique" ON "slack_channel_bindings" ("slack_team_id", "slack_channel_id");
            """,
        "m20251114_000003_create_slack_user_identities_table", """
            CREATE TABLE IF NOT EXISTS "slack_user_identities" ( "id" uuid NOT NULL PRIMARY KEY, "slack_team_id" varchar NOT NULL, "slack_user_id" varchar NOT NULL, "oxy_user_id" uuid NOT NULL, "linked_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, "last_seen_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY ("oxy_user_id") REFERENCES "users" ("id") ON DELETE CASCADE );
            CREATE UNIQUE INDEX "idx_slack_user_identities_unique" ON "slack_user_identities" ("slack_team_id", "slack_user_id");
            """,
        "m20251114_000004_create_slack_conversation_contexts_table", """
            CREATE TABLE IF NOT EXISTS "slack_conversation_contexts" ( "id" uuid NOT NULL PRIMARY KEY, "slack_team_id" varchar NOT NULL, "slack_channel_id" varchar NOT NULL, "slack_thread_ts" varchar NOT NULL, "oxy_session_id" uuid NOT NULL, "last_slack_message_ts" varchar NULL, "created_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, "updated_at" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY ("oxy_session_id") REFERENCES "threads" ("id") ON DELETE CASCADE );
            CREATE UNIQUE INDEX "idx_slack_conversation_contexts_unique" ON "slack_conversation_contexts" ("slack_team_id", "slack_channel_id", "slack_thread_ts");
            CREATE INDEX "idx_slack_conversation_contexts_session" ON "slack_conversation_contexts" ("oxy_session_id");
            """);

    @Test
    void aNewDatabaseGetsOxysLedgerForExactlyTheMigrationsV1StandsFor() throws Exception {
        String url = server.newDatabase();
        long before = System.currentTimeMillis() / 1000;
        List<SchemaMigrations.Migration> applied = new SchemaMigrations(PostgresUrl.parse(url)).migrate();
        assertEquals(List.of("V1 oxy app schema", "V2 oxy app migrator ledger"), applied.stream().map(Object::toString).toList());

        try (Connection connection = server.connect(url)) {
            Set<String> ledger = ledger(connection);
            List<String> expected = OXY_MIGRATIONS.stream().filter(version -> !LEFT_TO_OXY.containsKey(version)).toList();
            assertEquals(42, expected.size());
            assertEquals(new LinkedHashSet<>(expected), ledger, "the 42 versions V1 stands for, and none of the a2a / legacy Slack ones");
            assertTrue(ledger.contains("m20250609_015141_Add_artifacts"), "versions are file stems, case and all");
            // SeaORM's own column types (it decodes every row into version: String, applied_at: i64)
            assertEquals("version character varying NO, applied_at bigint NO", OxyCli.queryString(connection,
                "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position) "
                    + "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'seaql_migrations'"));
            assertEquals("version", OxyCli.queryString(connection, "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                + "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'seaql_migrations'::regclass AND i.indisprimary"));
            long now = System.currentTimeMillis() / 1000;
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM seaql_migrations WHERE applied_at NOT BETWEEN "
                + (before - 5) + " AND " + (now + 5)), "applied_at is unix seconds, as SeaORM writes it");
        }
        SchemaOwner owner = SchemaOwner.of(PostgresUrl.parse(url));
        assertEquals(SchemaOwner.Kind.OURS, owner.kind(), owner.describe());
        assertTrue(owner.appMigrator(), owner.describe());
        assertEquals("2", owner.ourVersion().orElseThrow());
        assertEquals(18, owner.tables(), "the 17 app tables and seaql_migrations");
    }

    @Test
    void migratingAgainChangesNothing() throws Exception {
        String url = server.newDatabase();
        new SchemaMigrations(PostgresUrl.parse(url)).migrate();
        String ledgerBefore;
        try (Connection connection = server.connect(url)) {
            ledgerBefore = ledgerText(connection);
        }
        assertEquals(List.of(), new SchemaMigrations(PostgresUrl.parse(url)).migrate());
        try (Connection connection = server.connect(url)) {
            assertEquals(ledgerBefore, ledgerText(connection));
        }
    }

    /** The common case: a database migrated by an older oxy-ops (V1 only, with the app's rows) gets the ledger on the next start. */
    @Test
    void aDatabaseAtV1GetsTheLedgerAndKeepsItsRows() throws Exception {
        String url = server.newDatabase();
        PostgresUrl target = PostgresUrl.parse(url);
        Flyway.configure(SchemaMigrations.class.getClassLoader()).dataSource(target.jdbcUrl(), "ledger", "ledger-pw")
            .locations("classpath:migrations").target("1").load().migrate();
        try (Connection connection = server.connect(url)) {
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM pg_class WHERE relname = 'seaql_migrations'"));
            OxyCli.execute(connection, "INSERT INTO users (id, email, name) VALUES ('00000000-0000-4000-8000-000000000001', 'a@example.com', 'A')");
        }
        assertEquals(List.of("V2 oxy app migrator ledger"), new SchemaMigrations(target).migrate().stream().map(Object::toString).toList());
        try (Connection connection = server.connect(url)) {
            assertEquals(42, OxyCli.queryLong(connection, "SELECT count(*) FROM seaql_migrations"));
            assertEquals("a@example.com", OxyCli.queryString(connection, "SELECT email FROM users"));
        }
    }

    @Test
    void oxyServeThenAppliesOnlyWhatV1LacksAndTheSchemasNeverFight() throws Exception {
        String url = server.newDatabase();
        new SchemaMigrations(PostgresUrl.parse(url)).migrate();
        try (Connection connection = server.connect(url)) {
            assertEquals(List.copyOf(LEFT_TO_OXY.keySet()), oxyServeMigrates(connection), "the first `oxy serve` applies the 7, in Oxy's order");
            assertEquals(49, OxyCli.queryLong(connection, "SELECT count(*) FROM seaql_migrations"));
            assertEquals("a2a_tasks -> threads", OxyCli.queryString(connection, "SELECT conrelid::regclass || ' -> ' || confrelid::regclass "
                + "FROM pg_constraint WHERE conname = 'fk_a2a_tasks_thread_id'"));
            assertEquals(List.of(), oxyServeMigrates(connection), "the next `oxy serve` applies nothing");
        }
        assertEquals(List.of(), new SchemaMigrations(PostgresUrl.parse(url)).migrate(), "and our migrations have nothing left to do either");
    }

    /** An Oxy db.sqlite moved here keeps its own ledger in SQLite: the target's is V2's, so `oxy serve` still makes the 7 tables. */
    @Test
    void theAppsSqliteLedgerIsNotCopiedOverOurs(@TempDir Path files) throws Exception {
        String url = server.newDatabase();
        Path sqlite = OxySqliteFile.create(files.resolve("db.sqlite")).withSampleData().path();
        OxyCli.Result moved = OxyCli.run(OxyCli.env("OXY_STATE_DIR", files.toString()), "migrate_sqlite", "--from", sqlite.toString(), "--to", url);
        assertEquals(0, moved.exitCode(), moved.toString());
        assertTrue(moved.stdout().contains("Skipping seaql_migrations"), moved.stdout());
        try (Connection connection = server.connect(url)) {
            assertEquals(42, OxyCli.queryLong(connection, "SELECT count(*) FROM seaql_migrations"));
            String sqliteStamps = OxySqliteFile.SEAQL_MIGRATIONS.values().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
            assertEquals(0, OxyCli.queryLong(connection, "SELECT count(*) FROM seaql_migrations WHERE applied_at IN (" + sqliteStamps + ")"),
                "no row of the SQLite ledger in ours");
            assertEquals(List.copyOf(LEFT_TO_OXY.keySet()), oxyServeMigrates(connection));
        }
    }

    /**
     * Migrator::up of sea-orm-migration 1.1.20 on PostgreSQL, for the 119c7a3 binary: one transaction; the ledger
     * created if missing; a version in the ledger the binary lacks is an error; pending = the binary's versions
     * not in the ledger, in its order, each applied and recorded. Returns what it applied.
     */
    private static List<String> oxyServeMigrates(Connection connection) throws Exception {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS \"seaql_migrations\" ( \"version\" varchar NOT NULL PRIMARY KEY, \"applied_at\" bigint NOT NULL )");
            Set<String> ledger = ledger(connection);
            for (String version : ledger) {
                assertTrue(OXY_MIGRATIONS.contains(version), "Migration file of version '" + version + "' is missing");
            }
            List<String> applied = new ArrayList<>();
            for (String version : OXY_MIGRATIONS) {
                if (ledger.contains(version)) continue;
                assertTrue(LEFT_TO_OXY.containsKey(version), "Oxy would replay " + version + " over V1's tables");
                statement.execute(LEFT_TO_OXY.get(version));
                statement.execute("INSERT INTO seaql_migrations (version, applied_at) VALUES ('" + version + "', extract(epoch FROM now())::bigint)");
                applied.add(version);
            }
            connection.commit();
            return applied;
        } finally {
            if (!connection.getAutoCommit()) connection.rollback();
            connection.setAutoCommit(true);
        }
    }

    private static Set<String> ledger(Connection connection) throws Exception {
        Set<String> versions = new LinkedHashSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version FROM seaql_migrations ORDER BY version")) {
            while (rows.next()) versions.add(rows.getString(1));
        }
        return versions;
    }

    private static String ledgerText(Connection connection) throws Exception {
        return OxyCli.queryString(connection, "SELECT string_agg(version || '=' || applied_at, ',' ORDER BY version) FROM seaql_migrations");
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) map.put(keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }
}
