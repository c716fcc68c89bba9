#!/usr/bin/env python3
"""Probes for bench/flood_alerts.sh: while the flood runs, one attack report a second from a
registered monitor, each a new incident in a zone with a responder; afterwards, from the
database, the time from each probe's arrival at the webhook to its alert being queued and
to the sim provider accepting it.

Usage: flood_alerts.py ADDR DB SECONDS PLACES_FILE
"""
import json
import sqlite3
import statistics
import sys
import time
import urllib.parse
import urllib.request

addr, db, seconds, places_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
places = [line.strip() for line in open(places_file) if line.strip()]
categories = ["ATT", "ENL", "EEI", "ASS"]
run = str(int(time.time()))


def send(n):
    place = places[n % len(places)]
    category = categories[(n // len(places)) % len(categories)]
    body = urllib.parse.urlencode({
        "id": f"probe-{run}-{n}",
        "from": f"+2237690{n % len(places):04d}",
        "text": f"{category} {place} 3 morts",
    }).encode()
    started = time.time()
    with urllib.request.urlopen(f"http://{addr}/webhooks/sim/sms", body, timeout=30) as r:
        r.read()
    return time.time() - started


def backlog():
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM inbound_messages WHERE state = 'new'").fetchone()[0]
    finally:
        conn.close()


# Probes start once the flood has built a backlog, and stop before it ends.
time.sleep(3)
probes, answers, backlogs = 0, [], []
start = time.time()
while time.time() - start < seconds - 6:
    tick = time.time()
    answers.append(send(probes))
    probes += 1
    if probes % 10 == 0:
        backlogs.append(backlog())
    time.sleep(max(0.0, 1.0 - (time.time() - tick)))
end_backlog = backlog()

# Every probe's alert, waited for up to two minutes after the flood.
query = """
SELECT i.received_at,
       (SELECT min(o.created_at) FROM outbound_messages o
         WHERE o.incident_id = r.incident_id AND o.purpose = 'alert'),
       (SELECT min(o.sent_at) FROM outbound_messages o
         WHERE o.incident_id = r.incident_id AND o.purpose = 'alert')
FROM inbound_messages i LEFT JOIN reports r ON r.inbound_id = i.id
WHERE i.provider_message_id LIKE ?
"""
deadline = time.time() + 120
while True:
    conn = sqlite3.connect(db, timeout=30)
    rows = conn.execute(query, (f"probe-{run}-%",)).fetchall()
    conn.close()
    done = [r for r in rows if r[2] is not None]
    if len(done) == probes or time.time() > deadline:
        break
    time.sleep(1)


def summary(values):
    if not values:
        return {"n": 0}
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]
    return {"n": len(values), "p50": round(statistics.median(values), 3),
            "p99": round(p99, 3), "max": round(values[-1], 3)}


queued = [(r[1] - r[0]) / 1000 for r in rows if r[1] is not None]
accepted = [(r[2] - r[0]) / 1000 for r in rows if r[2] is not None]
print(json.dumps({
    "probes": probes,
    "alerted": len(accepted),
    "webhook_answer_s": summary(answers),
    "to_alert_queued_s": summary(queued),
    "to_provider_accepted_s": summary(accepted),
    "backlog_during": backlogs,
    "backlog_at_flood_end": end_backlog,
}))
