-- The status board's health checks: one row per check of an environment's
-- health URL (made every 60 s while the board is open, or when asked), kept
-- 7 days: older rows are deleted when new ones are written (monitor/health.rs).
CREATE TABLE health_samples (
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- When the check was made, RFC 3339 UTC.
    at              TEXT NOT NULL,
    -- 1 when the URL answered 2xx or 3xx in time.
    ok              INTEGER NOT NULL CHECK (ok IN (0, 1)),
    -- The HTTP status, when there was an answer.
    status          INTEGER,
    latency_ms      INTEGER,
    -- What happened, in words (the failure a lead reads on the board).
    message         TEXT NOT NULL DEFAULT ''
) STRICT;

-- The latest sample and the last day's per environment, newest first.
CREATE INDEX health_samples_by_environment ON health_samples (environment_id, at);
