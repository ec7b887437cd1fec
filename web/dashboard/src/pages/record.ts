// The track record: by sport, market, tier and period — win rate with its Wilson interval, ROI,
// CLV, the CLV histogram, the reliability diagram with counts and the cumulative units, all as
// the API computed them; the graded picks behind it as CSV; and the verification of any pick's
// lock-in hash.
import { download, get, newest } from "../api";
import { chart } from "../charts";
import { field, h, section, select, status, table } from "../dom";
import { num, pct, secs, signed, when } from "../format";
import { sportOptions } from "../sports";
import type { Performance, TrackRecord, Verification } from "../types";

function recordRows(rs: TrackRecord[]): (string | number)[][] {
  return rs.map((r) => [r.key ?? "all", r.n, `${r.wins}–${r.losses}${r.pushes ? `–${r.pushes}` : ""}`,
    pct(r.win_rate), `${pct(r.win_rate_ci95?.[0])} – ${pct(r.win_rate_ci95?.[1])}`, signed(r.units), pct(r.roi), num(r.clv_mean, 4), pct(r.clv_positive_share),
    r.locked_after_start ?? 0]);
}
const recordHead = ["Group", "Graded", "W–L(–P)", "Win rate", "95% interval (Wilson)", "Units", "ROI", "Mean CLV", "CLV > 0", "Locked after start"];

