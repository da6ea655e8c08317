-- Reads that do not grow with the data: the timeline asks for the range it
-- shows (plus a margin), and wide views read the load per hour.

CREATE INDEX releases_by_window ON releases (project_id, window_start);
CREATE INDEX calendar_windows_by_start ON calendar_windows (project_id, start_local);

-- The load of each hour: its peak, the sum of its samples and their number.
-- Written with the samples, in the same transaction.
CREATE TABLE load_hourly (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,   -- Unix seconds / 3600
    max         REAL NOT NULL,
    total       REAL NOT NULL,
    samples     INTEGER NOT NULL,
    PRIMARY KEY (project_id, hour)
) STRICT, WITHOUT ROWID;

INSERT INTO load_hourly (project_id, hour, max, total, samples)
    SELECT project_id, at / 3600, max(value), sum(value), count(*) FROM load_samples GROUP BY project_id, at / 3600;
