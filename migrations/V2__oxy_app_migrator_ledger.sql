-- Oxy's own migration ledger for the schema V1 made, so `oxy serve` finds its work done instead of redoing it.
-- Mirrors oxy-hq/oxy crates/migration/src/lib.rs at commit 119c7a3a951c7183b16743046b6756082909332b (49 migrations).

-- Why: `oxy serve` (and `oxy migrate`) run SeaORM's Migrator::up at every start. It applies every migration whose
-- version string is not in seaql_migrations, all in one transaction on PostgreSQL. On V1's tables with no ledger it
-- replays Oxy's history from the start and fails at m20250318_230139_add_thread_references (column "references"
-- of relation "threads" already exists), so the app never starts. The rows below say "done" for exactly the 42
-- migrations whose tables, columns and indexes V1 creates; SeaORM compares only the version strings (the file
-- stems, case-sensitive), never applied_at or the order.
--
-- Left for Oxy's migrator to apply (V1 lacks their tables, Oxy's SQLite-to-PostgreSQL guide moves only the 17 app
-- tables): m20251204_000001..000004 (a2a_tasks, a2a_messages, a2a_task_status, a2a_artifacts) and the legacy
-- m20251114_000002..000004 (slack_channel_bindings, slack_user_identities, slack_conversation_contexts). Stamping
-- them would keep those tables from ever being made. Newer Oxy releases' migrations are pending too and apply on
-- top, as on Oxy's own database. Never add a version an Oxy binary lacks: SeaORM then refuses to start
-- ("Migration file of version ... is missing").
--
-- The table is SeaORM's own (sea-orm-migration's seaql_migrations entity: version varchar primary key, applied_at
-- bigint unix seconds); IF NOT EXISTS and ON CONFLICT leave a ledger that is already there, and its rows, as they are.

CREATE TABLE IF NOT EXISTS seaql_migrations (
    version    varchar NOT NULL PRIMARY KEY,
    applied_at bigint  NOT NULL
);

-- In Oxy's Migrator::migrations() order.
INSERT INTO seaql_migrations (version, applied_at)
SELECT version, extract(epoch FROM now())::bigint
FROM (VALUES
    ('m20220101_000001_create_table'),
    ('m20241111_110133_add_agent_to_conversation'),
    ('m20241112_035850_add_message'),
    ('m20250307_090813_add_threads'),
    ('m20250318_230139_add_thread_references'),
    ('m20250501_215840_add_tasks'),
    ('m20250519_011103_add_workflow_to_threads'),
    ('m20250522_011451_drop_messages_and_conversations'),
    ('m20250523_123859_add_users_table'),
    ('m20250523_123900_add_user_id_to_threads'),
    ('m20250527_005652_create_table_messages'),
    ('m20250609_000001_create_api_keys_table'),
    ('m20250609_015141_Add_artifacts'),
    ('m20250611_015638_add_tokens_to_messages'),
    ('m20250613_090405_add_auth_fields_to_users'),
    ('m20250618_102934_create_github_config_table'),
    ('m20250624_100000_add_role_to_users'),
    ('m20250625_000001_add_status_to_users'),
    ('m20250625_151048_add_is_processing_to_thread'),
    ('m20250626_000001_create_secrets_table'),
    ('m20250708_021201_create_logs_table'),
    ('m20250727_150336_add_run_model'),
    ('m20250811_084647_add_organizations_table'),
    ('m20250811_084822_add_organization_users_table'),
    ('m20250811_085101_projects_table'),
    ('m20250811_090444_branches_table'),
    ('m20250813_071440_add_project_id_to_threads_table'),
    ('m20250813_071500_add_project_id_to_secrets_table'),
    ('m20250813_071600_add_project_id_to_runs_table'),
    ('m20250819_020551_add_project_id_to_api_keys_table'),
    ('m20250819_084109_fix_root_replay_ref_type'),
    ('m20250902_073902_add_active_branch_id_to_projects_table'),
    ('m20250902_080016_add_branch_id_to_runs_table'),
    ('m20250902_080217_add_project_branch_id_to_run_index_runs_table'),
    ('m20250923_064746_change_organization_to_workspace'),
    ('m20250924_015621_create_project_repos_and_update_projects'),
    ('m20250929_081920_create_git_namespaces_table'),
    ('m20251009_020233_add_run_variables_and_output'),
    ('m20251104_015138_add_blocks_to_message'),
    ('m20251219_000001_add_user_id_to_runs'),
    ('m20260108_000001_drop_fk_runs_project_id'),
    ('m20260109_000001_add_sandbox_fields_to_threads')
) AS stamped (version)
ON CONFLICT (version) DO NOTHING;
