-- Monitoring: what DORA's delivery metrics need that runs do not record.
--
-- Lead time needs each commit's time. When a run of a release verifies on
-- a protected (production) environment, Liftoff reads once from git the
-- commits between the version it replaced and the one it deployed, and
-- keeps each commit's committer date. A commit counts at its first
-- verified deploy to an environment: a later run that brings the same
-- commit again (a redeploy, a rollback forward) adds no row for it there.
-- The run's end is copied into deployed_at so that lead times are read
-- from this table's index alone.
CREATE TABLE run_commits (
    run_id          TEXT NOT NULL REFERENCES deploy_runs (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    sha             TEXT NOT NULL,
    -- The commit's committer date (git's %cI), as UTC RFC 3339 text.
    committed_at    TEXT NOT NULL,
    -- The end of the run that first brought the commit to the environment.
    deployed_at     TEXT NOT NULL,
    PRIMARY KEY (run_id, sha),
    UNIQUE (sha, environment_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX run_commits_by_deploy ON run_commits (environment_id, deployed_at, committed_at);

-- That a run's commits were read, how many, or why they could not be
-- ("not measured: the project has no repository"). One row a run: the
-- read happens once. The run's environment and end are copied so that the
-- metrics read this table by its index alone.
CREATE TABLE run_commit_reads (
    run_id          TEXT PRIMARY KEY REFERENCES deploy_runs (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    deployed_at     TEXT NOT NULL,
    read_at         TEXT NOT NULL,
    commits         INTEGER NOT NULL DEFAULT 0,
    -- NULL when the commits were read; otherwise why not, in words.
    problem         TEXT
) STRICT;

CREATE INDEX run_commit_reads_by_deploy ON run_commit_reads (environment_id, deployed_at);

-- The metrics read runs through this index alone, never the run's JSON
-- columns (preflight, steps, checks). release_id and id come last so that
-- a hotfix release's deploy is found, and a run named (the runs behind a
-- maturity indication), without reading the run's row.
CREATE INDEX deploy_runs_for_metrics ON deploy_runs (environment_id, started_at, state, kind, ended_at, version, release_id, id);

-- A release made as a hotfix for an incident in production: its deploys
-- count as rework, and as a fail of the deploy before it.
ALTER TABLE releases ADD COLUMN hotfix INTEGER NOT NULL DEFAULT 0 CHECK (hotfix IN (0, 1));

-- A project's monitoring settings. A row exists only once one is changed;
-- without it the defaults hold.
CREATE TABLE monitor_settings (
    project_id         TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    -- A production deploy counts as failed when a rollback, a switch back
    -- or a hotfix release reaches its environment within this many hours.
    fail_window_hours  INTEGER NOT NULL DEFAULT 24 CHECK (fail_window_hours BETWEEN 1 AND 720),
    updated_at         TEXT NOT NULL
) STRICT;
