-- Announcements: the change items of a release (read from git or added by
-- hand), the drafts per channel and audience with their templates and
-- approval, per-project templates and settings, and every send with one
-- row per recipient so that a resume never sends to anyone twice.
--
-- Settings, templates and drafts are JSON written and validated by Liftoff
-- (announce/). No secret is stored here: the SMTP password stays in the OS
-- keychain, named by the id of an environment's credential.

-- Per project: support and feedback links, SMTP settings and the
-- recipients of each audience.
CREATE TABLE announce_settings (
    project_id  TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    settings    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- A project's own template for a channel, used for new drafts instead of
-- the built-in one.
CREATE TABLE announce_templates (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'inApp', 'social', 'releaseNotes')),
    -- JSON: part name -> template source.
    parts       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, channel)
) STRICT;

-- Where the release's change items were last read from.
CREATE TABLE change_sources (
    release_id  TEXT PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
    from_ref    TEXT,
    to_ref      TEXT NOT NULL,
    read_at     TEXT NOT NULL,
    read_by     TEXT NOT NULL
) STRICT;

CREATE TABLE change_items (
    id          TEXT PRIMARY KEY,
    release_id  TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    -- NULL for an item added by hand.
    commit_sha  TEXT,
    -- The commit as git has it, kept to show beside the user's wording.
    subject     TEXT NOT NULL DEFAULT '',
    kind        TEXT,
    scope       TEXT,
    breaking    INTEGER NOT NULL DEFAULT 0,
    pr          INTEGER,
    author      TEXT NOT NULL DEFAULT '',
    -- What users are told.
    text        TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('new', 'improved', 'fixed', 'breaking', 'deprecated', 'security')),
    -- JSON array of audiences.
    audiences   TEXT NOT NULL,
    included    INTEGER NOT NULL,
    -- Set once the lead changed it: a new read from git keeps it.
    edited      INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL,
    UNIQUE (release_id, commit_sha)
) STRICT;

CREATE INDEX change_items_by_release ON change_items (release_id, position);

-- One draft per release, channel and audience (and one correction each).
CREATE TABLE announcements (
    id               TEXT PRIMARY KEY,
    release_id       TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'inApp', 'social', 'releaseNotes')),
    audience         TEXT NOT NULL CHECK (audience IN ('endUsers', 'admins', 'developers', 'internal')),
    correction       INTEGER NOT NULL DEFAULT 0,
    -- JSON: part name -> template source.
    parts            TEXT NOT NULL,
    reviewer_id      TEXT REFERENCES people (id) ON DELETE SET NULL,
    approved_by      TEXT,
    approved_at      TEXT,
    -- SHA-256 of what was approved: any later change to what the draft
    -- renders (its templates, the items, the settings) withdraws it.
    approved_digest  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (release_id, channel, audience, correction)
) STRICT;

-- "Send before production is verified" decided by someone, with why.
CREATE TABLE announce_overrides (
    release_id  TEXT PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
    decided_by  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;

-- A test send, a send to an audience, or an export for sending. The
-- message is kept as it went out, so a resume sends exactly the same.
CREATE TABLE announce_sends (
    id               TEXT PRIMARY KEY,
    announcement_id  TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    release_id       TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('test', 'audience', 'export')),
    audience         TEXT NOT NULL,
    started_by       TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    state            TEXT NOT NULL CHECK (state IN ('running', 'done', 'stopped')),
    -- Why it stopped, in words.
    note             TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL,
    text             TEXT NOT NULL,
    html             TEXT NOT NULL
) STRICT;

CREATE INDEX announce_sends_by_release ON announce_sends (release_id, started_at);
CREATE INDEX announce_sends_by_announcement ON announce_sends (announcement_id, started_at);

-- One row per recipient of a send. 'sending' is written before the SMTP
-- transaction and 'sent' or 'failed' after it; a row left at 'sending' (the
-- app stopped in between) is never sent again, and is reported.
CREATE TABLE announce_deliveries (
    send_id  TEXT NOT NULL REFERENCES announce_sends (id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    name     TEXT,
    line     INTEGER NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    error    TEXT NOT NULL DEFAULT '',
    at       TEXT,
    PRIMARY KEY (send_id, address)
) STRICT, WITHOUT ROWID;
