// Formatting of the API's numbers for display: rounding, percentages, the odds format the user
// chose (the API sends both the decimal price and its American form), and times in the user's
// time zone. Nothing here computes a new number.
import { prefs } from "./prefs";

export const dash = "—";

export function num(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : v.toFixed(digits);
}

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : `${(v * 100).toFixed(digits)}%`;
}

export function signed(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : `${v > 0 ? "+" : ""}${v.toFixed(digits)}`;
}

// A spread or total line as books quote it: whole and half lines with one decimal (2.5, -1.0),
// quarter lines of Asian handicaps with two (-0.25, +0.75), never rounded to another line; a
// spread with its sign (+0.25), a total without (goals over 2.5).
export function line(v: number | null | undefined, market: string | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  const text = v.toFixed(Number.isInteger(v * 2) ? 1 : 2);
  return market === "spread" && v > 0 ? `+${text}` : text;
}

// A grading result as words: "half win", "half loss", "win", "push".
export function result(r: string | null | undefined): string {
  return r ? r.replace(/_/g, " ") : dash;
}

export function money(v: number | null | undefined, currency = "USD"): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(v);
  } catch {
    return v.toFixed(2);
  }
}

export function odds(price: number | null | undefined, american: number | null | undefined): string {
  if (prefs().odds === "american") {
    return american === null || american === undefined ? dash : `${american > 0 ? "+" : ""}${american}`;
  }
  return num(price, 2);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return dash;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: prefs().tz, dateStyle: "medium", timeStyle: "short" }).format(d);
  } catch {
    return d.toISOString();
  }
}

// When a game starts: its time in the user's time zone or, when only its day is known
// (time_known false: tennis-data and football-data files without kick-off times), that day as
// the data gives it; the instant stored for it, 00:00 UTC, is the evening before west of UTC.
export function kickoff(g: { start_time?: string | null; time_known?: boolean; local_date?: string | null; date?: string | null } | null | undefined): string {
  const day = g?.time_known === false ? g.local_date ?? g.date : null;
  if (!day) return when(g?.start_time);
  const d = new Date(`${day}T12:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" }).format(d);
}

export function secs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(t) ? null : t / 1000;
}

export function short(hash: string | null | undefined): string {
  return hash ? `${hash.slice(0, 10)}…` : dash;
}

export function teamName(t: { name?: string | null; key?: string | null } | undefined): string {
  return t?.name ?? t?.key ?? "?";
}
