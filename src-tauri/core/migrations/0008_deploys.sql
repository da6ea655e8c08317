-- Deploys: how each environment deploys (its target, steps, smoke checks
-- and blue-green slots), every run with its preflight, steps, checks and
-- log, and the per-environment lock that lets one deploy run at a time.
--
-- A target's settings are JSON written and validated by Liftoff
-- (deploy/target.rs), so that new kinds of target (CI engines) need no
-- schema change. Neither the settings nor anything else here ever holds a
-- secret value: credentials are named, and their values stay in the OS
-- keychain.

CREATE TABLE deploy_targets (
    environment_id  TEXT PRIMARY KEY REFERENCES environments (id) ON DELETE CASCADE,
    -- The kind of target: 'localCommand' now; CI engines later.
    kind            TEXT NOT NULL,
    -- The kind's settings, steps, smoke checks and slots, as JSON.
    settings        TEXT NOT NULL,
    -- Blue-green: the slot users are on now ('blue' or 'green'), if used.
    live_slot       TEXT CHECK (live_slot IN ('blue', 'green')),
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE deploy_runs (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    environment_id    TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    release_id        TEXT REFERENCES releases (id) ON DELETE SET NULL,
    version           TEXT NOT NULL,
    -- A tag, commit or other build reference given with the version.
    build_ref         TEXT NOT NULL DEFAULT '',
    -- 'deploy', 'rollback' (a redeploy of the last verified version) or
    -- 'switchBack' (blue-green: users moved back to the other slot).
    kind              TEXT NOT NULL CHECK (kind IN ('deploy', 'rollback', 'switchBack')),
    previous_version  TEXT,
    -- Blue-green: the slot this run deployed to.
    slot              TEXT CHECK (slot IN ('blue', 'green')),
    started_by        TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    ended_at          TEXT,
    state             TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'failedVerification', 'cancelled', 'timedOut', 'interrupted')),
    -- Why it ended as it did, in words.
    outcome           TEXT NOT NULL DEFAULT '',
    -- JSON: the preflight checks with their results and any override.
    preflight         TEXT NOT NULL DEFAULT '[]',
    -- JSON: the steps with their timings and ends.
    steps             TEXT NOT NULL DEFAULT '[]',
    -- JSON: the smoke checks' results.
    checks            TEXT NOT NULL DEFAULT '[]',
    -- The Liftoff process that runs it, and the step's process group.
    owner_pid         INTEGER,
    child_pgid        INTEGER,
    log_lines         INTEGER NOT NULL DEFAULT 0,
    -- Lines left out between the log's head and tail.
    log_cut           INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX deploy_runs_by_environment ON deploy_runs (environment_id, started_at);
CREATE INDEX deploy_runs_by_project ON deploy_runs (project_id, started_at);
CREATE INDEX deploy_runs_by_release ON deploy_runs (release_id, started_at);
CREATE INDEX deploy_runs_running ON deploy_runs (state) WHERE state = 'running';

-- The masked log of a run; 'stream' is 0 stdout, 1 stderr, 2 Liftoff.
CREATE TABLE deploy_log (
    run_id  TEXT NOT NULL REFERENCES deploy_runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    stream  INTEGER NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

-- One row per locked environment: by a run, or by hand with a reason.
CREATE TABLE deploy_locks (
    environment_id  TEXT PRIMARY KEY REFERENCES environments (id) ON DELETE CASCADE,
    run_id          TEXT REFERENCES deploy_runs (id) ON DELETE CASCADE,
    held_by         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    since           TEXT NOT NULL
) STRICT;
