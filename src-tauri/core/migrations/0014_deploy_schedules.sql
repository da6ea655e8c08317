-- Deploys asked for a later time. A schedule is claimed in one write by the
-- process that starts it (the window's scheduler or `liftoff schedule
-- run-due` from the user's OS timer), so two of them never both start one;
-- it never starts after expires_at.
CREATE TABLE deploy_schedules (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    release_id      TEXT REFERENCES releases (id) ON DELETE SET NULL,
    version         TEXT NOT NULL,
    build_ref       TEXT NOT NULL DEFAULT '',
    -- The preflight decisions taken when it was scheduled (JSON), as a deploy's.
    decisions       TEXT NOT NULL DEFAULT '[]',
    accept_warnings INTEGER NOT NULL DEFAULT 0,
    not_before      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    why             TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('scheduled', 'claimed', 'started', 'missed', 'cancelled')),
    -- Why it was missed or cancelled, in words.
    state_reason    TEXT NOT NULL DEFAULT '',
    run_id          TEXT REFERENCES deploy_runs (id) ON DELETE SET NULL,
    -- The owner token of the process that claimed it.
    claimed_by      TEXT,
    created_by      TEXT NOT NULL,
    created_by_person TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (expires_at > not_before)
);

CREATE INDEX deploy_schedules_due ON deploy_schedules (state, not_before);
CREATE INDEX deploy_schedules_project ON deploy_schedules (project_id, not_before);
