// The API client: one fetch wrapper that sends the access token, refreshes it silently (a timer
// shortly before it expires, and once on a 401), and signs out cleanly when the session ends.
// List answers are read through pageOf() only, so a change of the list envelope is a one-line fix.
//
// Tabs of one session. The tokens live in the tab's sessionStorage, which a duplicated tab
// copies: two tabs then hold one refresh token, and the server takes a second use of a refresh
// token for theft and revokes the whole chain. So the tabs of one session (one sign-in, its
// `chain`) renew it one at a time under a Web Lock named after the chain; the tab that renews
// writes the renewal's number (`seq`) to IndexedDB (a number, never a token) before it lets the
// lock go, and hands the new tokens to the other tabs over a BroadcastChannel. A tab that finds,
// under the lock, a renewal newer than its own asks the other tabs for the tokens and never sends
// its spent refresh token; when no tab can give them, that tab alone signs out. Sign-out runs
// under the same lock, with the newest refresh token, and signs out every tab of the session.
// The number is not kept in localStorage: Chromium hands a value one tab writes there to a tab
// in another process a moment later, and a tab granted the lock within that moment (before the
// tokens' message came too) read the older number and sent the spent token. An IndexedDB
// transaction begun after another's commit reads what it wrote, in every process.
//
// Renewal answers: 401 or 403 end the session; 429, 5xx and a network failure keep it and try
// again later (Retry-After when the answer gives one, else 2, 4, 8 … up to 60 seconds).
import type { ApiError, Tokens, User } from "./types";

const KEY = "aps.session";
const DB = "aps.session"; // IndexedDB: store "chains", chain -> {seq, at}: its newest renewal
const OLD_SEQ = "aps.session.seq."; // + chain: where an earlier version of the page kept the number
const CATCH_UP_MS = 3000;

// chain: one sign-in, shared by the tabs duplicated from it; seq: its renewals so far.
interface Session { access: string; refresh: string; expiresAt: number; chain: string; seq: number }
type Renewal = "ok" | "later" | "ended";
type Message = { kind: "tokens"; session: Session } | { kind: "want"; chain: string; seq: number } | { kind: "ended"; chain: string };

let session: Session | null = load();
let refreshTimer: number | undefined;
let refreshing: Promise<Renewal> | null = null;
let failures = 0; // renewals that failed in a row for a reason that may pass
let retryAt = 0; // no renewal is tried before this time (ms)
let queue: Promise<unknown> = Promise.resolve();
const caughtUp: (() => void)[] = [];
const listeners: (() => void)[] = [];
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("aps.session") : null;

function newChain(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.access !== "string" || typeof s.refresh !== "string" || typeof s.expiresAt !== "number") return null;
    return { access: s.access, refresh: s.refresh, expiresAt: s.expiresAt, chain: s.chain ?? newChain(), seq: s.seq ?? 0 };
  } catch {
    return null;
  }
}

function save(s: Session | null): void {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  schedule();
}

function schedule(): void {
  if (refreshTimer !== undefined) window.clearTimeout(refreshTimer);
  refreshTimer = undefined;
  if (!session) return;
  // refresh 30 s before the access token expires (at once when that moment has passed), or when
  // the wait after a failed renewal is over
  const wait = Math.max(0, session.expiresAt - Date.now() - 30_000, retryAt - Date.now());
  refreshTimer = window.setTimeout(() => void refresh(), wait);
}

let db: Promise<IDBDatabase | null> | null = null;

function database(): Promise<IDBDatabase | null> {
  db ??= new Promise((resolve) => {
    try {
      const open = indexedDB.open(DB, 1);
      open.onupgradeneeded = () => open.result.createObjectStore("chains");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => resolve(null);
    } catch {
      resolve(null); // no IndexedDB (a browser's private mode): the tabs fall back to the lock alone
    }
  });
  return db;
}

