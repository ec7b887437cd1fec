#!/usr/bin/env python3
"""api_probe.py — an attacker's probe of a running `aps api` (started by ../api_probe.sh).

Every probe is one request (or one connection) and one verdict. Families:
  known      the failures of the outside probe, each re-tried: a demoted admin's old token, an
             access token after logout and after a password change, X-Forwarded-For spoofing
             of the rate limit, CORS closed, security headers, %00 and other control bytes,
             HTTP/1.1 without Host, tiny money amounts, byte-counted passwords
  jwt        forged tokens: alg none / HS512 / RS256 headers, a wrong secret, tampered payloads,
             expired, from the future, missing claims, another user's session id, a revoked one
  matrix     every operation of the OpenAPI document × anonymous and each role: 401 for
             anonymous on non-public routes, 403 exactly where the permission table (written out
             below from src/http/perms.h) says no, never a 5xx
  sqli       SQL injection in every path parameter, in query values and in body fields of every
             operation; afterwards the users table is intact
  traversal  ../ and its encodings against the docs files and id parameters
  oversized  bodies, URLs, headers, JSON depth and malformed JSON: 400/413/414/431 envelopes
  slowloris  connections that never finish their headers do not starve the server
Every answer with status >= 400 must be the JSON envelope {"error":{code,message,details},
"request_id"}; answers whose size puts them beyond the server's memory pool are libmicrohttpd's
own and counted apart (see docs/operations.md). Prints one line per family and a total; exits 1
when any probe failed.

Arguments: base URL, JWT secret, password of the seeded accounts, sql command prefix (to count
rows), e.g. api_probe.py http://127.0.0.1:8123 SECRET 'pw' 'psql URL -Atqc'.
"""
import base64
import hashlib
import hmac
import http.client
import json
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BASE, SECRET, PASSWORD, SQL = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
U = urllib.parse.urlparse(BASE)
HOST, PORT = U.hostname, U.port
ROLES = ["user", "pro", "analyst", "operator", "admin"]
# src/http/perms.h, by hand: which roles hold each permission (user, pro, analyst, operator, admin)
PERMS = {
    "PUBLIC": "11111", "AUTHENTICATED": "11111", "VIEW_PREDICTIONS": "11111",
    "MANAGE_OWN_BANKROLL": "11001", "ADVANCED_ANALYTICS": "01111", "API_KEYS": "01111",
    "VIEW_HEALTH": "00011", "MANAGE_MODELS": "00101", "VIEW_AUDIT": "00011",
    "MANAGE_ALERTS": "00011", "MANAGE_CONFIG": "00001", "MANAGE_USERS": "00001",
    "MANAGE_JOBS": "00011",
}
counts, fails, library_pages = {}, [], 0


def verdict(family, ok, what):
    counts.setdefault(family, [0, 0])
    counts[family][0] += 1
    if not ok:
        counts[family][1] += 1
        fails.append(f"[{family}] {what}")
    return ok


def request(method, path, body=None, headers=None, raw_body=None, timeout=10):
    """One request on its own connection: (status, headers dict lower-case, body bytes)."""
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    h = {"Host": f"{HOST}:{PORT}"}
    h.update(headers or {})
    data = raw_body
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        if data is not None:
            c.putheader("Content-Length", str(len(data)))
        c.endheaders(data)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except (ConnectionError, socket.timeout, http.client.HTTPException) as e:
        return 0, {}, str(e).encode()
    finally:
        c.close()


