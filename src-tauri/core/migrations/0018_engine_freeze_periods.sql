-- The deploy freeze periods Liftoff created on a CI/CD engine (GitLab's
-- /projects/:id/freeze_periods) to keep it in step with Liftoff's freezes,
-- so a sync updates and deletes only what Liftoff created and never the
-- team's own periods. One row per period on the engine: which GitLab
-- (base_url) and project (engine_project) holds it, its id there
-- (period_id), its cron pair and zone as sent, the Liftoff freeze it stands
-- for (window_id; no foreign key: a deleted freeze's periods must still be
-- found to be deleted) and, for a dated pair, the occurrence's local start
-- (occurrence) and end (ends_at, UTC; after it the pair is stale).
-- environment_id is the target environment it was synced for, credential
-- the name of that environment's credential that created it: with them a
-- period is removed even after no target names its GitLab project any more.
CREATE TABLE engine_freeze_periods (
    id              INTEGER PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    environment_id  TEXT REFERENCES environments (id) ON DELETE SET NULL,
    credential      TEXT NOT NULL,
    base_url        TEXT NOT NULL,
    engine_project  TEXT NOT NULL,
    period_id       INTEGER NOT NULL,
    freeze_start    TEXT NOT NULL,
    freeze_end      TEXT NOT NULL,
    cron_timezone   TEXT NOT NULL,
    window_id       TEXT NOT NULL,
    occurrence      TEXT,
    ends_at         TEXT,
    synced_at       TEXT NOT NULL,
    UNIQUE (base_url, engine_project, period_id)
);

CREATE INDEX engine_freeze_periods_by_project ON engine_freeze_periods (project_id);

-- The last sync of each engine project: when, how many periods Liftoff
-- keeps there, and the problem in words when it failed (NULL: in step).
CREATE TABLE engine_freeze_syncs (
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    base_url        TEXT NOT NULL,
    engine_project  TEXT NOT NULL,
    synced_at       TEXT NOT NULL,
    periods         INTEGER NOT NULL DEFAULT 0,
    problem         TEXT,
    PRIMARY KEY (project_id, base_url, engine_project)
);
