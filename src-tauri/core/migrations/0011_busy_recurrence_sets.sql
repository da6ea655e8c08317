-- Busy time from calendars as RFC 5545 writes it: the parts of a
-- recurrence set beyond one RRULE and its EXDATEs, as JSON (more RRULEs,
-- RDATEs with their periods, a zone the file defined in a VTIMEZONE, and
-- the part of a series a RANGE=THISANDFUTURE change split off). NULL when
-- there is none, as for every entry made before this migration.
ALTER TABLE busy_times ADD COLUMN extra TEXT;
