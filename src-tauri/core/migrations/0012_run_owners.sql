-- A run's owner is the process that executes it, named by its owner token
-- (the name of the file it holds locked in liftoff.db.open.d/, see
-- store/owner.rs) rather than by its pid alone, which the system reuses.
-- Older rows keep owner_pid, which is still read for them.
ALTER TABLE deploy_runs ADD COLUMN owner TEXT;
