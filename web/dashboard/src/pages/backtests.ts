// Backtests run by the worker through the API: a request (sport, market, dates, model,
// bankroll) becomes a job; the page polls it until its report is ready, then draws the equity
// curve and drawdown and shows ROI by tier and by season.
import { api, get } from "../api";
import { chart } from "../charts";
import { field, h, section, select, status, table } from "../dom";
import { money, num, pct, secs, when } from "../format";
import { pagedList } from "../paged";
import { sportOptions } from "../sports";
import type { Backtest, Tally } from "../types";

// Every bet in one of the counts: won, lost, pushed, half won and half lost (quarter-line
// handicaps and totals), void.
const tallyHead = ["Bets", "W–L–P", "Half W–L", "Void", "Staked", "Profit", "Yield (ROI)", "Mean CLV"];
const tallyRow = (t?: Tally) => (t ? [t.bets, `${t.wins}–${t.losses}–${t.pushes}`, `${t.half_wins}–${t.half_losses}`, t.voids, money(t.staked), money(t.profit), pct(t.yield), num(t.clv_mean, 4)] : []);

function report(bt: Backtest): HTMLElement {
  const r = bt.report;
  if (!r) return h("p", { class: "status" }, bt.state === "failed" ? `Failed: ${bt.error ?? ""}` : `State: ${bt.state}…`);
  // the curve is the bankroll at the end of each betting day; it starts from the bankroll the
  // day before the first bet, so a single betting day still draws a line from where it began
  const days = r.curve ?? [];
  const curve = days.length
    ? [{ date: new Date(((secs(days[0].date) as number) - 86400) * 1000).toISOString().slice(0, 10), bankroll: r.bankroll_start ?? null, drawdown: 0 }, ...days]
    : [];
  const xs = curve.map((c) => secs(c.date) as number);
  return h("div", { class: "report" },
    h("dl", { class: "facts" },
      h("dt", {}, "Model"), h("dd", {}, r.model ?? "—"), h("dt", {}, "Dates"), h("dd", {}, `${r.from ?? "?"} – ${r.to ?? "?"}`),
      h("dt", {}, "Bankroll"), h("dd", {}, `${money(r.bankroll_start)} → ${money(r.bankroll_end)} (${pct(r.bankroll_growth)})`),
      h("dt", {}, "Max drawdown"), h("dd", {}, pct(r.max_drawdown)), h("dt", {}, "Sharpe per bet"), h("dd", {}, num(r.sharpe_per_bet, 3))),
    curve.length ? chart({ title: "Equity curve", describe: `${days.length} betting ${days.length === 1 ? "day" : "days"} from ${money(r.bankroll_start)} to ${money(r.bankroll_end)}`, x: xs, xTime: true, xDays: true, xLabel: "date", yLabel: "bankroll",
      series: [{ label: "bankroll", values: curve.map((c) => c.bankroll) }], formatX: (v) => new Date(v * 1000).toISOString().slice(0, 10), formatY: (v) => money(v) }) : null,
    curve.length ? chart({ title: "Drawdown", describe: `maximum ${pct(r.max_drawdown)}`, x: xs, xTime: true, xDays: true, xLabel: "date", yLabel: "drawdown", height: 160,
      series: [{ label: "drawdown", values: curve.map((c) => c.drawdown ?? null), color: "#e4572e" }], formatX: (v) => new Date(v * 1000).toISOString().slice(0, 10), formatY: (v) => pct(v),
      formatYTick: (v) => pct(v), yRange: [0, Math.max(r.max_drawdown ?? 0, 0.01) * 1.1] }) : null,
    table("All bets", tallyHead, [tallyRow(r.bets)]),
    table("By tier", ["Tier", ...tallyHead], Object.entries(r.tiers ?? {}).map(([k, t]) => [k, ...tallyRow(t)])),
    table("By season", ["Season", ...tallyHead], (r.seasons ?? []).map((s) => [s.season, ...tallyRow(s.bets)])));
}

export async function backtestsPage(main: HTMLElement, openId?: number): Promise<() => void> {
  const sport = select("sport", sportOptions(false));
  const market = select("market", [["moneyline", "Moneyline"], ["spread", "Spread"], ["total", "Total"]]);
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const model = h("input", { type: "text", name: "model", placeholder: "Elo (empty), production, or a model name" });
  const bankroll = h("input", { type: "number", name: "bankroll", min: "1", step: "1", value: "10000" });
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "form inline", "aria-label": "Run a backtest" }, field("Sport", sport), field("Market", market), field("From", from), field("To", to), field("Model", model), field("Bankroll", bankroll), h("button", { type: "submit" }, "Run backtest"), msg);
  const listBox = h("div");
  const detail = h("div", { "aria-live": "polite" });
  main.append(section("Run a backtest", form), section("Backtests", listBox), detail);
  let timer: number | undefined;
  let stopped = false;

  async function show(id: number): Promise<void> {
    window.clearTimeout(timer);
    const bt = await get<Backtest>(`/api/v1/backtests/${id}`);
    if (stopped) return;
    detail.replaceChildren(section(`Backtest ${bt.id}: ${bt.sport} ${bt.market}`, report(bt)));
    if (bt.state === "queued" || bt.state === "running") timer = window.setTimeout(() => void show(id).then(refresh), 2000);
  }
  // The caller's backtests a page at a time, newest first (a new one goes back to the first page).
  async function refresh(): Promise<void> {
    listBox.replaceChildren(await pagedList<Backtest>("Backtests", "/api/v1/backtests", (p) => p.items.length
      ? table(`Your backtests (${p.total})`, ["Id", "Asked", "Sport", "Market", "Model", "Dates", "State", ""],
        p.items.map((b) => [b.id, when(b.created_at), b.sport ?? "", b.market ?? "", b.model ?? "Elo", b.from || b.to ? `${b.from ?? "first game"} – ${b.to ?? "last game"}` : "all games", b.state ?? "", h("button", { type: "button", class: "small", onclick: () => void show(b.id) }, "Open")]))
      : h("p", {}, "No backtests yet.")));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = { sport: sport.value, market: market.value, bankroll: Number(bankroll.value) };
      if (from.value) body.from = from.value;
      if (to.value) body.to = to.value;
      if (model.value.trim()) body.model = model.value.trim();
      const r = await api<{ id: number }>("POST", "/api/v1/backtests", body);
      status(msg, `Backtest ${r.id} queued.`, "ok");
      await refresh();
      await show(r.id);
    } catch (err) { status(msg, (err as Error).message, "error"); }
  });
  await refresh();
  if (openId) await show(openId);
  return () => { stopped = true; window.clearTimeout(timer); };
}
