-- Planning the release window: the planned window of each release, freeze
-- and maintenance windows, the load profile, and people's busy time.

-- The planned window, as UTC instants (RFC 3339), and the environment it is for.
ALTER TABLE releases ADD COLUMN window_start TEXT;
ALTER TABLE releases ADD COLUMN window_end TEXT;
ALTER TABLE releases ADD COLUMN window_environment_id TEXT REFERENCES environments (id) ON DELETE SET NULL;
-- Who is on call during the window.
ALTER TABLE releases ADD COLUMN on_call_id TEXT REFERENCES people (id) ON DELETE SET NULL;
-- An emergency decision to release inside a freeze: it holds for the window
-- it was given for (moving the window ends it).
ALTER TABLE releases ADD COLUMN freeze_override_reason TEXT;
ALTER TABLE releases ADD COLUMN freeze_override_by TEXT;

-- Freeze and maintenance windows: a local start in a named zone, a length,
-- and an optional RFC 5545 rule with exception dates (local start times).
CREATE TABLE calendar_windows (
    id           TEXT PRIMARY KEY NOT NULL,
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('freeze', 'maintenance')),
    name         TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    reason       TEXT NOT NULL DEFAULT '',
    -- YYYY-MM-DDTHH:MM, local to time_zone.
    start_local  TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 527040),
    time_zone    TEXT NOT NULL,
    rule         TEXT,
    -- Local start times left out, as a JSON array of YYYY-MM-DDTHH:MM.
    exdates      TEXT NOT NULL DEFAULT '[]',
    -- 1 when it applies to the environments listed below only (even if
    -- they have since been deleted), 0 for the whole project.
    scoped       INTEGER NOT NULL DEFAULT 0 CHECK (scoped IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX calendar_windows_by_project ON calendar_windows (project_id, kind);

-- The environments a window applies to; none means the whole project.
CREATE TABLE calendar_window_environments (
    window_id       TEXT NOT NULL REFERENCES calendar_windows (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    PRIMARY KEY (window_id, environment_id)
) STRICT, WITHOUT ROWID;

-- The load profile: samples from a monitoring export (Unix seconds).
CREATE TABLE load_samples (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    value       REAL NOT NULL CHECK (value >= 0),
    PRIMARY KEY (project_id, at)
) STRICT, WITHOUT ROWID;

-- A weekly pattern entered by hand: 168 hourly values, Monday 00:00 first,
-- local to the project's zone, as a JSON array.
CREATE TABLE load_patterns (
    project_id  TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hours       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- People's busy time, imported from calendars or entered by hand.
CREATE TABLE busy_times (
    id           TEXT PRIMARY KEY NOT NULL,
    person_id    TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- The file it came from, or '' when entered by hand.
    source       TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    all_day      INTEGER NOT NULL DEFAULT 0 CHECK (all_day IN (0, 1)),
    start_local  TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 527040),
    time_zone    TEXT NOT NULL,
    rule         TEXT,
    exdates      TEXT NOT NULL DEFAULT '[]',
    -- When it first starts and last ends (RFC 3339, UTC), to skip what a
    -- range cannot touch; last_end is NULL for a series without an end.
    first_start  TEXT NOT NULL,
    last_end     TEXT,
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX busy_times_by_person ON busy_times (person_id, source);
CREATE INDEX busy_times_by_span ON busy_times (first_start, last_end);
