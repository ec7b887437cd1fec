// Today's picks: filters (sport, market, tier, minimum edge), the user's time zone and odds
// format, the suggested stake for the chosen bankroll, the lock-in hash; tracking-only picks are
// marked; the list is read a page at a time, polled while the page is visible, and changed rows
// are highlighted.
import { api, list, newest, page, type Page } from "../api";
import { field, h, pager, section, select, status } from "../dom";
import { kickoff, line, odds, money, pct, result, short } from "../format";
import { prefs, setPrefs } from "../prefs";
import { matchup, sideName, sportOptions } from "../sports";
import type { Bankroll, Bet, Pick, Sizing } from "../types";

export const POLL_MS = 20_000;

export function trackingOnly(p: Pick): boolean {
  return p.publication === "tracking_only";
}

function selectionText(p: Pick): string {
  const side = sideName(p.game, p.selection);
  return p.line !== null && p.line !== undefined ? `${side} ${line(p.line, p.market)}` : side;
}

// Places a bet from a pick: the stake suggested by the API's Kelly sizing for the bankroll,
// which the user may change before confirming.
export function selectionLabel(p: Pick): string {
  return selectionText(p);
}

export function betForm(p: Pick, bankroll: Bankroll, onPlaced: (b: Bet) => void): HTMLElement {
  const stake = h("input", { type: "number", min: "0.01", step: "0.01", name: "stake", required: true });
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" }, "Sizing…");
  const form = h("form", { class: "form inline bet-form", "aria-label": `Bet on ${selectionText(p)}` },
    field(`Stake (${bankroll.currency ?? "USD"})`, stake), h("button", { type: "submit" }, "Place bet"), msg);
  if (p.probability && p.price) {
    api<Sizing>("POST", "/api/v1/betting/sizing", {
      probability: p.probability, odds: p.price, bankroll_id: bankroll.id,
      ...(p.market_probability && p.market_probability > 0 && p.market_probability < 1 ? { no_vig: p.market_probability } : {}),
      ...(p.tier ? { tier: p.tier } : {}),
    }).then((s) => {
      // the API's stake is in cents already: flooring it ×100 lost a cent wherever the double
      // falls just below the cents (20.06 × 100 = 2005.9999…)
      if (s.stake && s.stake > 0) stake.value = s.stake.toFixed(2);
      status(msg, s.should_bet ? `Suggested: ${money(s.stake, bankroll.currency ?? "USD")} (${pct(s.fractional_kelly, 2)} Kelly)` : `No stake suggested: ${s.reason ?? ""}`);
    }).catch((e: Error) => status(msg, e.message, "error"));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const b = await api<Bet>("POST", "/api/v1/betting/bets", { prediction_id: p.id, bankroll_id: bankroll.id, stake: Number(stake.value) });
      status(msg, `Bet placed: ${money(b.stake, bankroll.currency ?? "USD")}; balance ${money(b.balance_after, bankroll.currency ?? "USD")}`, "ok");
      onPlaced(b);
    } catch (err) {
      status(msg, (err as Error).message, "error");
    }
  });
  return form;
}

