// Bankrolls: the balance and the drawdown of the betting equity after each movement, the bet
// history a page at a time (bets are settled by the grading job when their game ends, or by hand
// with Settle), deposits and withdrawals, and the Kelly sizing calculator.
import { api, get, list } from "../api";
import { chart } from "../charts";
import { field, h, section, select, status, table } from "../dom";
import { line, money, num, odds, pct, result, when } from "../format";
import { pagedList } from "../paged";
import { prefs, setPrefs } from "../prefs";
import { matchup, sideName } from "../sports";
import type { BalanceHistory, Bankroll, Bet, Sizing, SizingRequest } from "../types";

function createForm(onDone: () => void): HTMLElement {
  const name = h("input", { type: "text", name: "name", required: true, value: "Main" });
  const amount = h("input", { type: "number", name: "initial_amount", min: "0.01", step: "0.01", required: true, value: "1000" });
  // Any ISO 4217 code (the API refuses the rest, saying so); the list offers the usual ones.
  const currency = h("input", { type: "text", name: "currency", required: true, value: "USD", maxlength: "3", pattern: "[A-Za-z]{3}", list: "currencies", autocomplete: "off", size: "4" });
  const codes = h("datalist", { id: "currencies" }, ...["USD", "EUR", "GBP", "CAD", "AUD", "NZD", "JPY", "CHF", "SEK", "NOK", "DKK", "BRL", "MXN", "INR", "ZAR"].map((c) => h("option", { value: c })));
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const f = h("form", { class: "form inline", "aria-label": "Open a bankroll" }, field("Name", name), field("Starting amount", amount), field("Currency", currency), codes, h("button", { type: "submit" }, "Open bankroll"), msg);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const b = await api<Bankroll>("POST", "/api/v1/betting/bankrolls", { name: name.value, initial_amount: Number(amount.value), currency: currency.value.trim().toUpperCase() });
      setPrefs({ bankroll: b.id });
      onDone();
    } catch (err) { status(msg, (err as Error).message, "error"); }
  });
  return f;
}

function kelly(bankrollId: number): HTMLElement {
  const p = h("input", { type: "number", name: "probability", min: "0.01", max: "0.99", step: "0.001", required: true, value: "0.55" });
  const o = h("input", { type: "text", name: "odds", required: true, value: "2.0" });
  const nv = h("input", { type: "number", name: "no_vig", min: "0.01", max: "0.99", step: "0.001" });
  const out = h("div", { role: "status", "aria-live": "polite" });
  const f = h("form", { class: "form inline", "aria-label": "Kelly sizing calculator" },
    field("Your probability", p), field("Odds (decimal or American)", o), field("No-vig market probability", nv, "optional"), h("button", { type: "submit" }, "Size"), out);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body: SizingRequest = { probability: Number(p.value), odds: o.value, bankroll_id: bankrollId, ...(nv.value ? { no_vig: Number(nv.value) } : {}) };
      const s = await api<Sizing>("POST", "/api/v1/betting/sizing", body);
      out.replaceChildren(table("Sizing", ["Stake", "Units", "Edge", "EV / unit", "Full Kelly", "Fractional Kelly", "Tier", "Bet?"],
        [[money(s.stake), num(s.units), pct(s.edge), num(s.ev_per_unit, 3), pct(s.full_kelly, 2), pct(s.fractional_kelly, 2), s.tier ?? "—", s.should_bet ? "yes" : `no: ${s.reason ?? ""}`]]));
    } catch (err) { out.replaceChildren(h("p", { class: "status error" }, (err as Error).message)); }
  });
  return f;
}

function moveForm(b: Bankroll, onDone: () => void): HTMLElement {
  const kind = select("kind", [["deposit", "Deposit"], ["withdrawal", "Withdrawal"]]);
  const amount = h("input", { type: "number", name: "amount", min: "0.01", step: "0.01", required: true });
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const f = h("form", { class: "form inline", "aria-label": "Deposit or withdraw" }, field("Kind", kind), field("Amount", amount), h("button", { type: "submit" }, "Record"), msg);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", `/api/v1/betting/bankrolls/${b.id}/transactions`, { kind: kind.value, amount: Number(amount.value) });
      onDone();
    } catch (err) { status(msg, (err as Error).message, "error"); }
  });
  return f;
}

// Settles an open bet by hand with the result the user picks; the page reloads with the payout.
// A stake splits over two lines, and so can end half won or half lost, only on a spread or total
// quarter line (-0.25, 2.75); the API refuses half results for any other bet.
function splits(x: Bet): boolean {
  return (x.market === "spread" || x.market === "total") && typeof x.line === "number" && Number.isInteger(x.line * 4) && !Number.isInteger(x.line * 2);
}