// Runs fn in one transaction on the chains; resolves when the transaction has committed (with
// what fn's last request read), or with undefined when storage is refused.
async function chains<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore, done: (v: T) => void) => void): Promise<T | undefined> {
  const d = await database();
  if (!d) return undefined;
  return new Promise((resolve) => {
    let value: T | undefined;
    try {
      const tx = d.transaction("chains", mode);
      tx.oncomplete = () => resolve(value);
      tx.onerror = tx.onabort = () => resolve(undefined);
      fn(tx.objectStore("chains"), (v) => (value = v));
    } catch {
      resolve(undefined);
    }
  });
}

interface Newest { seq: number; at: number }

// The newest renewal of a chain that any tab has made.
async function newestSeq(chain: string): Promise<number> {
  const n = await chains<number>("readonly", (store, done) => {
    const r = store.get(chain);
    r.onsuccess = () => done((r.result as Newest | undefined)?.seq ?? 0);
  });
  return n ?? 0;
}

// Records a renewal of the chain (never lowering its number), or forgets the chain (null).
async function setNewestSeq(chain: string, seq: number | null): Promise<void> {
  await chains<void>("readwrite", (store) => {
    if (seq === null) {
      store.delete(chain);
      return;
    }
    const r = store.get(chain);
    r.onsuccess = () => store.put({ seq: Math.max(seq, (r.result as Newest | undefined)?.seq ?? 0), at: Date.now() }, chain);
  });
}

// Forgets the renewal numbers of chains no tab has renewed for 60 days (their tabs were closed
// without signing out), and those an earlier version of the page kept in localStorage.
// Forgetting a live chain's number only loses the check for spent tokens until its next renewal.
function forgetOldChains(): void {
  const old = Date.now() - 60 * 86_400_000;
  void chains<void>("readwrite", (store) => {
    const c = store.openCursor();
    c.onsuccess = () => {
      const at = c.result;
      if (!at) return;
      if (((at.value as Newest).at ?? 0) < old) at.delete();
      at.continue();
    };
  });
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k?.startsWith(OLD_SEQ)) localStorage.removeItem(k);
    }
  } catch {
    /* storage refused */
  }
}

function tell(m: Message): void {
  channel?.postMessage(m);
}

if (channel) {
  channel.onmessage = (e: MessageEvent<Message>) => {
    const m = e.data;
    if (!session) return;
    if (m.kind === "tokens" && m.session.chain === session.chain && m.session.seq > session.seq) {
      save(m.session);
      failures = 0;
      retryAt = 0;
      for (const f of caughtUp.splice(0)) f();
    } else if (m.kind === "want" && m.chain === session.chain && session.seq >= m.seq) {
      tell({ kind: "tokens", session });
    } else if (m.kind === "ended" && m.chain === session.chain) {
      drop(false);
    }
  };
}

// Runs fn alone among the tabs of the chain (and in this tab), or alone in this tab where the
// browser has no Web Locks (a page not served over HTTPS or from localhost).
function exclusive<T>(chain: string, fn: () => Promise<T>): Promise<T> {
  const run = (): Promise<T> => ("locks" in navigator && navigator.locks ? (navigator.locks.request(`aps.session.${chain}`, fn) as Promise<T>) : fn());
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

// Under the lock: adopts the tokens of a renewal another tab made (asking the tabs for them when
// they have not come yet). False when this tab holds spent tokens that no tab can replace.
async function catchUp(): Promise<boolean> {
  const wanted = session ? await newestSeq(session.chain) : 0;
  if (!session || session.seq >= wanted) return true;
  const deadline = Date.now() + CATCH_UP_MS;
  tell({ kind: "want", chain: session.chain, seq: wanted });
  while (session && session.seq < wanted && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      caughtUp.push(resolve);
      window.setTimeout(resolve, deadline - Date.now());
    });
  }
  return session !== null && session.seq >= wanted;
}

export function signedIn(): boolean {
  return session !== null;
}

export function onSignOut(f: () => void): void {
  listeners.push(f);
}

export class HttpError extends Error {
  constructor(public status: number, public code: string, message: string, public body: unknown) {
    super(message);
  }
}