export function picksPage(main: HTMLElement, canBet: boolean): () => void {
  const pf = prefs();
  const sport = select("sport", sportOptions(true));
  const market = select("market", [["", "All markets"], ["moneyline", "Moneyline"], ["spread", "Spread"], ["total", "Total"]]);
  const tier = select("tier", [["", "All tiers"], ["A", "A"], ["B", "B"], ["C", "C"]]);
  const minEdge = h("input", { type: "number", step: "0.01", min: "-1", max: "1", name: "min_edge", placeholder: "0.03" });
  const fmt = select("odds", [["decimal", "Decimal"], ["american", "American"]], pf.odds);
  const zones = Array.from(new Set([pf.tz, "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London"]));
  const tz = select("tz", zones.map((z) => [z, z]), pf.tz);
  const bank = select("bankroll", [["", "No bankroll"]]);
  const note = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "table-wrap" });
  const filters = h("form", { class: "filters", "aria-label": "Filter picks" },
    field("Sport", sport), field("Market", market), field("Tier", tier), field("Minimum edge", minEdge),
    field("Odds", fmt), field("Time zone", tz), canBet ? field("Bankroll", bank) : null);
  main.append(section("Today's picks", filters, note, body));

  let bankrolls: Bankroll[] = [];
  let last = new Map<number, string>();
  let timer: number | undefined;
  let stopped = false;
  let at = 1; // the page shown
  let shown: string | null = null; // the filters of the list shown
  const ask = newest();
  const openForms = new Set<number>();

  const chosen = (): Bankroll | undefined => bankrolls.find((b) => String(b.id) === bank.value);

  function render(answer: Page<Pick>): void {
    const picks = answer.items;
    const b = chosen();
    const rows = picks.map((p) => {
      const g = p.game;
      const key = JSON.stringify([p.price, p.edge, p.probability, p.hash]);
      const changed = last.size > 0 && last.has(p.id) && last.get(p.id) !== key;
      const track = trackingOnly(p);
      const stakeText = track ? "tracking only" : b ? `${pct(p.stake_fraction, 2)} · ${money((p.stake_fraction ?? 0) * (b.current_amount ?? 0), b.currency ?? "USD")}` : pct(p.stake_fraction, 2);
      const betCell = canBet && b && !p.result
        ? h("button", { type: "button", class: "small", "data-pick": p.id, onclick: () => {
            if (openForms.has(p.id)) return;
            openForms.add(p.id);
            const row = (document.querySelector(`tr[data-pick-row="${p.id}"]`) as HTMLTableRowElement | null);
            const tr = h("tr", { class: "bet-row" }, h("td", { colspan: 12 }, betForm(p, b, () => void refreshBankrolls())));
            row?.after(tr);
            tr.querySelector("input")?.focus();
          } }, "Bet")
        : null;
      const tr = h("tr", { "data-pick-row": p.id, class: `${changed ? "changed" : ""} ${track ? "tracking" : ""}` },
        h("td", {}, h("a", { href: `#/game/${p.game_id}` }, matchup(g)), h("br"), h("small", {}, g?.sport ?? "")),
        h("td", {}, kickoff(g)),
        h("td", {}, `${p.market ?? ""}: ${selectionText(p)}`, track ? h("span", { class: "badge", title: p.no_bet_reason ?? "published for the record, not to bet" }, "tracking only") : null),
        h("td", { class: "num" }, pct(p.probability)),
        h("td", { class: "num" }, pct(p.market_probability)),
        h("td", { class: "num" }, odds(p.price, p.american), h("br"), h("small", {}, p.book_name ?? p.book ?? "")),
        h("td", { class: "num" }, pct(p.edge)),
        h("td", {}, h("span", { class: `tier tier-${p.tier ?? "none"}` }, p.tier ?? "—")),
        h("td", { class: "num" }, stakeText),
        h("td", {}, h("code", { title: p.hash ?? "" }, short(p.hash))),
        h("td", {}, p.result?.result ? result(p.result.result) : (g?.status ?? "")),
        h("td", {}, betCell));
      last.set(p.id, key);
      return tr;
    });
    const head = ["Game", "Start", "Pick", "Model", "No-vig market", "Best price", "Edge", "Tier", "Stake", "Lock-in hash", "Status", ""];
    // each cell carries its column's name: a phone shows every pick as a card of labelled fields
    for (const tr of rows) Array.from(tr.children).forEach((td, i) => td.setAttribute("data-label", head[i]));
    const t = h("table", { class: "picks" },
      h("caption", {}, `${answer.total} picks`),
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows));
    openForms.clear();
    body.classList.remove("stale");
    if (!picks.length) body.replaceChildren(h("p", {}, "No picks for today's games with these filters."));
    else body.replaceChildren(t, ...(answer.total > answer.limit ? [pager("Picks", answer, (n) => void load(n))] : []));
  }

  // Shows page n of the list for the filters now chosen. Only the newest request's answer is
  // drawn; when a request fails, a list for other filters is taken away and one for these
  // filters is marked out of date.
  async function load(n = at): Promise<void> {
    const q = new URLSearchParams();
    if (sport.value) q.set("sport", sport.value);
    if (market.value) q.set("market", market.value);
    if (tier.value) q.set("tier", tier.value);
    if (minEdge.value) q.set("min_edge", minEdge.value);
    const filters = q.toString();
    const current = ask();
    try {
      const t0 = performance.now();
      const answer = await page<Pick>(`/api/v1/predictions/today?${q}`, n);
      if (stopped || !current()) return;
      const last = Math.max(1, Math.ceil(answer.total / answer.limit));
      if (n > last) return load(last); // the list got shorter than the page shown
      at = n;
      shown = filters;
      render(answer);
      status(note, `Updated ${new Date().toLocaleTimeString()} · refreshes every ${POLL_MS / 1000} s`);
      main.dataset.loadedMs = String(Math.round(performance.now() - t0));
    } catch (e) {
      if (stopped || !current()) return;
      if (shown === filters) {
        body.classList.add("stale");
        status(note, `${(e as Error).message} (the list shown is out of date)`, "error");
      } else {
        body.replaceChildren();
        shown = null;
        status(note, (e as Error).message, "error");
      }
    }
  }

  async function refreshBankrolls(): Promise<void> {
    if (!canBet) return;
    try {
      bankrolls = await list<Bankroll>("/api/v1/betting/bankrolls");
      const want = bank.value || String(prefs().bankroll ?? bankrolls[0]?.id ?? "");
      bank.replaceChildren(h("option", { value: "" }, "No bankroll"),
        ...bankrolls.map((b) => h("option", { value: b.id, selected: String(b.id) === want }, `${b.name ?? b.id} (${money(b.current_amount, b.currency ?? "USD")})`)));
    } catch {
      bankrolls = [];
    }
  }

  function poll(): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (!document.hidden && openForms.size === 0) await load();
      if (!stopped) poll();
    }, POLL_MS);
  }

  for (const el of [sport, market, tier, minEdge]) el.addEventListener("change", () => { last = new Map(); void load(1); });
  fmt.addEventListener("change", () => { setPrefs({ odds: fmt.value as "decimal" | "american" }); void load(); });
  tz.addEventListener("change", () => { setPrefs({ tz: tz.value }); void load(); });
  bank.addEventListener("change", () => { setPrefs({ bankroll: bank.value ? Number(bank.value) : null }); void load(); });
  filters.addEventListener("submit", (e) => e.preventDefault());

  void refreshBankrolls().then(() => load()).then(poll);
  return () => { stopped = true; window.clearTimeout(timer); };
}

