// One game: the odds movement per book for a market and side, the current odds as one row per
// book and one column per market and side with the best of each column marked, the pick's
// history (superseded picks included), the explanation as contribution bars, the weather, and
// the result.
import { get, list } from "../api";
import { chart, hbars } from "../charts";
import { h, section, select, table } from "../dom";
import { kickoff, line, num, odds, pct, result, secs, short, signed, teamName, when } from "../format";
import { homeFirst, matchup, scoreLine, sideName } from "../sports";
import type { Game, Odds, Pick, Quote } from "../types";
import { selectionLabel, trackingOnly } from "./picks";

function oddsChart(game: Game, history: Odds[], market: string, selection: string): HTMLElement {
  const side = sideName(game, selection);
  const quotes = history.filter((q) => q.market === market && q.selection === selection);
  const rows = quotes.filter((q) => q.recorded_at);
  const books = Array.from(new Set(rows.map((q) => q.book_name ?? q.book ?? "?")));
  const times = Array.from(new Set(rows.map((q) => secs(q.recorded_at) as number))).sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const useLine = market !== "moneyline";
  const series = books.map((b) => {
    const values: (number | null)[] = times.map(() => null);
    for (const q of rows) if ((q.book_name ?? q.book ?? "?") === b) values[index.get(secs(q.recorded_at) as number)!] = useLine ? q.line ?? null : q.price ?? null;
    return { label: b, values };
  });
  // historical odds (imported closing and opening lines) carry no time, so they have no movement
  if (!times.length) {
    return h("p", { class: "no-movement" }, quotes.length
      ? `No movement to draw for ${market} ${side}: ${quotes.length === 1 ? "its quote has" : `its ${quotes.length} quotes have`} no recording time (historical odds).`
      : `No ${market} odds recorded for ${side}.`);
  }
  const phases = rows.map((q) => q.phase).filter(Boolean);
  return chart({
    title: `${market} ${side}: ${useLine ? "line" : "decimal price"} by book`,
    describe: `${books.length} books, ${times.length} snapshots from ${new Date(times[0] * 1000).toISOString()} (${phases[0] ?? "open"}) to ${new Date(times[times.length - 1] * 1000).toISOString()} (${phases[phases.length - 1] ?? "current"})`,
    x: times, xTime: true, xLabel: "time (UTC)", yLabel: useLine ? "line" : "price", series,
  });
}

// The two sides, each a link to its rating page, in the order the match is named.
function teamLinks(game: Game): (HTMLElement | string)[] {
  const link = (t: Game["home_team"]) => h("a", { href: `#/team/${t.id}` }, teamName(t));
  return homeFirst(game) ? [link(game.home_team), " vs ", link(game.away_team)] : [link(game.away_team), " @ ", link(game.home_team)];
}

const MARKETS = ["moneyline", "spread", "total"];
const rank = (order: string[], v: string | null | undefined) => {
  const i = order.indexOf(v ?? "");
  return i < 0 ? order.length : i;
};

// The latest quote of every book, one row per book and one column per market and side (line and
// price; a price alone for moneylines; the sides in the order the match is named), the phase each
// row's quotes come from. The quote the API names best for its side (GET /odds/{id}/best: the
// best price, or the best line for spreads and totals) is bold and starred.
function oddsGrid(game: Game, current: Odds[], best: Quote[]): HTMLElement | null {
  if (!current.length) return null;
  const key = (m: string | null | undefined, s: string | null | undefined) => `${m ?? ""}|${s ?? ""}`;
  const sides = homeFirst(game) ? ["home", "draw", "away", "over", "under"] : ["away", "draw", "home", "over", "under"];
  const cols = Array.from(new Set(current.map((q) => key(q.market, q.selection))))
    .map((k) => k.split("|"))
    .sort((a, b) => rank(MARKETS, a[0]) - rank(MARKETS, b[0]) || rank(sides, a[1]) - rank(sides, b[1]) || a.join().localeCompare(b.join()));
  const bookName = (q: Odds | Quote) => q.book_name ?? q.book ?? "?";
  const books = Array.from(new Set(current.map(bookName))).sort((a, b) => a.localeCompare(b));
  const isBest = (q: Odds) => best.some((b) => b.book === q.book && b.market === q.market &&
    b.selection === q.selection && b.price === q.price && (b.line ?? null) === (q.line ?? null));
  const rows = books.map((name) => {
    const mine = current.filter((q) => bookName(q) === name);
    const cells = cols.map(([m, s]) => {
      const q = mine.find((x) => key(x.market, x.selection) === key(m, s));
      if (!q) return "—";
      const text = m === "moneyline" ? odds(q.price, q.american) : `${line(q.line, m)} ${odds(q.price, q.american)}`;
      return isBest(q) ? h("strong", { class: "best", title: `best ${m === "moneyline" ? "price" : "line"} for ${m} ${sideName(game, s)}` }, text, " ★") : text;
    });
    return [name, ...cells, Array.from(new Set(mine.map((q) => q.phase ?? ""))).filter(Boolean).join(", ")];
  });
  return h("div", {},
    table("Current odds", ["Book", ...cols.map(([m, s]) => `${m} ${sideName(game, s)}`), "Phase"], rows, "odds-grid"),
    h("p", { class: "note" }, `${books.length} ${books.length === 1 ? "book" : "books"}; ★ the best price (moneyline) or line (spread, total) of each side.`));
}

