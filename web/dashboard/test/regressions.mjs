// Regressions of the dashboard in Debian's chromium (tests/integration/dashboard_regressions.sh,
// which starts the platform as for the story in browser.mjs). Each block pins one bug the
// dashboard had and fails on the dashboard that had it: tabs of one session that renewed it
// together and revoked it as stolen, a renewal refused for a moment that signed the user out,
// and sign-out with a spent refresh token. The faults (a slow, refused or failed answer) are made
// with playwright's request routing; the rest is the real API and its store.
import { BASE, check, finish, launch, sleep, sql, waitFor } from "./harness.mjs";

const PASSWORD = "correct horse battery";
const errors = [];
const browser = await launch();

// One block in a browser context of its own (its own storage, its own routes); an exception
// fails the block and the others still run.
async function block(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
  context.setDefaultTimeout(20000);
  context.on("page", (p) => p.on("pageerror", (e) => errors.push(`${name}: ${e}`)));
  try {
    await fn(context);
  } catch (e) {
    check(`${name}: ran to the end`, false, String(e).split("\n")[0]);
  } finally {
    await context.close();
  }
}

async function apiCall(method, path, token, body) {
  const r = await fetch(`${BASE}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

let serial = 0;
// A new account; returns its e-mail, id and an access token of a session of its own.
async function account(role = null) {
  const email = `reg${Date.now()}-${++serial}@example.com`;
  await apiCall("POST", "/api/v1/auth/register", null, { email, password: PASSWORD, name: "Regression" });
  if (role) sql(`UPDATE users SET role = '${role}' WHERE email = '${email}'`);
  const t = await apiCall("POST", "/api/v1/auth/login", null, { email, password: PASSWORD });
  return { email, id: Number(sql(`SELECT id FROM users WHERE email = '${email}'`)), token: t.access_token };
}

async function signIn(page, email, password = PASSWORD, at = "#/login") {
  await page.goto(`${BASE}/${at}`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

const session = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem("aps.session") ?? "null"));
// Makes the tab's access token due for renewal: the page renews it as soon as it loads.
const due = (page) => page.evaluate(() => {
  const s = JSON.parse(sessionStorage.getItem("aps.session"));
  s.expiresAt = Date.now();
  sessionStorage.setItem("aps.session", JSON.stringify(s));
});
// A tab duplicated from one holding `s`: the browser copies sessionStorage before the page runs.
const duplicate = async (context, s) => {
  const page = await context.newPage();
  await page.addInitScript((json) => { if (!sessionStorage.getItem("aps.session")) sessionStorage.setItem("aps.session", json); }, JSON.stringify(s));
  return page;
};
// The sessions opened after `mark` (the browser's, not the one account() opened) still live.
const lastSession = () => Number(sql("SELECT COALESCE(MAX(id), 0) FROM sessions"));
const liveSessions = (userId, mark) => Number(sql(`SELECT COUNT(*) FROM sessions WHERE user_id = ${userId} AND id > ${mark} AND revoked = 0 AND expires_at > CAST(strftime('%s', 'now') AS INTEGER)`));
const audits = (userId, action) => Number(sql(`SELECT COUNT(*) FROM audit_log WHERE actor_id = ${userId} AND action = '${action}'`));
const fail = (status, code) => ({ status, contentType: "application/json", body: JSON.stringify({ error: { code, message: `injected ${status}`, details: [] }, request_id: "test" }) });
const signedOut = (page) => waitFor(async () => /#\/login$/.test(page.url()) && (await session(page)) === null, 10000);

await block("tabs of one session renew it once, without a false token theft", async (context) => {
  const u = await account();
  const a = await context.newPage();
  const mark = lastSession();
  await signIn(a, u.email);
  const first = await session(a);
  const b = await duplicate(context, first);
  await b.goto(`${BASE}/#/picks`);
  await b.getByRole("button", { name: "Sign out" }).waitFor();
  // both tabs due at once; the refresh is held 800 ms, so that renewals that do not wait for
  // each other overlap
  let renewals = 0;
  await context.route("**/api/v1/auth/refresh", async (route) => { renewals++; await sleep(800); await route.continue(); });
  const loginAudits = audits(u.id, "refresh");
  await due(a);
  await due(b);
  await Promise.all([a.reload(), b.reload()]);
  const same = await waitFor(async () => {
    const [x, y] = [await session(a), await session(b)];
    return x && y && x.refresh !== first.refresh && x.refresh === y.refresh;
  }, 10000);
  await sleep(1500);
  check("two tabs of one session: one renewal, whose tokens both tabs hold", same && renewals === 1 && audits(u.id, "refresh") === loginAudits + 1,
    `${renewals} renewals sent, same tokens ${same}`);
  check("two tabs of one session: no refresh token reuse reported, both still signed in",
    audits(u.id, "refresh_reuse") === 0 && (await session(a)) !== null && (await session(b)) !== null && !/#\/login/.test(a.url() + b.url()),
    `${audits(u.id, "refresh_reuse")} reuse events`);

  // a tab restored with the spent tokens takes the newest from the others instead of sending them
  const c = await duplicate(context, { ...first, expiresAt: Date.now() });
  await c.goto(`${BASE}/#/picks`);
  const adopted = await waitFor(async () => (await session(c))?.refresh === (await session(a))?.refresh, 10000);
  await sleep(500);
  check("a tab holding a spent refresh token adopts the newest instead of sending it", adopted && renewals === 1 && audits(u.id, "refresh_reuse") === 0,
    `${renewals} renewals sent, ${audits(u.id, "refresh_reuse")} reuse events`);

  // signing out in one tab revokes the session and signs out the others
  await a.getByRole("button", { name: "Sign out" }).click();
  const allOut = (await signedOut(a)) && (await signedOut(b)) && (await signedOut(c));
  check("sign-out in one tab signs out every tab of the session and revokes it", allOut && liveSessions(u.id, mark) === 0,
    `${liveSessions(u.id, mark)} sessions still live`);
});

