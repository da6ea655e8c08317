#!/usr/bin/env python3
"""Watches an app's window from the X server, for scripts/bench-startup.mjs.

The same method for every app: nothing runs in the app's page, no WebDriver.
Commands come as JSON lines on standard input, answers go as JSON lines to
standard output (wall-clock times in milliseconds since the epoch):

  {"cmd": "window", "pid": P, "timeout": MS}
      waits for a mapped top-level window whose _NET_WM_PID is P
      -> {"window": ID, "at": T}
  {"cmd": "grab", "window": ID, "region": [x, y, w, h], "out": PATH}
      saves that region of the window as it is now (raw BGRA bytes)
  {"cmd": "wait", "window": ID, "region": [...], "ref": PATH, "match": 0.99, "timeout": MS}
      polls the region as fast as the X server answers until at least
      `match` of its sampled pixels equal the saved ones
      -> {"at": T, "polls": N} or {"error": "..."}
  {"cmd": "wait", "window": ID, "region": [...], "colors": [0xRRGGBB, ...], "count": N, "timeout": MS}
      the same, until at least N sampled pixels have one of these colours
      (for a view whose look moves with the clock, such as the timeline)
  {"cmd": "close", "window": ID}
      asks the window to close as a window manager's close button does
      (WM_DELETE_WINDOW): the app's own clean exit runs
"""

import json
import sys
import time

from Xlib import X, display, protocol

d = display.Display()
root = d.screen().root
NET_WM_PID = d.intern_atom("_NET_WM_PID")
WM_PROTOCOLS = d.intern_atom("WM_PROTOCOLS")
WM_DELETE_WINDOW = d.intern_atom("WM_DELETE_WINDOW")
# Every 7th pixel (4 bytes each) of a region is compared: fast in pure
# Python, and no text or bar of the pages is narrower than that run.
STEP = 7 * 4


def now_ms():
    return time.time() * 1000.0


def windows_of(pid):
    found = []
    for w in root.query_tree().children:
        try:
            attrs = w.get_attributes()
            if attrs.map_state != X.IsViewable:
                continue
            prop = w.get_full_property(NET_WM_PID, X.AnyPropertyType)
            if prop and prop.value and int(prop.value[0]) == pid:
                found.append(w)
        except Exception:
            continue
    return found


def grab(window, region):
    x, y, w, h = region
    img = d.create_resource_object("window", window).get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF)
    return img.data


def sample(data):
    return data[0::STEP], data[1::STEP], data[2::STEP]


def share_equal(a, b):
    total = 0
    same = 0
    for xs, ys in zip(sample(a), sample(b)):
        total += len(xs)
        same += sum(1 for p, q in zip(xs, ys) if p == q)
    return same / total if total else 0.0


def colored(data, colors):
    b, g, r = data[0::STEP], data[1::STEP], data[2::STEP]
    return sum(1 for x, y, z in zip(r, g, b) if (x << 16) | (y << 8) | z in colors)


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    req = json.loads(line)
    try:
        cmd = req["cmd"]
        if cmd == "window":
            deadline = now_ms() + req.get("timeout", 60000)
            while True:
                ws = windows_of(req["pid"])
                if ws:
                    answer({"window": ws[0].id, "at": now_ms()})
                    break
                if now_ms() > deadline:
                    answer({"error": "no window of pid %d" % req["pid"]})
                    break
                time.sleep(0.005)
        elif cmd == "grab":
            with open(req["out"], "wb") as f:
                f.write(grab(req["window"], req["region"]))
            answer({"ok": True})
        elif cmd == "wait":
            ref = None
            if "ref" in req:
                with open(req["ref"], "rb") as f:
                    ref = f.read()
            colors = set(req.get("colors", []))

            def done(data):
                if ref is not None:
                    return len(data) == len(ref) and share_equal(data, ref) >= req.get("match", 0.99)
                return colored(data, colors) >= req.get("count", 50)

            deadline = now_ms() + req.get("timeout", 60000)
            polls = 0
            while True:
                at = now_ms()
                try:
                    data = grab(req["window"], req["region"])
                except Exception:  # the window is not drawable yet
                    data = b""
                polls += 1
                if data and done(data):
                    answer({"at": at, "polls": polls})
                    break
                if now_ms() > deadline:
                    if ref is not None:
                        last = "last %.3f equal" % (share_equal(data, ref) if len(data) == len(ref) else 0)
                    else:
                        last = "last %d pixels of the colours" % (colored(data, colors) if data else 0)
                    answer({"error": "the region never matched (%s)" % last, "polls": polls})
                    break
        elif cmd == "close":
            w = d.create_resource_object("window", req["window"])
            event = protocol.event.ClientMessage(window=w, client_type=WM_PROTOCOLS, data=(32, [WM_DELETE_WINDOW, X.CurrentTime, 0, 0, 0]))
            w.send_event(event, event_mask=X.NoEventMask)
            d.flush()
            answer({"ok": True})
        else:
            answer({"error": "unknown command " + cmd})
    except Exception as e:
        answer({"error": "%s: %s" % (type(e).__name__, e)})
