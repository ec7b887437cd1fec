#!/usr/bin/env python3
"""load.py — steady HTTP load for the fault tests (tests/integration/fault_*.sh).

    load.py URL [--token T] [--threads N] [--rate R] [--close] --out FILE --stop STOPFILE

Each thread sends GET URL (with "Authorization: Bearer T" when given) on a fresh or kept-alive
connection (--close: a new connection per request, "Connection: close"), at most R requests per
second in all, until STOPFILE exists. Every answer is a line
"<unix time> <status>" in FILE; a connection that fails or is cut before the answer is status 0.
Prints a JSON summary {status: count} on exit."""
import argparse, http.client, json, os, threading, time, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("--token")
ap.add_argument("--threads", type=int, default=4)
ap.add_argument("--rate", type=float, default=200)
ap.add_argument("--close", action="store_true")
ap.add_argument("--out", required=True)
ap.add_argument("--stop", required=True)
a = ap.parse_args()
u = urllib.parse.urlsplit(a.url)
path = u.path + ("?" + u.query if u.query else "")
headers = {"Authorization": "Bearer " + a.token} if a.token else {}
if a.close:
    headers["Connection"] = "close"
lock = threading.Lock()
counts = {}
out = open(a.out, "w", buffering=1)
interval = a.threads / a.rate


def worker():
    conn = None
    while not os.path.exists(a.stop):
        t0 = time.time()
        status = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            status = r.status
            if a.close or r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception:
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            counts[status] = counts.get(status, 0) + 1
            out.write("%.3f %d\n" % (time.time(), status))
        left = interval - (time.time() - t0)
        if left > 0:
            time.sleep(left)


ts = [threading.Thread(target=worker) for _ in range(a.threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(json.dumps({str(k): v for k, v in sorted(counts.items())}))
