-- Releases, checklist templates, checklists, gate overrides and the audit log.

CREATE TABLE releases (
    id           TEXT PRIMARY KEY NOT NULL,
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version      TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(version)) BETWEEN 1 AND 40),
    name         TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 120),
    scope        TEXT NOT NULL DEFAULT '',
    -- YYYY-MM-DD, or NULL when not yet decided.
    target_date  TEXT CHECK (target_date IS NULL OR target_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    state        TEXT NOT NULL CHECK (state IN ('draft', 'planned', 'ready', 'deploying', 'verified', 'released', 'rolledBack', 'cancelled')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (project_id, version)
) STRICT;

CREATE INDEX releases_by_project ON releases (project_id, state, target_date);

-- Templates are shared by all projects. Built-in ones carry a key so that
-- they can be told apart (and reset) after a user edits them.
CREATE TABLE templates (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 80),
    description  TEXT NOT NULL DEFAULT '',
    builtin_key  TEXT UNIQUE,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE template_items (
    id           TEXT PRIMARY KEY NOT NULL,
    template_id  TEXT NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    section      TEXT NOT NULL CHECK (length(trim(section)) BETWEEN 1 AND 80),
    title        TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    detail       TEXT NOT NULL DEFAULT '',
    required     INTEGER NOT NULL CHECK (required IN (0, 1))
) STRICT;

CREATE INDEX template_items_by_template ON template_items (template_id, position);

CREATE TABLE checklist_items (
    id             TEXT PRIMARY KEY NOT NULL,
    release_id     TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    section        TEXT NOT NULL CHECK (length(trim(section)) BETWEEN 1 AND 80),
    title          TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    detail         TEXT NOT NULL DEFAULT '',
    required       INTEGER NOT NULL CHECK (required IN (0, 1)),
    owner_id       TEXT REFERENCES people (id) ON DELETE SET NULL,
    reviewer_id    TEXT REFERENCES people (id) ON DELETE SET NULL,
    due_date       TEXT CHECK (due_date IS NULL OR due_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    state          TEXT NOT NULL CHECK (state IN ('open', 'done', 'notApplicable', 'blocked')),
    -- Why an item is not applicable or blocked; empty otherwise.
    state_reason   TEXT NOT NULL DEFAULT '',
    signed_off_by  TEXT REFERENCES people (id) ON DELETE SET NULL,
    signed_off_at  TEXT,
    evidence       TEXT NOT NULL DEFAULT '',
    notes          TEXT NOT NULL DEFAULT '',
    updated_at     TEXT NOT NULL
) STRICT;

CREATE INDEX checklist_items_by_release ON checklist_items (release_id, position);
CREATE INDEX checklist_items_by_owner ON checklist_items (owner_id);
CREATE INDEX checklist_items_by_reviewer ON checklist_items (reviewer_id);

-- A recorded decision to let a release into a protected environment with
-- its checklist incomplete.
CREATE TABLE gate_overrides (
    id              TEXT PRIMARY KEY NOT NULL,
    release_id      TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    decided_by      TEXT NOT NULL CHECK (length(trim(decided_by)) BETWEEN 1 AND 100),
    reason          TEXT NOT NULL CHECK (length(trim(reason)) >= 10),
    missing_items   INTEGER NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    withdrawn_at    TEXT
) STRICT;

CREATE INDEX gate_overrides_by_release ON gate_overrides (release_id, environment_id);

-- Append-only: who did what, when and why.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    release_id  TEXT REFERENCES releases (id) ON DELETE CASCADE,
    item_id     TEXT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    -- One of release, checklist, item, gate.
    category    TEXT NOT NULL CHECK (category IN ('release', 'checklist', 'item', 'gate')),
    action      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_by_release ON audit_log (release_id, id);
CREATE INDEX audit_log_by_item ON audit_log (item_id, id);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
