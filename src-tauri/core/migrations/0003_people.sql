-- People of a project: owners, reviewers ("auditors"), on-call. Working
-- hours are local to the person's own time zone.
CREATE TABLE people (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    email       TEXT NOT NULL COLLATE NOCASE,
    role        TEXT NOT NULL CHECK (role IN ('lead', 'developer', 'reviewer', 'admin', 'support')),
    time_zone   TEXT NOT NULL,
    work_start  TEXT NOT NULL CHECK (work_start GLOB '[0-2][0-9]:[0-5][0-9]'),
    work_end    TEXT NOT NULL CHECK (work_end GLOB '[0-2][0-9]:[0-5][0-9]'),
    -- Bit 0 is Monday ... bit 6 is Sunday.
    work_days   INTEGER NOT NULL CHECK (work_days BETWEEN 1 AND 127),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (project_id, email)
) STRICT;

CREATE INDEX people_by_project ON people (project_id, name);
