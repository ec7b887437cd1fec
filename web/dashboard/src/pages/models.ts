// Models: the leaderboard per sport and market (walk-forward log loss as the API stored it),
// production against its challengers, one model's walk-forward metrics and features, and
// promotion (analyst, admin). A pruned model (its files and walk-forward predictions deleted) is
// listed after the ranked ones, marked and without a rank, and not offered for promotion: the API
// refuses it (409 MODEL_NOT_ELIGIBLE).
import { api, every, get, newest } from "../api";
import { field, h, section, select, status, table } from "../dom";
import { dash, num, pct, when } from "../format";
import { sportOptions } from "../sports";
import type { Model, PromoteRequest } from "../types";

// The columns the model reads, as its registry row stores them ({"cols": [...], "books": [...]}):
// a per-book price column ("ml_book4") is named after its book ("ml_pinnacle"). No importance is
// stored with a model; what each feature added to one pick is under its game's "Why this pick".
function featureList(features: unknown): HTMLElement {
  const o = (features && typeof features === "object" && !Array.isArray(features) ? features : {}) as { cols?: unknown; books?: unknown };
  const cols = Array.isArray(o.cols) ? o.cols.filter((c): c is string => typeof c === "string") : [];
  const books = Array.isArray(o.books) ? o.books : [];
  const names = cols.map((c) => {
    const book = /^ml_book(\d+)$/.exec(c);
    const name = book ? books[Number(book[1])] : null;
    return typeof name === "string" && name ? `ml_${name}` : c;
  });
  return names.length
    ? h("div", { class: "features" }, h("p", {}, `${names.length} features, the columns the model reads (what each added to a pick is under its game's "Why this pick"):`), h("ul", { class: "cols" }, ...names.map((n) => h("li", {}, n))))
    : h("p", {}, "No features stored.");
}

// A stored value as written: counts (games, folds) whole, measures to four decimals.
const value = (v: unknown): string => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : num(v, 4)) : String(v));

function metrics(m: unknown): HTMLElement {
  const o = (m && typeof m === "object" ? m : {}) as { [k: string]: unknown };
  const wf = (o.walk_forward && typeof o.walk_forward === "object" ? o.walk_forward : {}) as { [k: string]: unknown };
  const rows = Object.entries(wf).map(([k, v]) => [k, value(v)]);
  const other = Object.entries(o).filter(([k, v]) => k !== "walk_forward" && typeof v !== "object").map(([k, v]) => [k, value(v)]);
  return h("div", {}, rows.length ? table("Walk-forward metrics", ["Metric", "Value"], rows) : h("p", {}, "No walk-forward metrics stored."), other.length ? table("Training", ["Field", "Value"], other) : null);
}

type Bucket = { edge_from?: number; edge_to?: number; bets?: number; roi?: number | null };
type Gate = {
  passed?: boolean; why?: string; games?: number; walk_forward_games?: number; without_close?: number; close_at_other_line?: number;
  log_loss?: number; market_log_loss?: number; max_log_loss_gap?: number; bets?: number; max_supported_edge?: number; edge_buckets?: Bucket[];
};

// The market gate as the trainer recorded it: whether a production model of this sport and market
// publishes bets or keeps its picks for the record only, why, and the walk-forward bets by edge
// that bound the edges it may bet on.
function gate(m: Model): HTMLElement {
  const o = (m.metrics && typeof m.metrics === "object" ? m.metrics : {}) as { market_gate?: Gate; leakage_check?: { passed?: boolean; games?: number } };
  const g = o.market_gate;
  const leak = o.leakage_check;
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "Promotion note"), h("dd", {}, m.promotion_note ?? dash),
    h("dt", {}, "Leakage check"), h("dd", {}, leak ? `${leak.passed ? "passed" : "failed"} on ${leak.games ?? dash} games` : m.leakage_ok ? "passed" : "failed"));
  if (!g) return section("Market gate", facts, h("p", { class: "gate-verdict" }, "No market gate recorded: in production its market's picks are tracking only. Retrain it with aps train."));
  facts.append(
    h("dt", {}, "Closing-line games"), h("dd", {}, `${g.games ?? dash} of ${g.walk_forward_games ?? dash} walk-forward games (${g.without_close ?? dash} without a closing price, ${g.close_at_other_line ?? dash} closed at another line)`),
    h("dt", {}, "Log loss"), h("dd", {}, `model ${num(g.log_loss, 4)}, closing no-vig market ${num(g.market_log_loss, 4)} (allowed gap ${pct(g.max_log_loss_gap)})`),
    h("dt", {}, "Largest edge its record supports"), h("dd", {}, g.max_supported_edge ? pct(g.max_supported_edge) : "none: no edge bucket was profitable, so no bet"));
  const verdict = g.passed
    ? "Passed: in production, its market's picks are published as bets."
    : "Failed: in production, its market's picks are tracking only (recorded and graded, never a tier or a stake).";
  const buckets = g.edge_buckets ?? [];
  return section("Market gate",
    h("p", { class: "gate-verdict" }, h("strong", {}, verdict), " ", g.why ?? ""),
    facts,
    buckets.length ? table(`Walk-forward bets by edge (${g.bets ?? dash} bets)`, ["Edge", "Bets", "ROI"], buckets.map((b) => [`${pct(b.edge_from)} – ${pct(b.edge_to)}`, b.bets ?? 0, b.roi === null || b.roi === undefined ? dash : pct(b.roi)])) : null);
}