export async function gamePage(main: HTMLElement, id: number): Promise<void> {
  const [game, history, picks, best] = await Promise.all([
    get<Game>(`/api/v1/games/${id}?include_odds=true`),
    list<Odds>(`/api/v1/odds/${id}/history?limit=1000`),
    list<Pick>(`/api/v1/predictions?game_id=${id}&history=true&limit=100`),
    list<Quote>(`/api/v1/odds/${id}/best`),
  ]);
  const title = matchup(game);
  document.title = `${title} · AI PRO SPORTS`;
  main.append(section(title,
    h("dl", { class: "facts" },
      h("dt", {}, "Sport"), h("dd", {}, game.playoff ? `${game.sport ?? "—"}, playoffs` : game.sport ?? "—"),
      h("dt", {}, "Team ratings"), h("dd", {}, ...teamLinks(game)),
      h("dt", {}, "Start"), h("dd", {}, kickoff(game)),
      h("dt", {}, "Status"), h("dd", {}, game.status ?? "—"),
      h("dt", {}, "Score"), h("dd", {}, scoreLine(game)),
      h("dt", {}, "Venue"), h("dd", {}, game.venue ?? "—"))));

  // odds movement
  const markets = Array.from(new Set(history.map((q) => q.market)));
  const mSel = select("market", markets.map((m) => [m, m]), markets.includes("moneyline") ? "moneyline" : markets[0]);
  const sides = (m: string) => Array.from(new Set(history.filter((q) => q.market === m).map((q) => q.selection)));
  const sSel = select("selection", sides(mSel.value).map((s) => [s, sideName(game, s)]));
  const chartBox = h("div", { class: "odds-chart" });
  const draw = () => chartBox.replaceChildren(oddsChart(game, history, mSel.value, sSel.value));
  mSel.addEventListener("change", () => { sSel.replaceChildren(...sides(mSel.value).map((s) => h("option", { value: s }, sideName(game, s)))); draw(); });
  sSel.addEventListener("change", draw);
  main.append(section("Odds movement",
    markets.length ? h("div", { class: "filters" }, h("label", {}, "Market ", mSel), h("label", {}, "Side ", sSel)) : h("p", {}, "No odds recorded for this game."),
    chartBox,
    oddsGrid(game, game.odds ?? [], best)));
  if (markets.length) draw();

  // pick history, newest first; a pick replaced by a newer one for its market is superseded
  const rows = picks.map((p) => {
    const superseded = p.superseded_by !== null && p.superseded_by !== undefined;
    return [when(p.created_at), `${p.market}: ${selectionLabel(p)}`, pct(p.probability), odds(p.price, p.american), pct(p.edge), p.tier ?? "—",
      h("code", { title: p.hash ?? "" }, short(p.hash)),
      superseded ? h("span", { class: "badge muted" }, "superseded") : trackingOnly(p) ? h("span", { class: "badge" }, "tracking only") : h("span", { class: "badge ok" }, "current"),
      p.result ? `${result(p.result.result)} (${signed(p.result.profit_units)} u, CLV ${num(p.result.clv, 3)})` : "pending"];
  });
  main.append(section("Picks", rows.length ? table("Pick history (newest first)", ["Locked", "Pick", "Model", "Price", "Edge", "Tier", "Hash", "State", "Result"], rows) : h("p", {}, "No picks for this game.")));

  // the explanation of the newest pick
  const latest = picks[0];
  const expl = section("Why this pick");
  main.append(expl);
  if (latest) {
    const full = await get<Pick>(`/api/v1/predictions/${latest.id}?include_explanation=true`);
    const contribs = full.explanation?.contributions ?? [];
    expl.append(contribs.length
      ? hbars(`Feature contributions to the ${full.market} pick`, contribs.map((c) => ({ label: c.feature ?? "?", value: c.contribution ?? 0, text: `${signed(c.contribution, 3)} (value ${num(c.value, 2)})` })))
      : h("p", { class: "empty-explanation" }, "No stored explanation for this pick."));
  } else {
    expl.append(h("p", {}, "No pick yet."));
  }

  // weather
  const w = game.weather;
  main.append(section("Weather", w
    ? h("dl", { class: "facts" },
        h("dt", {}, "Conditions"), h("dd", {}, w.is_dome ? "indoors (dome)" : w.conditions ?? "—"),
        h("dt", {}, "Temperature"), h("dd", {}, `${num(w.temperature_f, 0)} °F`),
        h("dt", {}, "Wind"), h("dd", {}, `${num(w.wind_mph, 0)} mph`),
        h("dt", {}, "Humidity"), h("dd", {}, `${num(w.humidity_pct, 0)} %`),
        h("dt", {}, "Observed"), h("dd", {}, when(w.observed_at)))
    : h("p", {}, "No weather stored (indoor sport or not yet fetched).")));
}
