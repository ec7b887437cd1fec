// Admin and operator: users and roles, run-time settings, data quality and freshness, alerts,
// the job queue (from the detailed health) and its dead letters (requeue or drop). Each block
// asks the API and shows what the caller's role may read; a refused block says so. Users,
// alerts and dead letters are read a page at a time.
import { api, get, list } from "../api";
import { h, section, select, status, table } from "../dom";
import { num, when } from "../format";
import { pagedList } from "../paged";
import type { Alert, DataQuality, DeadJob, Health, Setting, User } from "../types";

const ROLES = ["user", "pro", "analyst", "operator", "admin"];

async function block(title: string, build: () => Promise<HTMLElement>): Promise<HTMLElement> {
  try {
    return section(title, await build());
  } catch (e) {
    return section(title, h("p", { class: "status error" }, (e as Error).message));
  }
}

function users(): Promise<HTMLElement> {
  return pagedList<User>("Users", "/api/v1/admin/users", (p) => table(`Users (${p.total})`, ["Id", "E-mail", "Name", "Role", "Active", "2FA", "Last sign-in"], p.items.map((u) => {
    const role = select(`role-${u.id}`, ROLES.map((r) => [r, r]), u.role);
    role.setAttribute("aria-label", `Role of ${u.email}`);
    role.addEventListener("change", async () => {
      try { await api("PUT", `/api/v1/admin/users/${u.id}/role`, { role: role.value }); role.classList.add("saved"); } catch (e) { alert((e as Error).message); }
    });
    return [u.id, u.email, u.name ?? "", role, u.is_active ? "yes" : "no", u.totp_enabled ? "on" : "off", when(u.last_login_at)];
  }), "users"));
}

async function settings(): Promise<HTMLElement> {
  const all = await list<Setting>("/api/v1/admin/settings");
  const runtime = all.filter((s) => s.runtime_changeable);
  const rows = runtime.map((s) => {
    const input = h("input", { type: "text", name: s.name, value: s.effective ?? s.value ?? "", "aria-label": s.name });
    const msg = h("span", { class: "status", role: "status", "aria-live": "polite" });
    const form = h("form", { class: "inline setting", "data-setting": s.name }, input, h("button", { type: "submit", class: "small" }, "Save"), msg);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("PUT", `/api/v1/admin/settings/${encodeURIComponent(s.name)}`, { value: input.value });
        status(msg, "saved", "ok");
      } catch (err) { status(msg, (err as Error).message, "error"); }
    });
    return [h("code", {}, s.name), s.value ?? "", s.override ? `override since ${when(s.override.updated_at)}` : s.source ?? "", form];
  });
  return h("div", {}, table("Run-time settings (take effect without a restart; audited)", ["Setting", "Configured", "Source", "Effective value"], rows, "settings"),
    h("details", {}, h("summary", {}, `All ${all.length} settings`), table("Effective settings (secrets redacted)", ["Setting", "Value", "Source"], all.map((s) => [s.name, s.value ?? "", s.source ?? ""]))));
}

// The latest stored checks, and the report the API computes from the store on each request: per
// sport, games without odds, final games without a score, scheduled games long past their start,
// and how old the newest quote of the upcoming games is; then what grading has left undone.
async function quality(): Promise<HTMLElement> {
  const q = await get<DataQuality>("/api/v1/admin/data-quality");
  const c = q.computed;
  const span = (s: number) => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`);
  // a quote stamped after the server's now: a source's clock runs ahead of the server's
  const age = (s: number | null) => (s === null ? "none" : s < 0 ? `${span(-s)} ahead of the server's clock` : `${span(s)} old`);
  return h("div", {},
    table("Latest checks", ["Check", "Passed", "Score", "Failed", "Checked"], q.checks.map((x) => [x.check_code ?? "", x.passed ? "yes" : "no", num(x.score, 3), x.failed_count ?? "—", when(x.checked_at)])),
    c.by_sport.length
      ? table(`Freshness (computed ${when(c.at)})`, ["Sport", "Games", "Without odds", "Final without score", "Overdue (scheduled, long past start)", "Upcoming", "Newest upcoming quote"],
          c.by_sport.map((s) => [s.sport ?? "", s.games, s.games_without_odds, s.final_without_score, s.scheduled_overdue, s.upcoming_games, s.upcoming_games ? age(s.upcoming_odds_staleness_seconds) : "—"]), "freshness")
      : h("p", {}, "No games stored yet."),
    h("p", { class: "status" },
      `Finished games with ungraded picks: ${c.predictions_final_ungraded}; bets pending on finished or cancelled games: ${c.bets_unsettled_on_finished_games}.`));
}