const PRUNED = "Pruned: its files and walk-forward predictions are deleted, so it cannot be promoted; promote another model of its sport and market, or train a new one.";

function statusCell(m: Model): HTMLElement | string {
  if (m.status === "production") return h("strong", {}, "production");
  if (m.status === "pruned") return h("span", { class: "pruned", title: PRUNED }, "pruned (files deleted)");
  return m.status ?? "";
}

export async function modelsPage(main: HTMLElement): Promise<void> {
  const sport = select("sport", sportOptions(true));
  const market = select("market", [["", "All markets"], ["moneyline", "Moneyline"], ["spread", "Spread"], ["total", "Total"]]);
  const out = h("div");
  const detail = h("div");
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  main.append(section("Models", h("div", { class: "filters" }, field("Sport", sport), field("Market", market)), msg, out), detail);

  const askModel = newest();
  async function open(id: number): Promise<void> {
    const current = askModel();
    const m = await get<Model>(`/api/v1/models/${id}`);
    if (!current()) return;
    detail.replaceChildren(section(`${m.name} (${m.status})`, metrics(m.metrics), featureList(m.features), m.status === "pruned" ? h("p", { class: "status" }, PRUNED) : promoteForm(m)), gate(m));
  }

  function promoteForm(m: Model): HTMLElement {
    const note = h("input", { type: "text", name: "note", maxlength: 500, placeholder: "why (kept as its promotion note)" });
    const pmsg = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const promote = h("form", { class: "form inline", "aria-label": "Promote this model" }, field("Note", note), h("button", { type: "submit", disabled: m.status === "production" }, "Promote to production"), pmsg);
    promote.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const body: PromoteRequest = note.value ? { note: note.value } : {};
        await api("POST", `/api/v1/models/${m.id}/promote`, body);
        status(pmsg, "Promoted.", "ok");
        await load();
      } catch (err) { status(pmsg, (err as Error).message, "error"); }
    });
    return promote;
  }

  // Every model of the filters (a leaderboard ranks all of its group, so the list is read to its
  // end). Only the newest request's answer is drawn, and a failed request takes the leaderboards
  // of the earlier filters away.
  const ask = newest();
  async function load(): Promise<void> {
    const current = ask();
    const q = new URLSearchParams();
    if (sport.value) q.set("sport", sport.value);
    if (market.value) q.set("market", market.value);
    try {
      const all = await every<Model>(`/api/v1/models?${q}`);
      if (!current()) return;
      const models = all.items;
      const groups = new Map<string, Model[]>();
      for (const m of models) {
        const k = `${m.sport ?? "?"} ${m.market ?? "?"}`;
        groups.set(k, [...(groups.get(k) ?? []), m]);
      }
      out.replaceChildren(...Array.from(groups.entries()).map(([k, ms]) => {
        const byLoss = (a: Model, b: Model) => (a.log_loss ?? Infinity) - (b.log_loss ?? Infinity);
        const ranked = ms.filter((m) => m.status !== "archived" && m.status !== "pruned").sort(byLoss);
        const pruned = ms.filter((m) => m.status === "pruned").sort(byLoss);
        return table(`Leaderboard ${k} (by walk-forward log loss)`, ["Rank", "Model", "Family", "Status", "Log loss", "ECE", "Games", "Leakage check", "Trained", ""],
          [...ranked, ...pruned].map((m, i) => [m.status === "pruned" ? "—" : i + 1, m.name ?? String(m.id), m.family ?? "", statusCell(m), num(m.log_loss, 4), num(m.ece, 4), m.games ?? "—", m.leakage_ok ? "passed" : "failed", when(m.created_at),
            h("button", { type: "button", class: "small", onclick: () => void open(m.id) }, "Details")]));
      }));
      if (!models.length) out.replaceChildren(h("p", {}, "No models registered: train one with `aps train` or POST /api/v1/models/train."));
      status(msg, models.length < all.total ? `${all.total} models; the first ${models.length} are ranked here` : `${all.total} models`);
    } catch (e) {
      if (!current()) return;
      out.replaceChildren();
      status(msg, (e as Error).message, "error");
    }
  }
  sport.addEventListener("change", () => void load());
  market.addEventListener("change", () => void load());
  await load();
}