def raw(data, timeout=10):
    """Sends bytes as they are; returns (status, body bytes) of the answer."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (ConnectionError, socket.timeout):
            pass  # the server answered and closed before taking it all: read the answer
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
            head, sep, rest = out.partition(b"\r\n\r\n")
            if sep:
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(rest) >= int(cl[0].split(b":")[1]):
                    break
        status = int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/") else 0
        return status, out.partition(b"\r\n\r\n")[2]
    finally:
        s.close()


def envelope_ok(status, body):
    if status < 400:
        return True
    try:
        j = json.loads(body)
        e = j["error"]
        return isinstance(e["code"], str) and isinstance(e["message"], str) and \
            isinstance(e["details"], list) and len(j["request_id"]) == 32
    except (ValueError, KeyError, TypeError):
        return False


def answered(family, what, status, body, allowed):
    """Common verdict: an expected status, never 5xx, and the envelope on errors."""
    verdict(family, status in allowed and envelope_ok(status, body),
            f"{what}: {status} {body[:120]!r}")


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def sign(header, claims, secret=SECRET, alg=hashlib.sha256):
    h, p = b64(json.dumps(header).encode()), b64(json.dumps(claims).encode())
    s = b64(hmac.new(secret.encode(), f"{h}.{p}".encode(), alg).digest())
    return f"{h}.{p}.{s}"


def claims_of(token):
    p = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def login(email, password=PASSWORD):
    st, _, b = request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    j = json.loads(b) if st == 200 else {}
    return j.get("access_token"), j.get("refresh_token")


def bearer(t):
    return {"Authorization": f"Bearer {t}"}


def sql(q):
    return subprocess.run(shlex.split(SQL) + [q], capture_output=True, text=True).stdout.strip()


# ---- known failures ---------------------------------------------------------------------------

def probe_known(tok):
    f = "known"
    admin2, _ = login("probe-admin2@example.com")
    victim_id = sql("SELECT id FROM users WHERE email = 'probe-victim@example.com'")
    vt, _ = login("probe-victim@example.com")
    st, _, b = request("PUT", f"/api/v1/admin/users/{victim_id}/role", {"role": "user"}, bearer(admin2))
    answered(f, "demote an admin", st, b, {200})
    st, _, b = request("GET", "/api/v1/admin/users", None, bearer(vt))
    answered(f, "demoted admin's old token lists users", st, b, {401})
    a, r = login("probe-user@example.com")
    request("POST", "/api/v1/auth/logout", {"refresh_token": r}, bearer(a))
    st, _, b = request("GET", "/api/v1/auth/me", None, bearer(a))
    answered(f, "access token after logout", st, b, {401})
    a, _ = login("probe-pw@example.com")
    st, _, b = request("PUT", "/api/v1/auth/me/password",
                       {"current_password": PASSWORD, "new_password": "a different passphrase"},
                       bearer(a))
    answered(f, "password change", st, b, {200})
    st, _, b = request("GET", "/api/v1/auth/me", None, bearer(a))
    answered(f, "access token after a password change", st, b, {401})
    st, h, b = request("OPTIONS", "/api/v1/games", None,
                       {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    verdict(f, "access-control-allow-origin" not in h, "CORS granted to an unknown origin")
    st, h, b = request("GET", "/api/v1/health")
    verdict(f, h.get("x-content-type-options") == "nosniff", "no nosniff")
    st, h, b = request("GET", "/api/v1/docs")
    verdict(f, "frame-ancestors" in h.get("content-security-policy", "")
            and h.get("x-frame-options") == "DENY", "docs page without CSP / X-Frame-Options")
    st, h, b = request("GET", "/api/v1/auth/me", None, bearer(tok["user"]))
    verdict(f, h.get("cache-control") == "no-store", "personal data cacheable")
    for p in ["/api/v1/games/1%00", "/api/v1/docs/index.html%00.css", "/api/v1/health?x=%00",
              "/api/v1/games?sport=NBA%01", "/api/v1/games/1%0d%0aX-Injected:%201"]:
        st, _, b = request("GET", p, None, bearer(tok["user"]))
        answered(f, f"control byte {p}", st, b, {400})
    st, b = raw(b"GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n")
    answered(f, "HTTP/1.1 without Host", st, b, {400})
    st, _, b = request("POST", "/api/v1/betting/bankrolls", {"name": "p", "initial_amount": 100},
                       bearer(tok["user"]))
    br = json.loads(b).get("id") if st == 201 else 0
    for amt in [1e-8, 1e-300, 0.001, -1, 0, 1e300, 12.345]:
        st, _, b = request("POST", f"/api/v1/betting/bankrolls/{br}/transactions",
                           {"kind": "deposit", "amount": amt}, bearer(tok["user"]))
        answered(f, f"deposit {amt}", st, b, {400})
        st, _, b = request("POST", "/api/v1/betting/bankrolls",
                           {"name": "x", "initial_amount": amt}, bearer(tok["user"]))
        answered(f, f"bankroll of {amt}", st, b, {400})
    st, _, b = request("POST", "/api/v1/auth/register",
                       {"email": "probe-e11@example.com", "password": "é" * 11})
    answered(f, "11 × é password", st, b, {400})
    st, _, b = request("POST", "/api/v1/auth/register",
                       {"email": "probe-common@example.com", "password": "Password123456"})
    answered(f, "common password", st, b, {400})
    # X-Forwarded-For: 5 a minute, each request a new forged address. Last of all: the limit
    # stays low for whatever follows in this minute.
    request("PUT", "/api/v1/admin/settings/RATE_LIMIT_PER_MIN", {"value": 5}, bearer(tok["admin"]))
    seen = []
    for i in range(8):
        st, _, b = request("POST", "/api/v1/auth/login", {},
                           {"X-Forwarded-For": f"203.0.113.{i + 1}"})
        seen.append(st)
    verdict(f, 429 in seen, f"forged X-Forwarded-For never limited: {seen}")


# ---- forged tokens ----------------------------------------------------------------------------

def probe_jwt(tok):
    f = "jwt"
    good = claims_of(tok["user"])
    admin_id = int(sql("SELECT id FROM users WHERE email = 'probe-admin@example.com'"))
    now = int(time.time())
    esc = dict(good, role="admin", sub=str(admin_id))
    h256 = {"alg": "HS256", "typ": "JWT"}
    forged = {
        "alg none": f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(esc).encode())}.",
        "alg none, signature kept": sign({"alg": "none"}, esc),
        "HS512": sign({"alg": "HS512", "typ": "JWT"}, esc, alg=hashlib.sha512),
        "RS256 header, HMAC body": sign({"alg": "RS256", "typ": "JWT"}, esc),
        "wrong secret": sign(h256, esc, secret="not-the-secret"),
        "empty secret": sign(h256, esc, secret=""),
        "tampered payload": tok["user"].split(".")[0] + "." + b64(json.dumps(esc).encode()) + "." +
                            tok["user"].split(".")[2],
        "expired": sign(h256, dict(good, iat=now - 7200, exp=now - 3600)),
        "from the future": sign(h256, dict(good, iat=now + 3600, exp=now + 7200)),
        "no sid": sign(h256, {k: v for k, v in good.items() if k != "sid"}),
        "no gen": sign(h256, {k: v for k, v in good.items() if k != "gen"}),
        "old generation": sign(h256, dict(good, gen=good.get("gen", 0) + 1)),
        "another user's session": sign(h256, dict(good, sub=str(admin_id), role="admin")),
        "unknown session": sign(h256, dict(good, sid=987654321, gen=good.get("gen", 0))),
        "refresh typ": sign(h256, dict(good, typ="refresh")),
        "kid injection": sign(dict(h256, kid="../../dev/null"), esc, secret=""),
        "truncated": tok["user"][:-5],
        "junk": "a.b.c",
        "empty": "",
    }
    for name, t in forged.items():
        st, _, b = request("GET", "/api/v1/admin/users", None, bearer(t))
        answered(f, f"forged token ({name}) on an admin route", st, b, {401, 403})
        st, _, b = request("GET", "/api/v1/auth/me", None, bearer(t))
        verdict(f, st == 401 and envelope_ok(st, b), f"forged token ({name}) on /auth/me: {st}")
    for hdr in ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer  ", "bearer " + tok["user"] + " x"]:
        st, _, b = request("GET", "/api/v1/auth/me", None, {"Authorization": hdr})
        answered(f, f"Authorization: {hdr[:20]}", st, b, {401})
    for key in ["aps_" + "A" * 43, "junk", "' OR 1=1 --"]:
        st, _, b = request("GET", "/api/v1/auth/me", None, {"X-API-Key": key})
        answered(f, f"X-API-Key {key[:12]}", st, b, {401})


# ---- route × role matrix ----------------------------------------------------------------------

def operations():
    st, _, b = request("GET", "/api/v1/openapi.json")
    doc = json.loads(b)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, op.get("x-permission", "PUBLIC")


def concrete(path, value="1"):
    out = path
    while "{" in out:
        a, b = out.index("{"), out.index("}")
        out = out[:a] + value + out[b + 1:]
    return out


def probe_matrix(tok):
    f = "matrix"
    ops = list(operations())
    verdict(f, len(ops) >= 50, f"only {len(ops)} operations in the document")
    for method, path, perm in ops:
        if path.startswith("/api/v1/auth/") and method != "GET":
            continue  # credential-changing calls would log the probe's accounts out
        if not verdict(f, perm in PERMS, f"{method} {path}: permission {perm} is not in the probe's role table"):
            continue
        p = concrete(path)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        st, _, b = request(method, p, body)
        want = {401} if perm != "PUBLIC" else set(range(200, 500)) - {401, 403}
        answered(f, f"anonymous {method} {path}", st, b, want)
        for i, role in enumerate(ROLES):
            st, _, b = request(method, p, body, bearer(tok[role]))
            if PERMS.get(perm, "00000")[i] == "1":
                want = set(range(200, 500)) - {401, 403}
            else:
                want = {403}
            answered(f, f"{role} {method} {path} ({perm})", st, b, want)


# ---- SQL injection ----------------------------------------------------------------------------

SQLI = ["'", "1'", "1 OR 1=1", "1' OR '1'='1", "1; DROP TABLE users; --", "1 UNION SELECT 1,2,3--",
        "1) OR (1=1", "' OR ''='", "1' AND SLEEP(5)--", "1'; SELECT pg_sleep(5)--",
        "admin'--", "%27%20OR%201=1", "\\' OR 1=1 #", "1e309", "-1", "99999999999999999999999"]
FIELDS = ["email", "password", "name", "role", "kind", "refresh_token", "value", "sport", "code",
          "current_password", "new_password", "totp_code", "currency", "selection", "market",
          "prediction_id", "bankroll_id", "stake", "amount", "game_id", "model", "description"]
QUERY = ["sport", "status", "team", "date", "date_from", "date_to", "tier", "market", "page",
         "limit", "days", "book", "model", "graded", "include_odds", "include_explanation"]


def probe_sqli(tok):
    f = "sqli"
    users = sql("SELECT COUNT(*) FROM users")
    t = tok["admin"]
    for method, path, perm in operations():
        if path.startswith("/api/v1/auth/") and method != "GET":
            continue
        for s in SQLI:
            q = urllib.parse.quote(s, safe="")
            if "{" in path:
                st, _, b = request(method, concrete(path, q), {} if method != "GET" else None,
                                   bearer(t))
                answered(f, f"{method} {path} id={s}", st, b, set(range(200, 500)))
            if method == "GET":
                qs = "&".join(f"{k}={q}" for k in QUERY[: 4 + len(s) % 12])
                st, _, b = request(method, concrete(path) + "?" + qs, None, bearer(t))
                answered(f, f"{method} {path}?{s}", st, b, set(range(200, 500)))
            else:
                st, _, b = request(method, concrete(path), {k: s for k in FIELDS}, bearer(t))
                answered(f, f"{method} {path} body={s}", st, b, set(range(200, 500)))
    for s in SQLI:
        st, _, b = request("POST", "/api/v1/auth/login", {"email": s, "password": s})
        answered(f, f"login {s}", st, b, {400, 401, 429})
        st, _, b = request("POST", "/api/v1/auth/register", {"email": s + "@x.example", "password": s * 4})
        answered(f, f"register {s}", st, b, {201, 400, 409, 429})
    users_after = sql("SELECT COUNT(*) FROM users")
    verdict(f, users_after.isdigit() and int(users_after) >= int(users),
            f"users table changed: {users} → {users_after}")


# ---- traversal --------------------------------------------------------------------------------

def probe_traversal(tok):
    f = "traversal"
    for p in ["/api/v1/docs/../../../etc/passwd", "/api/v1/docs/..%2f..%2f..%2fetc%2fpasswd",
              "/api/v1/docs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/api/v1/docs/....//....//etc/passwd",
              "/api/v1/docs/..%5c..%5cetc%5cpasswd", "/api/v1/docs/%252e%252e%252fetc%252fpasswd",
              "/api/v1/docs/.htaccess", "/api/v1/docs/index.html/..", "/api/v1/docs/%2fetc%2fpasswd",
              "/api/v1/docs/..", "/api/v1/docs/.", "/api/v1/docs/~root", "/api/v1/games/..%2f..%2fadmin",
              "/api/v1/odds/..%2f1", "/api/v1/../../etc/passwd", "//etc/passwd",
              "/api/v1/docs/" + "..%2f" * 40 + "etc/passwd"]:
        st, _, b = request("GET", p, None, bearer(tok["user"]))
        verdict(f, b"root:" not in b and st in (400, 401, 403, 404) and envelope_ok(st, b),
                f"{p}: {st} {b[:80]!r}")


# ---- oversized and malformed ------------------------------------------------------------------

def probe_oversized(tok):
    global library_pages
    f = "oversized"
    t = bearer(tok["user"])
    big = b"{" + b" " * (2 << 20) + b"}"
    st, b = raw(b"POST /api/v1/betting/sizing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + tok["user"].encode() + b"\r\nContent-Length: " +
                str(len(big)).encode() + b"\r\n\r\n" + big)
    answered(f, "body of 2 MiB", st, b, {413})
    st, b = raw(b"POST /api/v1/betting/sizing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Authorization: Bearer " + tok["user"].encode() + b"\r\n\r\n" +
                b"".join(b"10000\r\n" + b" " * 65536 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n")
    answered(f, "chunked body of 512 KiB (limit 4 KiB)", st, b, {413})
    # Far past the limit (4 × limit + 1 MiB) the server stops reading and closes, but only after
    # the 413 it wrote as soon as the body passed the limit: a chunked body of any size, even one
    # that never ends, gets the envelope. The client's send fails; the answer is there to read.
    for mib, path, want in [(2.5, "/api/v1/betting/sizing", 413), (48, "/api/v1/betting/sizing", 413),
                            (48, "/api/v1/no-such-route", 404)]:
        st, b = raw(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Authorization: Bearer " + tok["user"].encode() + b"\r\n\r\n" +
                    b"".join(b"10000\r\n" + b" " * 65536 + b"\r\n" for _ in range(int(mib * 16))) +
                    b"0\r\n\r\n")
        answered(f, f"chunked body of {mib} MiB to {path}", st, b, {want})
    cases = [
        ("invalid JSON", "POST", "/api/v1/betting/sizing", b"{\"a\":", {400}),
        ("a JSON scalar", "POST", "/api/v1/betting/sizing", b"42", {400}),
        ("nesting 1000 deep", "POST", "/api/v1/betting/sizing", b"[" * 1000 + b"]" * 1000, {400}),
        ("a number past double", "POST", "/api/v1/betting/sizing", b"{\"probability\":1e999}", {400}),
        ("NUL inside a string", "POST", "/api/v1/auth/login", b"{\"email\":\"a\\u0000@b.c\",\"password\":\"x\"}", {400, 401}),
        ("invalid UTF-8", "POST", "/api/v1/auth/login", b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}", {400}),
        ("duplicate keys", "POST", "/api/v1/auth/login", b"{\"email\":1,\"email\":\"a@b.c\",\"password\":\"x\"}", {400, 401}),
        ("wrong types", "POST", "/api/v1/betting/sizing", b"{\"probability\":\"x\",\"odds\":[],\"bankroll\":{}}", {400}),
        ("huge string field", "POST", "/api/v1/auth/register",
         json.dumps({"email": "a" * 100000 + "@x.example", "password": "p" * 100000}).encode(), {400, 413}),
    ]
    for name, m, p, data, want in cases:
        st, _, b = request(m, p, None, dict(t, **{"Content-Type": "application/json"}), raw_body=data)
        answered(f, name, st, b, want)
    st, _, b = request("GET", "/api/v1/health?x=" + "a" * 5000)
    answered(f, "URL of 5 KB", st, b, {414})
    st, _, b = request("GET", "/api/v1/health", None, {"X-Big": "b" * 9000})
    answered(f, "headers of 9 KB", st, b, {431})
    st, _, b = request("GET", "/api/v1/health", None, {f"X-H{i}": "v" * 80 for i in range(100)})
    answered(f, "100 headers", st, b, {431})
    st, b = raw(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    answered(f, "Content-Length far past the limit", st, b, {413})
    # Beyond the memory pool libmicrohttpd answers itself: counted, not failed.
    for name, data in [("URL of 64 KB", b"GET /api/v1/health?x=" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                       ("header of 64 KB", b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 65536 + b"\r\n\r\n"),
                       ("garbage request line", b"\x16\x03\x01 hello\r\n\r\n"),
                       ("bad Content-Length", b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")]:
        st, b = raw(data)
        verdict(f, st in (0, 400, 413, 414, 431), f"{name}: {st}")
        if st and not envelope_ok(st, b):
            library_pages += 1


# ---- slowloris --------------------------------------------------------------------------------

def probe_slowloris(tok):
    f = "slowloris"
    socks = []
    for _ in range(300):
        try:
            s = socket.create_connection((HOST, PORT), timeout=5)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        except OSError:
            break
    verdict(f, len(socks) == 300, f"only {len(socks)} slow connections opened")
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in socks:
                try:
                    s.sendall(b"a")
                except OSError:
                    pass
            stop.wait(1)
    th = threading.Thread(target=trickle)
    th.start()
    try:
        for i in range(20):
            t0 = time.monotonic()
            st, _, b = request("GET", "/api/v1/games", None, bearer(tok["user"]), timeout=5)
            verdict(f, st == 200 and time.monotonic() - t0 < 2,
                    f"request {i} under slowloris: {st} in {time.monotonic() - t0:.2f} s")
            time.sleep(0.1)
    finally:
        stop.set()
        th.join()
        for s in socks:
            s.close()


def main():
    tok = {}
    for role in ROLES:
        tok[role], _ = login(f"probe-{role}@example.com")
        verdict("setup", bool(tok[role]), f"login of probe-{role}")
    if not all(tok.values()):
        print("\n".join(fails))
        return 1
    t0 = time.monotonic()
    probe_jwt(tok)
    probe_matrix(tok)
    probe_sqli(tok)
    probe_traversal(tok)
    probe_oversized(tok)
    probe_slowloris(tok)
    probe_known(tok)
    for line in fails[:60]:
        print("FAIL", line)
    total = sum(c[0] for c in counts.values())
    bad = sum(c[1] for c in counts.values())
    for fam, (n, b) in counts.items():
        print(f"probe {fam:10s} {n:5d} probes, {b} failed")
    print(f"probe total      {total:5d} probes, {bad} failed, {library_pages} answered by "
          f"libmicrohttpd itself, {time.monotonic() - t0:.0f} s")
    return 1 if bad else 0


sys.exit(main())