// Keeps new tokens; resolves once their renewal's number is stored for the other tabs to read.
function accept(t: Tokens, chain = newChain(), seq = 0): Promise<void> {
  if (seq === 0) forgetOldChains();
  failures = 0;
  retryAt = 0;
  save({ access: t.access_token, refresh: t.refresh_token, expiresAt: Date.now() + t.expires_in * 1000, chain, seq });
  return setNewestSeq(chain, seq);
}

// Renews the tokens unless another tab of the session has done so since this tab saw `seen`.
async function refresh(seen = session?.seq ?? 0): Promise<Renewal> {
  if (!session) return "ended";
  if (refreshing) return refreshing;
  refreshing = exclusive(session.chain, () => renew(seen)).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// The renewal itself; the caller holds the chain's lock.
async function renew(seen: number): Promise<Renewal> {
  if (!(await catchUp())) {
    drop(false);
    return "ended";
  }
  const s = session;
  if (!s) return "ended";
  if (s.seq !== seen) return "ok";
  if (Date.now() < retryAt) return "later";
  let r: Response;
  try {
    r = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: s.refresh }),
    });
  } catch {
    return later(null); // the network is down: keep the session, try again shortly
  }
  if (r.status === 401 || r.status === 403) {
    drop(true);
    return "ended";
  }
  if (!r.ok) return later(r);
  let t: Tokens;
  try {
    t = (await r.json()) as Tokens;
  } catch {
    return later(null); // the answer broke off
  }
  if (session !== s) return session ? "ok" : "ended"; // signed out (or adopted) meanwhile
  const stored = accept(t, s.chain, s.seq + 1);
  if (session) tell({ kind: "tokens", session });
  await stored; // before the lock goes to the next tab
  return "ok";
}

// A renewal that may succeed later (429, 5xx, no network): keeps the session and waits before
// the next try.
function later(r: Response | null): Renewal {
  failures++;
  const asked = Number(r?.headers.get("Retry-After"));
  const wait = asked > 0 ? Math.min(asked, 300) * 1000 : Math.min(60_000, 1000 * 2 ** failures);
  retryAt = Date.now() + wait;
  schedule();
  return "later";
}

// Ends the session in this tab; with tellOthers, in the other tabs of the session too.
function drop(tellOthers: boolean): void {
  const chain = session?.chain;
  save(null);
  failures = 0;
  retryAt = 0;
  for (const f of caughtUp.splice(0)) f();
  if (chain && tellOthers) {
    tell({ kind: "ended", chain });
    void setNewestSeq(chain, null);
  }
  for (const f of listeners) f();
}

async function errorOf(r: Response): Promise<HttpError> {
  // an answer that is not the Error envelope (a proxy's HTML page) still gives a message
  let body: Partial<ApiError> = {};
  try {
    body = (await r.json()) as ApiError;
  } catch {
    /* not JSON */
  }
  const e: Partial<ApiError["error"]> = body.error ?? {};
  const details = (e.details ?? []).map((d) => `${d.field}: ${d.message}`).join("; ");
  return new HttpError(r.status, e.code ?? String(r.status), (e.message ?? r.statusText) + (details ? ` (${details})` : ""), body);
}