export function recordPage(main: HTMLElement): void {
  const sport = select("sport", sportOptions(true));
  const market = select("market", [["", "All markets"], ["moneyline", "Moneyline"], ["spread", "Spread"], ["total", "Total"]]);
  const tier = select("tier", [["", "All tiers"], ["A", "A"], ["B", "B"], ["C", "C"]]);
  // A pick locked in at or after its game's start is a replay of a past game, not a forecast.
  const locked = select("locked", [["", "All picks"], ["before_start", "Forecasts (locked before the start)"], ["after_start", "Replays (locked after the start)"]]);
  const from = h("input", { type: "date", name: "date_from" });
  const to = h("input", { type: "date", name: "date_to" });
  const note = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const out = h("div");
  // the graded picks these filters count, each with the fields its lock-in hash covers
  const csvNote = h("span", { class: "status", role: "status", "aria-live": "polite" });
  const csv = h("button", { type: "button", class: "ghost", onclick: async () => {
    const q = query();
    q.set("graded", "true");
    status(csvNote, "");
    try { await download(`/api/v1/predictions/export?${q}`, "text/csv", "aps-track-record.csv"); } catch (e) { status(csvNote, (e as Error).message, "error"); }
  } }, "Download CSV");
  const filters = h("form", { class: "filters", "aria-label": "Filter the track record" }, field("Sport", sport), field("Market", market), field("Tier", tier), field("Picks", locked), field("From", from), field("To", to), h("div", {}, csv, csvNote));
  main.append(section("Track record", filters, note), out);

  // Only the newest request's answer is drawn (a slower answer to earlier filters is dropped), and
  // a failed request takes the tables of the earlier filters away.
  const ask = newest();
  function query(): URLSearchParams {
    const q = new URLSearchParams();
    if (sport.value) q.set("sport", sport.value);
    if (market.value) q.set("market", market.value);
    if (tier.value) q.set("tier", tier.value);
    if (locked.value) q.set("locked", locked.value);
    if (from.value) q.set("date_from", from.value);
    if (to.value) q.set("date_to", to.value);
    return q;
  }
  async function load(): Promise<void> {
    const current = ask();
    const q = query();
    try {
      const p = await get<Performance>(`/api/v1/predictions/performance?${q}`);
      if (!current()) return;
      status(note, p.method ?? "");
      const parts: HTMLElement[] = [];
      // The bets (a tier) first: the record of the signals a user was told to stake.
      const summary = [{ ...p.bets, key: "bets (tier A–C)" }, { ...p.no_bets, key: "no bet or tracking only" }, { ...p.overall, key: "all picks" }];
      parts.push(section("Summary", table("Each game and market counted once, by its pick at the start; every pick at 1 unit", recordHead, recordRows(summary), "record-summary"),
        p.by_sport?.length ? table("By sport", recordHead, recordRows(p.by_sport)) : null,
        p.by_market?.length ? table("By market", recordHead, recordRows(p.by_market)) : null,
        p.by_tier?.length ? table("By tier", recordHead, recordRows(p.by_tier)) : null));
      const rel = p.reliability;
      const bins = (rel?.bins ?? []).filter((b) => b.n > 0 && b.predicted !== null && b.observed !== null);
      parts.push(section("Reliability", bins.length
        ? chart({
            title: `Reliability diagram (${rel?.n ?? 0} decided picks, ECE ${num(rel?.ece, 3)})`,
            describe: bins.map((b) => `predicted ${pct(b.predicted)} observed ${pct(b.observed)} over ${b.n} picks`).join("; "),
            x: bins.map((b) => b.predicted as number), xLabel: "predicted probability", yLabel: "observed win share",
            xRange: [0, 1], yRange: [0, 1],
            series: [
              { label: "observed", values: bins.map((b) => b.observed as number), points: true },
              { label: "perfect calibration", values: bins.map((b) => b.predicted as number), dash: [6, 4], color: "#888" },
            ],
            formatX: (v) => pct(v),
            formatY: (v) => pct(v),
          })
        : h("p", {}, "No graded picks yet."),
        bins.length ? table("Reliability bins", ["Bin", "Picks", "Mean predicted", "Observed"], (rel?.bins ?? []).map((b) => [`${pct(b.lo, 0)}–${pct(b.hi, 0)}`, b.n, pct(b.predicted), pct(b.observed)]), "reliability-counts") : null));
      const hist = p.clv_histogram;
      parts.push(section("Closing-line value", hist && hist.bins.length
        ? chart({
            title: `CLV distribution (${hist.n} picks)`,
            describe: hist.bins.map((b) => `${num(b.lo, 3)} to ${num(b.hi, 3)}: ${b.n}`).join("; "),
            x: hist.bins.map((b) => ((b.lo ?? 0) + (b.hi ?? 0)) / 2), xLabel: "CLV (bin centre)", yLabel: "picks",
            series: [{ label: "picks", values: hist.bins.map((b) => b.n), bars: true }],
            formatX: (v) => num(v, 3), formatY: (v) => String(v ?? "—"),
          })
        : h("p", {}, hist && hist.n > 0
          ? `${hist.n} picks have a CLV, but moneyline CLV (a share of the stake) and spread or total CLV (points) are not one scale: choose a market to see its distribution.`
          : "No CLV recorded yet.")));
      const cum = p.cumulative ?? [];
      parts.push(section("Profit", cum.length
        ? chart({
            title: "Cumulative units (1-unit flat stakes)",
            describe: `${cum.length} game days, ending at ${signed(cum[cum.length - 1].cumulative_units)} units`,
            // from 0 on the day before the first game day, so one game day still draws a line
            x: [(secs(cum[0].date) as number) - 86400, ...cum.map((c) => secs(c.date) as number)], xTime: true, xDays: true, xLabel: "game date", yLabel: "units",
            series: [{ label: "cumulative units", values: [0, ...cum.map((c) => c.cumulative_units)] }],
            formatX: (v) => new Date(v * 1000).toISOString().slice(0, 10), formatY: (v) => signed(v),
          })
        : h("p", {}, "No graded picks yet.")));
      out.replaceChildren(...parts);
    } catch (e) {
      if (!current()) return;
      out.replaceChildren();
      status(note, (e as Error).message, "error");
    }
  }
  for (const el of [sport, market, tier, locked, from, to]) el.addEventListener("change", () => void load());
  filters.addEventListener("submit", (e) => e.preventDefault());
  void load();

  // lock-in verification
  const hash = h("input", { type: "text", name: "hash", pattern: "[0-9a-f]{64}", placeholder: "64 hexadecimal characters", spellcheck: "false", autocomplete: "off" });
  const result = h("div", { role: "status", "aria-live": "polite" });
  const vform = h("form", { class: "form inline", "aria-label": "Verify a pick by its lock-in hash" }, field("Lock-in hash", hash), h("button", { type: "submit" }, "Verify"), result);
  vform.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const v = await get<Verification>(`/api/v1/predictions/verify?hash=${encodeURIComponent(hash.value.trim())}`);
      result.replaceChildren(h("p", { class: `status ${v.verified ? "ok" : "error"}` },
        v.verified ? `Verified: pick ${v.prediction_id} is unchanged since it was locked in ${when(v.prediction?.created_at)}, and its link to the previous pick holds.` : `Not verified: ${v.reason ?? "mismatch"}`));
    } catch (err) {
      result.replaceChildren(h("p", { class: "status error" }, (err as Error).message));
    }
  });
  main.append(section("Verify a pick", h("p", {}, "Every pick is locked in with a SHA-256 hash chained to the pick before it. Paste a hash to check it."), vform));
}