function alerts(): Promise<HTMLElement> {
  return pagedList<Alert>("Alerts", "/api/v1/admin/alerts", (p) => p.items.length
    ? table(`Alerts (${p.total}, newest first)`, ["When", "Severity", "Title", "Message", ""], p.items.map((a) => [when(a.created_at), a.severity ?? "", a.title ?? a.kind ?? "", a.message ?? "",
      a.acknowledged ? "acknowledged" : h("button", { type: "button", class: "small", onclick: async (e: Event) => {
        try { await api("POST", `/api/v1/admin/alerts/${a.id}/acknowledge`, {}); (e.target as HTMLButtonElement).replaceWith("acknowledged"); } catch (err) { alert((err as Error).message); }
      } }, "Acknowledge")]), "alerts")
    : h("p", {}, "No alerts."));
}

async function queue(): Promise<HTMLElement> {
  const hd = await get<Health>("/api/v1/health/detailed");
  const comps = hd.components ?? {};
  // a component's fields as words: "latency ms: 0.007, pool (open 4, in use 0, max 15, …)"
  const words = (k: string) => k.replace(/_/g, " ");
  const text = (x: unknown): string => (x && typeof x === "object" && !Array.isArray(x)
    ? `(${Object.entries(x).map(([f, y]) => `${words(f)} ${text(y)}`).join(", ")})`
    : Array.isArray(x) ? x.map(text).join(", ") : String(x));
  const rows = Object.entries(comps).map(([k, v]) => [k, String(v.status ?? ""), Object.entries(v).filter(([f]) => f !== "status")
    .map(([f, x]) => (x && typeof x === "object" && !Array.isArray(x) ? `${words(f)} ${text(x)}` : `${words(f)}: ${text(x)}`)).join(", ")]);
  return table(`Components (${hd.status ?? "?"})`, ["Component", "Status", "Details"], rows);
}

// Dead letters a page at a time, newest first, with a pager when there are more.
function deadLetters(): Promise<HTMLElement> {
  return pagedList<DeadJob>("Dead letters", "/api/v1/admin/jobs/dead", (p) => p.items.length
    ? deadTable(p.items, p.total)
    : h("p", {}, "No dead letters: every job that failed has retries left or has run."));
}

function deadTable(ds: DeadJob[], total: number): HTMLElement {
  const act = (d: DeadJob, how: "requeue" | "drop") => async (e: Event) => {
    const cell = (e.target as HTMLElement).parentElement;
    try {
      if (how === "requeue") await api("POST", `/api/v1/admin/jobs/dead/${encodeURIComponent(d.id)}/requeue`, {});
      else await api("DELETE", `/api/v1/admin/jobs/dead/${encodeURIComponent(d.id)}`);
      cell?.replaceChildren(how === "requeue" ? "requeued" : "dropped");
    } catch (err) { alert((err as Error).message); }
  };
  return h("div", {}, table(`Dead-lettered jobs (${total}, newest first)`, ["Job", "Name", "Runs started", "Max attempts", "Enqueued", "Last error", ""], ds.map((d) => [
    d.id, d.name, d.attempts, d.max_attempts, when(new Date(d.enqueued_ms).toISOString()), d.error ?? "",
    h("span", {},
      h("button", { type: "button", class: "small", onclick: act(d, "requeue") }, "Requeue"), " ",
      h("button", { type: "button", class: "small", onclick: act(d, "drop") }, "Drop")),
  ]), "dead-letters"), h("p", { class: "status" }, "A job that fails while a dependency is down keeps retrying past its max attempts until its retry budget (QUEUE_RETRY_BUDGET_SECONDS) is spent."));
}

export async function adminPage(main: HTMLElement, role: string): Promise<void> {
  const admin = role === "admin";
  const ops = admin || role === "operator";
  const note = h("p", { class: "status" });
  main.append(note);
  if (!ops) { status(note, "The admin pages need the operator or admin role.", "error"); return; }
  const parts = await Promise.all([
    admin ? block("Users and roles", users) : null,
    admin ? block("Settings", settings) : null,
    block("Data quality and freshness", quality),
    block("Alerts", alerts),
    block("Job queue and services", queue),
    block("Dead letters", deadLetters),
  ]);
  for (const p of parts) if (p) main.append(p);
}