// One request with the session's token (renewed once on a 401); a failure is thrown as HttpError.
async function send(method: string, path: string, body: unknown, accept: string, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  const seen = session?.seq ?? 0;
  if (session) headers.Authorization = `Bearer ${session.access}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && session && !retried) {
    const renewed = await refresh(seen);
    if (renewed === "ok") return send(method, path, body, accept, true);
    if (renewed === "later") throw new HttpError(401, "RENEWAL_PENDING", "The session could not be renewed just now; it will be tried again shortly.", null);
  }
  if (!r.ok) {
    if (r.status === 401 && session) drop(true);
    throw await errorOf(r);
  }
  return r;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await send(method, path, body, "application/json")).json()) as T;
}

// Saves a file the API answers (a CSV export) under filename, as the browser saves a download.
export async function download(path: string, accept: string, filename: string): Promise<void> {
  const blob = await (await send("GET", path, undefined, accept)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const get = <T>(path: string): Promise<T> => api<T>("GET", path);

// One page of a list: its rows, the rows matching over all pages, the page (from 1), the page size.
export interface Page<T> { items: T[]; total: number; page: number; limit: number }

// The one place that knows how a list answer is shaped. Today: {items: [...], total, page, limit}
// (or a bare array, all of it); when the envelope changes, only this function changes.
export function pageOf<T>(answer: unknown): Page<T> {
  if (Array.isArray(answer)) return { items: answer as T[], total: answer.length, page: 1, limit: Math.max(1, answer.length) };
  const a = answer as { items?: T[]; data?: T[]; total?: number; page?: number; limit?: number } | null;
  const rows = a?.items ?? a?.data ?? [];
  return { items: rows, total: a?.total ?? rows.length, page: a?.page ?? 1, limit: a?.limit ?? Math.max(1, rows.length) };
}

export function items<T>(answer: unknown): T[] {
  return pageOf<T>(answer).items;
}

export async function list<T>(path: string): Promise<T[]> {
  return items<T>(await get<unknown>(path));
}

// One page of a list; path carries the filters, page and limit are added.
export async function page<T>(path: string, n: number, limit = 100): Promise<Page<T>> {
  const [where, query] = path.split("?");
  const q = new URLSearchParams(query);
  q.set("page", String(n));
  q.set("limit", String(limit));
  return pageOf<T>(await get<unknown>(`${where}?${q}`));
}

// Every row of a list, a page at a time (at most `pages` pages; `total` says when there are more).
export async function every<T>(path: string, pages = 50): Promise<Page<T>> {
  const first = await page<T>(path, 1);
  const rows = [...first.items];
  for (let n = 2; n <= pages && rows.length < first.total; n++) {
    const p = await page<T>(path, n);
    if (!p.items.length) break;
    rows.push(...p.items);
  }
  return { items: rows, total: first.total, page: 1, limit: rows.length };
}

// Orders the answers of a view that asks again before its last answer came (a filter changed, a
// page turned): each call returns a function telling whether that request is still the newest,
// so an older answer, slower to come, is dropped instead of drawn over the newer one.
export function newest(): () => () => boolean {
  let n = 0;
  return () => {
    const mine = ++n;
    return () => mine === n;
  };
}

export async function login(email: string, password: string, totp?: string): Promise<void> {
  const body: Record<string, string> = { email, password };
  if (totp) body.totp_code = totp;
  const r = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw await errorOf(r);
  await accept((await r.json()) as Tokens);
}

export async function register(email: string, password: string, name: string): Promise<void> {
  const r = await fetch("/api/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, name }),
  });
  if (!r.ok) throw await errorOf(r);
}

// Signs out: revokes the session on the server with its newest refresh token (under the chain's
// lock, so no tab renews it meanwhile; renewing first when the access token is refused), then
// ends it in every tab of the session. A failure that may pass (429, 5xx, no network) is tried
// again twice.
export async function logout(): Promise<void> {
  const s = session;
  if (s) await exclusive(s.chain, revoke);
  if (session) drop(true);
}

async function revoke(): Promise<void> {
  if (!(await catchUp())) return;
  let pause = 0;
  for (let attempt = 0; session && attempt < 3; attempt++) {
    if (pause) await new Promise((resolve) => window.setTimeout(resolve, pause));
    pause = 500 * 2 ** attempt;
    const s: Session = session;
    let r: Response;
    try {
      r = await fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json", Authorization: `Bearer ${s.access}` },
        body: JSON.stringify({ refresh_token: s.refresh }),
      });
    } catch {
      continue;
    }
    if (r.ok) return;
    if (r.status === 401) {
      retryAt = 0; // signing out is worth a renewal now
      const renewed = await renew(s.seq);
      if (renewed === "ended") return;
      if (renewed === "ok") pause = 0;
    } else if (r.status !== 429 && r.status < 500) {
      return;
    }
  }
}

export const me = (): Promise<User> => get<User>("/api/v1/auth/me");

save(session); // a session kept by an earlier version of the page gets its chain now
