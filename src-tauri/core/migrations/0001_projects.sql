-- Projects: a product being shipped. Names are unique regardless of case so
-- that "Billing" and "billing" never sit side by side in the list.
CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '',
    repository  TEXT NOT NULL DEFAULT '',
    time_zone   TEXT NOT NULL,
    archived_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX projects_name_unique ON projects (name COLLATE NOCASE);