await block("a renewal refused for a while keeps the session", async (context) => {
  const u = await account();
  const p = await context.newPage();
  await signIn(p, u.email);
  const first = await session(p);
  const tries = [];
  await context.route("**/api/v1/auth/refresh", async (route) => {
    tries.push(Date.now());
    if (tries.length === 1) return route.fulfill(fail(503, "SERVICE_UNAVAILABLE"));
    if (tries.length === 2) return route.fulfill({ ...fail(429, "RATE_LIMITED"), headers: { "Retry-After": "1" } });
    return route.continue();
  });
  await due(p);
  await p.reload();
  await waitFor(() => tries.length >= 1, 10000);
  await sleep(300);
  const kept = (await session(p)) !== null && !/#\/login/.test(p.url());
  const renewed = await waitFor(async () => { const s = await session(p); return s !== null && s.refresh !== first.refresh; }, 15000);
  const gaps = tries.slice(1).map((t, i) => t - tries[i]);
  check("renewal answered 503 then 429: still signed in, tried again after a pause, renewed", kept && renewed && tries.length === 3 && gaps[0] >= 1500 && gaps[1] >= 900 && !/#\/login/.test(p.url()),
    `${tries.length} tries, pauses ${gaps.join(", ")} ms, url ${p.url()}`);

  await context.unroute("**/api/v1/auth/refresh");
  await context.route("**/api/v1/auth/refresh", (route) => route.fulfill(fail(401, "INVALID_TOKEN")));
  await due(p);
  await p.reload();
  check("renewal answered 401: signed out", await signedOut(p), p.url());
});

await block("sign-out revokes the session with its newest refresh token", async (context) => {
  const u = await account();
  const p = await context.newPage();
  let mark = lastSession();
  await signIn(p, u.email);
  // the access token is refused at sign-out (it expired): the page renews, then signs out
  const sent = [];
  await context.route("**/api/v1/auth/logout", async (route) => {
    sent.push(JSON.parse(route.request().postData() ?? "{}").refresh_token);
    if (sent.length === 1) return route.fulfill(fail(401, "INVALID_TOKEN"));
    return route.continue();
  });
  await p.getByRole("button", { name: "Sign out" }).click();
  await signedOut(p);
  await waitFor(() => sent.length >= 2, 5000);
  check("sign-out after a refused access token sends the renewed refresh token; no session left", sent.length === 2 && sent[0] !== sent[1] && liveSessions(u.id, mark) === 0,
    `${sent.length} sign-out requests, ${liveSessions(u.id, mark)} sessions live`);
  await context.unroute("**/api/v1/auth/logout");

  // signing out while a renewal's answer is on its way
  mark = lastSession();
  await signIn(p, u.email);
  let rotated = false;
  await context.route("**/api/v1/auth/refresh", async (route) => {
    const answer = await route.fetch();
    rotated = true;
    await sleep(1500);
    await route.fulfill({ response: answer });
  });
  await due(p);
  await p.reload();
  await p.getByRole("button", { name: "Sign out" }).waitFor();
  await waitFor(() => rotated, 10000);
  await p.getByRole("button", { name: "Sign out" }).click();
  await signedOut(p);
  await sleep(2500);
  check("sign-out during a renewal revokes the renewed session and stays signed out", rotated && liveSessions(u.id, mark) === 0 && (await session(p)) === null,
    `${liveSessions(u.id, mark)} sessions live, tokens kept ${(await session(p)) !== null}`);
});

await browser.close();
check("no script error on any page", errors.length === 0, errors.slice(0, 3).join(" | "));
finish();
