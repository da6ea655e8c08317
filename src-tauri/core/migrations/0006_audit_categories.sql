-- The audit log also records deploy runs, announcements and schedules.
--
-- SQLite cannot change a CHECK constraint, so the table is rebuilt as its
-- documentation describes (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"): make the new table, copy
-- every row with its id, drop the old one, rename the new one, and make the
-- indexes and the trigger again exactly as 0004 made them. No foreign key
-- refers to audit_log, so this is safe with foreign_keys on, inside the
-- migration's transaction.

CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    release_id  TEXT REFERENCES releases (id) ON DELETE CASCADE,
    item_id     TEXT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    -- One of release, checklist, item, gate, deploy, announcement, schedule.
    category    TEXT NOT NULL CHECK (category IN ('release', 'checklist', 'item', 'gate', 'deploy', 'announcement', 'schedule')),
    action      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
) STRICT;

INSERT INTO audit_log_new (id, project_id, release_id, item_id, at, actor, category, action, summary, reason)
    SELECT id, project_id, release_id, item_id, at, actor, category, action, summary, reason
    FROM audit_log ORDER BY id;

-- Keep the AUTOINCREMENT counter, so that the id of an entry deleted with
-- its project is never given again: the old table's counter moves to the
-- new table (dropping a table deletes the counter under its name, and the
-- rename carries it to the new name).
DELETE FROM sqlite_sequence WHERE name = 'audit_log_new';
UPDATE sqlite_sequence SET name = 'audit_log_new' WHERE name = 'audit_log';

DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;

CREATE INDEX audit_log_by_release ON audit_log (release_id, id);
CREATE INDEX audit_log_by_item ON audit_log (item_id, id);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
