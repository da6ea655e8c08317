-- A run whose deploy step runs on the team's CI/CD engine keeps the
-- engine's handle for it (remote_ref, JSON: enough to follow or cancel it
-- from another Liftoff process), the engine's page for it (remote_url), the
-- engine's state in its own words (remote_status) and how far its log has
-- been read (log_cursor, JSON), so a later process goes on from there.
ALTER TABLE deploy_runs ADD COLUMN remote_ref TEXT;
ALTER TABLE deploy_runs ADD COLUMN remote_url TEXT;
ALTER TABLE deploy_runs ADD COLUMN remote_status TEXT;
ALTER TABLE deploy_runs ADD COLUMN log_cursor TEXT;
