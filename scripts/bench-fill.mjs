// Fills a Liftoff database with n timeline items and a year of load, for the
// benchmarks (scripts/bench-timeline.mjs, scripts/bench-startup.mjs).

import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Adds n items to project `projectId` in the database of `home` (a
 * tests/e2e/harness.mjs home): two thirds releases with windows, one third
 * one-off freezes, spread over three years around today, and replaces its
 * load with a year of one-minute samples.
 */
export function fill(home, projectId, n) {
  const db = join(home.data, "liftoff.db");
  const now = Math.floor(Date.now() / 1000);
  const start = now - 2 * 365 * 86400;
  // Two thirds releases with windows, one third one-off freezes, spread over three years.
  const releases = Math.round((n * 2) / 3);
  const freezes = n - releases;
  const script = `
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < ${releases - 1})
INSERT INTO releases (id, project_id, version, name, scope, state, window_start, window_end, created_at, updated_at)
SELECT lower(hex(randomblob(16))), '${projectId}', 'b' || x, 'Build ' || x, '', 'planned',
       strftime('%Y-%m-%dT%H:%M:%SZ', ${start} + x * ${Math.floor((3 * 365 * 86400) / releases)}, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%SZ', ${start} + x * ${Math.floor((3 * 365 * 86400) / releases)} + 5400, 'unixepoch'),
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM k;
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < ${freezes - 1})
INSERT INTO calendar_windows (id, project_id, kind, name, reason, start_local, minutes, time_zone, rule, exdates, created_at, updated_at)
SELECT lower(hex(randomblob(16))), '${projectId}', 'freeze', 'Freeze ' || x, '',
       strftime('%Y-%m-%dT%H:%M', ${start} + x * ${Math.floor((3 * 365 * 86400) / freezes)}, 'unixepoch'), 120, 'UTC', NULL, '[]',
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM k;
DELETE FROM load_samples WHERE project_id = '${projectId}';
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < 525599)
INSERT INTO load_samples (project_id, at, value) SELECT '${projectId}', ${now - 365 * 86400} + x * 60, abs(random() % 2000) FROM k;
-- The hourly aggregates Liftoff keeps beside the samples (migration 7).
DELETE FROM load_hourly WHERE project_id = '${projectId}';
INSERT INTO load_hourly (project_id, hour, max, total, samples)
  SELECT project_id, at / 3600, max(value), sum(value), count(*) FROM load_samples WHERE project_id = '${projectId}' GROUP BY at / 3600;
COMMIT;`;
  execFileSync("sqlite3", [db], { input: script });
}
