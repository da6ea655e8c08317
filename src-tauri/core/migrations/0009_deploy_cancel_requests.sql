-- A run can be cancelled from another process (a second window, or the
-- window for a run the command line started): the request is written here
-- and the process that runs it stops it.
ALTER TABLE deploy_runs ADD COLUMN cancel_requested_by TEXT;
