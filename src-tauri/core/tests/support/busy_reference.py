"""The independent reading of calendar files for Liftoff's differential test
(src-tauri/core/tests/calendars.rs): Python's `icalendar` with
`recurring-ical-events`, the implementation most calendar tools in Python use.

Usage: busy_reference.py DEFAULT_ZONE FROM TO FILE...
Prints one JSON object per line: {"file", "busy": [[start, end], ...]} with
UTC times (RFC 3339, minute precision), or {"file", "error"} when the
library cannot read the file. Busy means what Liftoff imports: events that
are not free (TRANSP:TRANSPARENT, Outlook's FREE) nor cancelled, and last
longer than an instant. Floating times and dates are read in DEFAULT_ZONE.
"""

import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events


def instant(value, zone):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)  # fold=0: RFC 5545 3.3.5
        return value.astimezone(dt.timezone.utc)
    return dt.datetime.combine(value, dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_free(event):
    def said(name, value):
        v = event.get(name)
        return v is not None and str(v).strip().upper() == value

    return said("TRANSP", "TRANSPARENT") or said("STATUS", "CANCELLED") or said("X-MICROSOFT-CDO-BUSYSTATUS", "FREE")


def busy(path, zone, start, end):
    with open(path, "rb") as f:
        calendars = icalendar.Calendar.from_ical(f.read(), multiple=True)
    out = []
    for calendar in calendars:
        # An event without a start is not busy time; Liftoff skips it too.
        calendar.subcomponents = [c for c in calendar.subcomponents if c.name != "VEVENT" or "DTSTART" in c]
        # A margin either side: the library compares all-day events by date.
        margin = dt.timedelta(days=2)
        for event in recurring_ical_events.of(calendar, components=["VEVENT"], skip_bad_series=True).between(start - margin, end + margin):
            out.extend(occurrence(event, zone, start, end))
    return sorted(out)


def occurrence(event, zone, start, end):
    if is_free(event) or "DTSTART" not in event:
        return []
    s = instant(event["DTSTART"].dt, zone)
    if "DTEND" in event:
        e = instant(event["DTEND"].dt, zone)
    elif "DURATION" in event:
        e = s + event["DURATION"].dt if isinstance(event["DTSTART"].dt, dt.datetime) else instant(event["DTSTART"].dt + event["DURATION"].dt, zone)
    elif not isinstance(event["DTSTART"].dt, dt.datetime):
        e = instant(event["DTSTART"].dt + dt.timedelta(days=1), zone)
    else:
        e = s
    return [[stamp(s), stamp(e)]] if e > s and e > start and s < end else []


def main():
    zone = ZoneInfo(sys.argv[1])
    start = dt.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(sys.argv[3].replace("Z", "+00:00"))
    for path in sys.argv[4:]:
        try:
            result = {"file": path, "busy": busy(path, zone, start, end)}
        except Exception as e:  # the library refuses the file: not compared
            result = {"file": path, "error": f"{type(e).__name__}: {e}"[:300]}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