function settleForm(x: Bet, onDone: () => void): HTMLElement {
  const results: [string, string][] = [["win", "Win"], ["loss", "Loss"], ["push", "Push"], ["void", "Void"]];
  const result = select("result", splits(x) ? [...results, ["half_win", "Half win"], ["half_loss", "Half loss"]] : results);
  result.setAttribute("aria-label", `Result of bet ${x.id}`);
  const msg = h("span", { class: "status", role: "status", "aria-live": "polite" });
  const f = h("form", { class: "form inline settle-form", "aria-label": `Settle bet ${x.id}`, "data-bet": x.id }, result, h("button", { type: "submit" }, "Settle"), msg);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api<Bet>("POST", `/api/v1/betting/bets/${x.id}/settle`, { result: result.value });
      onDone();
    } catch (err) { status(msg, (err as Error).message, "error"); }
  });
  return f;
}

// The page; betsAt is the page of the bet history to show (kept when a settled bet reloads it).
export async function bankrollPage(main: HTMLElement, betsAt = 1): Promise<void> {
  const bankrolls = await list<Bankroll>("/api/v1/betting/bankrolls");
  const reload = (n = 1) => { main.replaceChildren(); void bankrollPage(main, n); };
  if (!bankrolls.length) {
    main.append(section("Bankroll", h("p", {}, "Open a bankroll to track bets and size stakes."), createForm(reload)));
    return;
  }
  const want = prefs().bankroll;
  const b = bankrolls.find((x) => x.id === want) ?? bankrolls[0];
  const cur = b.currency ?? "USD";
  const pick = select("bankroll", bankrolls.map((x) => [String(x.id), x.name ?? String(x.id)]), String(b.id));
  pick.addEventListener("change", () => { setPrefs({ bankroll: Number(pick.value) }); reload(); });
  main.append(section("Bankroll",
    h("div", { class: "filters" }, field("Bankroll", pick)),
    h("dl", { class: "facts big" },
      h("dt", {}, "Balance"), h("dd", { "data-testid": "balance" }, money(b.current_amount, cur)),
      h("dt", {}, "Profit"), h("dd", {}, money(b.profit, cur)),
      h("dt", {}, "ROI"), h("dd", {}, pct(b.roi)),
      h("dt", {}, "Bets"), h("dd", {}, `${b.total_bets ?? 0} (${b.pending_bets ?? 0} pending)`),
      h("dt", {}, "Win rate"), h("dd", {}, pct(b.win_rate)),
      h("dt", {}, "Peak / low"), h("dd", {}, `${money(b.peak_amount, cur)} / ${money(b.low_amount, cur)}`)),
    moveForm(b, reload)));

  // the bet history a page at a time; Settle reloads the page with the page of bets kept
  const [hist, bets] = await Promise.all([
    get<BalanceHistory>(`/api/v1/betting/bankrolls/${b.id}/history`),
    pagedList<Bet>("Bet history", `/api/v1/betting/bets?bankroll_id=${b.id}`, (p) => p.items.length
      ? table(`Bet history (${p.total} bets)`, ["Placed", "Game", "Pick", "Price", "Stake", "Result", "Profit", "CLV", "Settled"],
          p.items.map((x) => [when(x.placed_at), matchup(x.game), `${x.market}: ${sideName(x.game, x.selection)}${x.line !== null && x.line !== undefined ? ` ${line(x.line, x.market)}` : ""}`,
            odds(x.price, x.american), money(x.stake, cur), x.result ? result(x.result) : "pending", money(x.profit_loss, cur), num(x.clv, 3), x.settled_at ? when(x.settled_at) : settleForm(x, () => reload(p.page))]), "bets")
      : h("p", {}, "No bets yet: place one from today's picks."), betsAt),
  ]);
  // one point per movement in the API's order (by time, then as recorded): several movements can
  // share a second, so the x axis counts movements and the data table gives each one's time
  const pts = hist.items;
  const xs = pts.map((_, i) => i + 1);
  const atX = (v: number) => `${v} (${when(pts[v - 1]?.at)})`;
  const span = pts.length ? `from ${when(pts[0].at)} to ${when(pts[pts.length - 1].at)}` : "";
  main.append(section("Balance and drawdown",
    xs.length ? chart({ title: "Balance after each movement", describe: `${pts.length} movements ${span}, now ${money(b.current_amount, cur)}`, x: xs, xWhole: true, xLabel: "movement", yLabel: cur,
      series: [{ label: "balance", values: pts.map((p) => p.balance_after ?? null) }], formatX: atX, formatY: (v) => money(v, cur) }) : h("p", {}, "No movements yet."),
    xs.length ? chart({ title: `Drawdown of the betting equity (max ${pct(hist.max_drawdown)})`, describe: `the largest fall from a peak was ${pct(hist.max_drawdown)}`, x: xs, xWhole: true, xLabel: "movement", yLabel: "drawdown",
      series: [{ label: "drawdown", values: pts.map((p) => p.drawdown ?? null), color: "#e4572e" }], formatX: atX, formatY: (v) => pct(v), formatYTick: (v) => pct(v), height: 180 }) : null,
    xs.length && (b.pending_bets ?? 0) > 0 ? h("p", { class: "note" }, `The equity counts the stakes of the ${b.pending_bets} open ${b.pending_bets === 1 ? "bet" : "bets"} as spent until settled: the drawdown is the worst case of the open bets.`) : null));
  main.append(section("Bets", bets));
  main.append(section("Kelly calculator", kelly(b.id)), section("Another bankroll", createForm(reload)));
}
