// The API client: one fetch wrapper that sends the access token, refreshes it silently (a timer
// shortly before it expires, and once on a 401), and signs out cleanly when refreshing fails.
// Lists are read through items() only, so a change of the list envelope is a one-line fix.
import type { ApiError, Tokens, User } from "./types";

const KEY = "aps.session";

interface Session { access: string; refresh: string; expiresAt: number }

let session: Session | null = load();
let refreshTimer: number | undefined;
let refreshing: Promise<boolean> | null = null;
const listeners: (() => void)[] = [];

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
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
  // refresh 30 s before the access token expires (at once when that moment has passed)
  const wait = Math.max(0, session.expiresAt - Date.now() - 30_000);
  refreshTimer = window.setTimeout(() => void refresh(), wait);
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

function accept(t: Tokens): void {
  save({ access: t.access_token, refresh: t.refresh_token, expiresAt: Date.now() + t.expires_in * 1000 });
}

async function refresh(): Promise<boolean> {
  if (!session) return false;
  if (refreshing) return refreshing;
  const token = session.refresh;
  refreshing = (async () => {
    try {
      const r = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (!r.ok) {
        drop();
        return false;
      }
      accept((await r.json()) as Tokens);
      return true;
    } catch {
      return false; // the network is down: keep the session, the next call tries again
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function drop(): void {
  save(null);
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

export async function api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (session) headers.Authorization = `Bearer ${session.access}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && session && !retried && (await refresh())) return api<T>(method, path, body, true);
  if (!r.ok) {
    if (r.status === 401 && session) drop();
    throw await errorOf(r);
  }
  return (await r.json()) as T;
}

export const get = <T>(path: string): Promise<T> => api<T>("GET", path);

// The one place that knows how a list answer is shaped. Today: {items: [...], total?, ...}
// (or a bare array); when the envelope changes, only this function changes.
export function items<T>(answer: unknown): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const a = answer as { items?: T[]; data?: T[] } | null;
  return a?.items ?? a?.data ?? [];
}

export async function list<T>(path: string): Promise<T[]> {
  return items<T>(await get<unknown>(path));
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
  accept((await r.json()) as Tokens);
}

export async function register(email: string, password: string, name: string): Promise<void> {
  const r = await fetch("/api/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, name }),
  });
  if (!r.ok) throw await errorOf(r);
}

export async function logout(): Promise<void> {
  if (session) {
    try {
      await api("POST", "/api/v1/auth/logout", { refresh_token: session.refresh });
    } catch {
      /* the tokens are dropped here either way */
    }
  }
  drop();
}

export const me = (): Promise<User> => get<User>("/api/v1/auth/me");

schedule();
