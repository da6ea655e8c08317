-- Environments: the ordered stages of a project's pipeline.
CREATE TABLE environments (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 60),
    position    INTEGER NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    health_url  TEXT NOT NULL DEFAULT '',
    colour      TEXT NOT NULL CHECK (colour GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    protected   INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE INDEX environments_by_project ON environments (project_id, position);

-- Credentials: names and dates only. Values live in the OS keychain, never here.
CREATE TABLE credentials (
    id              TEXT PRIMARY KEY NOT NULL,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    name            TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 80),
    kind            TEXT NOT NULL CHECK (kind IN ('apiToken', 'password', 'sshKeyPassphrase', 'smtpPassword', 'other')),
    created_at      TEXT NOT NULL,
    last_used_at    TEXT,
    last_rotated_at TEXT,
    UNIQUE (environment_id, name)
) STRICT;

-- Projects made before environments existed get the default pipeline.
INSERT INTO environments (id, project_id, name, position, colour, protected, created_at, updated_at)
SELECT lower(hex(randomblob(16))), p.id, d.name, d.position, d.colour, d.protected, p.created_at, p.created_at
FROM projects p
CROSS JOIN (SELECT 'development' AS name, 0 AS position, '#2f9e6e' AS colour, 0 AS protected
            UNION ALL SELECT 'staging', 1, '#d08a12', 0
            UNION ALL SELECT 'production', 2, '#c62f3b', 1) d;
