"""CONSOLES live streams (/console/events) open at once while reports stream in: for each
report, the time from its webhook's answer to its incident's event on each stream.

Usage: python3 bench/live_consoles.py BASE_URL "vigie_session=..." CONSOLES
Prints p50, p99 and the worst delay over every (report, console) pair, and how many
events never came within 5 s.
"""
import http.client
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

base, cookie, consoles = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = urllib.parse.urlparse(base).netloc
REPORTS, EVERY = 40, 0.25  # 40 reports, 4 a second
seen = [[] for _ in range(consoles)]  # console -> times events came
ready = threading.Barrier(consoles + 1)


def listen(i):
    conn = http.client.HTTPConnection(host, timeout=60)
    conn.request("GET", "/console/events", headers={"Cookie": cookie})
    response = conn.getresponse()
    ready.wait()
    while True:
        line = response.readline()
        if not line:
            return
        if line.startswith(b"data: {"):
            seen[i].append(time.monotonic())


for i in range(consoles):
    threading.Thread(target=listen, args=(i,), daemon=True).start()
ready.wait()
sent = {}
places = ["Koro", "Bankass", "Douentza", "Ansongo", "Macina", "Goundam", "Tenenkou", "Hombori"]
for n in range(REPORTS):
    body = urllib.parse.urlencode({
        "from": f"+2237700{n:04d}",
        "text": f"ATT {places[n % len(places)]} {n + 2} morts",
        "id": f"live-{n}-{time.time()}",
    }).encode()
    urllib.request.urlopen(f"{base}/webhooks/sim/sms", data=body).read()
    answered = time.monotonic()
    sent[n] = answered
    time.sleep(EVERY)
time.sleep(10)

# Nothing else happens meanwhile (no responders to alert): the first event a console gets
# after a report's answer is that report's incident.
delays, missing = [], 0
for i in range(consoles):
    for n in range(REPORTS):
        after = [t for t in seen[i] if t >= sent[n]]
        if after and after[0] - sent[n] < 5:
            delays.append(after[0] - sent[n])
        else:
            missing += 1
delays.sort()
p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")
print(f"{consoles} consoles, {REPORTS} reports: event delay p50 {p(0.5)*1000:.0f} ms, "
      f"p99 {p(0.99)*1000:.0f} ms, max {delays[-1]*1000 if delays else float('nan'):.0f} ms; "
      f"{missing} events missing")
