// The user's display choices, kept in this browser: odds format, time zone, chosen bankroll,
// colour theme.
export interface Prefs { odds: "decimal" | "american"; tz: string; bankroll: number | null; theme: "auto" | "light" | "dark" }

const KEY = "aps.prefs";
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function prefs(): Prefs {
  let p: Partial<Prefs> = {};
  try {
    p = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Prefs>;
  } catch {
    /* defaults */
  }
  return { odds: p.odds ?? "decimal", tz: p.tz ?? zone, bankroll: p.bankroll ?? null, theme: p.theme ?? "auto" };
}

export function setPrefs(change: Partial<Prefs>): Prefs {
  const p = { ...prefs(), ...change };
  localStorage.setItem(KEY, JSON.stringify(p));
  applyTheme(p);
  return p;
}

export function applyTheme(p = prefs()): void {
  const dark = p.theme === "dark" || (p.theme === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
