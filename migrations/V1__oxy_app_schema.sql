-- Oxy application schema for PostgreSQL: the 17 tables of Oxy's SQLite-to-PostgreSQL migration guide.
-- Mirrors oxy-hq/oxy crates/migration at commit 119c7a3a951c7183b16743046b6756082909332b (PostgreSQL code path).

-- Notes (where this file knowingly departs from, or documents, Oxy's own DDL):
--   * Oxy's SeaORM migrations declare `json`; this file uses `jsonb` for those columns.
--   * settings.id is `serial` in Oxy; here it is an identity column (same sequence name, settings_id_seq).
--   * Only the foreign keys Oxy's migrations actually create are declared. Oxy's SeaORM entities also
--     declare relations on workspace_id, project_id, branch_id, project_repo_id, git_namespace_id,
--     lookup_id and workspace_users/git_namespaces.user_id, but no database constraint exists for them
--     (their columns often hold the nil uuid), so none is created here.
--   * workspaces / workspace_users were created as organizations / organization_users and renamed;
--     PostgreSQL keeps the original primary-key names, reproduced below.
--   * checkpoints has no primary key in Oxy (only a unique index on run_id, replay_id).

-- users -------------------------------------------------------------------------------------------
CREATE TABLE users (
    id                       uuid                     NOT NULL,
    email                    varchar                  NOT NULL,
    name                     varchar                  NOT NULL,
    picture                  varchar                  NULL,
    created_at               timestamptz              NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login_at            timestamptz              NOT NULL DEFAULT CURRENT_TIMESTAMP,
    password_hash            varchar                  NULL,
    email_verified           boolean                  NOT NULL DEFAULT false,
    email_verification_token varchar                  NULL,
    role                     varchar                  NOT NULL DEFAULT 'member',
    status                   varchar                  NOT NULL DEFAULT 'active',
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX idx_users_email ON users (email);
CREATE INDEX idx_users_email_verification_token ON users (email_verification_token);
CREATE INDEX idx_users_role ON users (role);
CREATE INDEX idx_users_status ON users (status);

-- workspaces (created as "organizations") ---------------------------------------------------------
CREATE TABLE workspaces (
    id         uuid        NOT NULL,
    name       varchar     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT organizations_pkey PRIMARY KEY (id)
);

-- git_namespaces ------------------------------------------------------------------------------------
CREATE TABLE git_namespaces (
    id              uuid    NOT NULL,
    installation_id bigint  NOT NULL,
    name            varchar NOT NULL,
    owner_type      varchar NOT NULL,
    provider        varchar NOT NULL,
    slug            varchar NOT NULL,
    user_id         uuid    NOT NULL,
    oauth_token     varchar NOT NULL,
    CONSTRAINT git_namespaces_pkey PRIMARY KEY (id)
);

-- workspace_users (created as "organization_users") -------------------------------------------------
CREATE TABLE workspace_users (
    id           uuid        NOT NULL,
    workspace_id uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    role         varchar     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT organization_users_pkey PRIMARY KEY (id)
);

-- project_repos -------------------------------------------------------------------------------------
CREATE TABLE project_repos (
    id               uuid        NOT NULL,
    repo_id          varchar     NOT NULL,
    git_namespace_id uuid        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT project_repos_pkey PRIMARY KEY (id)
);

-- projects ------------------------------------------------------------------------------------------
CREATE TABLE projects (
    id               uuid        NOT NULL,
    name             varchar     NOT NULL,
    workspace_id     uuid        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    active_branch_id uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    project_repo_id  uuid        NULL,
    CONSTRAINT projects_pkey PRIMARY KEY (id)
);

-- branches ------------------------------------------------------------------------------------------
CREATE TABLE branches (
    id          uuid         NOT NULL,
    project_id  uuid         NOT NULL,
    name        varchar(255) NOT NULL,
    revision    char(40)     NOT NULL,
    sync_status varchar      NOT NULL,
    created_at  timestamptz  NOT NULL,
    updated_at  timestamptz  NOT NULL,
    CONSTRAINT branches_pkey PRIMARY KEY (id)
);

-- threads -------------------------------------------------------------------------------------------
CREATE TABLE threads (
    id            uuid        NOT NULL,
    title         varchar     NOT NULL,
    input         varchar     NOT NULL,
    output        varchar     NOT NULL,
    source        varchar     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "references"  text        NOT NULL,
    source_type   varchar     NOT NULL DEFAULT '',
    user_id       uuid        NULL,
    is_processing boolean     NOT NULL DEFAULT false,
    project_id    uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    sandbox_info  jsonb       NULL,
    CONSTRAINT threads_pkey PRIMARY KEY (id),
    CONSTRAINT fk_threads_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION
);
CREATE INDEX idx_threads_user_id ON threads (user_id);

-- secrets -------------------------------------------------------------------------------------------
CREATE TABLE secrets (
    id              uuid        NOT NULL,
    name            varchar     NOT NULL,
    encrypted_value text        NOT NULL,
    description     text        NULL,
    created_at      timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by      uuid        NOT NULL,
    is_active       boolean     NOT NULL DEFAULT true,
    project_id      uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    CONSTRAINT secrets_pkey PRIMARY KEY (id),
    CONSTRAINT fk_secrets_created_by FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX idx_secrets_created_by ON secrets (created_by);
CREATE INDEX idx_secrets_is_active ON secrets (is_active);
CREATE INDEX idx_secrets_name_active ON secrets (name, is_active);

-- api_keys ------------------------------------------------------------------------------------------
CREATE TABLE api_keys (
    id           uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    key_hash     varchar     NOT NULL,
    name         varchar     NOT NULL,
    expires_at   timestamptz NULL,
    last_used_at timestamptz NULL,
    created_at   timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    is_active    boolean     NOT NULL DEFAULT true,
    project_id   uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX idx_api_keys_user_id ON api_keys (user_id);
CREATE INDEX idx_api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX idx_api_keys_is_active ON api_keys (is_active);

-- messages ------------------------------------------------------------------------------------------
CREATE TABLE messages (
    id            uuid        NOT NULL,
    content       text        NOT NULL,
    is_human      boolean     NOT NULL,
    thread_id     uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    input_tokens  integer     NOT NULL DEFAULT 0,
    output_tokens integer     NOT NULL DEFAULT 0,
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT "fk-thread-id" FOREIGN KEY (thread_id)
        REFERENCES threads (id) ON DELETE CASCADE
);

-- artifacts -----------------------------------------------------------------------------------------
CREATE TABLE artifacts (
    id         uuid        NOT NULL,
    content    jsonb       NOT NULL,
    kind       varchar     NOT NULL,
    message_id uuid        NOT NULL,
    thread_id  uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT artifacts_pkey PRIMARY KEY (id),
    CONSTRAINT "fk-artifacts-threads-id" FOREIGN KEY (thread_id)
        REFERENCES threads (id) ON DELETE CASCADE,
    CONSTRAINT "fk-artifacts-messages-id" FOREIGN KEY (message_id)
        REFERENCES messages (id) ON DELETE CASCADE
);

-- logs ----------------------------------------------------------------------------------------------
CREATE TABLE logs (
    id         uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    prompts    text        NOT NULL,
    thread_id  uuid        NOT NULL,
    log        jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT logs_pkey PRIMARY KEY (id),
    CONSTRAINT fk_logs_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT fk_logs_thread_id FOREIGN KEY (thread_id)
        REFERENCES threads (id) ON DELETE CASCADE ON UPDATE NO ACTION
);

-- runs ----------------------------------------------------------------------------------------------
-- Column order follows Oxy's PostgreSQL history (root_replay_ref was re-added as varchar).
CREATE TABLE runs (
    id              uuid        NOT NULL,
    source_id       varchar     NOT NULL,
    run_index       integer     NULL,
    root_source_id  varchar     NULL,
    root_run_index  integer     NULL,
    metadata        jsonb       NULL,
    blocks          jsonb       NULL,
    children        jsonb       NULL,
    error           varchar     NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    project_id      uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    root_replay_ref varchar     NULL,
    branch_id       uuid        NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
    variables       jsonb       NULL,
    output          jsonb       NULL,
    lookup_id       uuid        NULL,
    user_id         uuid        NULL,
    CONSTRAINT runs_pkey PRIMARY KEY (id),
    CONSTRAINT fk_runs_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE ON UPDATE NO ACTION
);
CREATE UNIQUE INDEX idx_unique_source_runindex
    ON runs (project_id, branch_id, source_id, run_index)
    WHERE run_index IS NOT NULL;
CREATE INDEX idx_runs_user_id ON runs (user_id);

-- checkpoints (no primary key in Oxy) ---------------------------------------------------------------
CREATE TABLE checkpoints (
    id              uuid        NOT NULL,
    run_id          uuid        NOT NULL,
    replay_id       varchar     NOT NULL,
    checkpoint_hash varchar     NOT NULL,
    output          jsonb       NULL,
    events          jsonb       NULL,
    child_run_info  jsonb       NULL,
    loop_values     jsonb       NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT fk_checkpoints_run_id FOREIGN KEY (run_id)
        REFERENCES runs (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_unique_run_replay_checkpoint ON checkpoints (run_id, replay_id);

-- settings ------------------------------------------------------------------------------------------
CREATE TABLE settings (
    id               integer GENERATED BY DEFAULT AS IDENTITY,
    github_token     text        NOT NULL,
    selected_repo_id bigint      NULL,
    onboarded        boolean     NOT NULL DEFAULT false,
    revision         text        NULL,
    sync_status      varchar(20) NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT settings_pkey PRIMARY KEY (id)
);

-- tasks ---------------------------------------------------------------------------------------------
CREATE TABLE tasks (
    id         uuid        NOT NULL,
    title      varchar     NOT NULL,
    question   varchar     NOT NULL,
    answer     varchar     NOT NULL,
    file_path  varchar     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT tasks_pkey PRIMARY KEY (id)
);
