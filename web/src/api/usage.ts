// usage.ts — compile-time checks of the generated client: what a dashboard does with it. Type
// errors here (tsc -p web/tsconfig.json, run by tests/integration/api_contract.sh) mean the
// document and the code that reads it disagree.
import { ApiClient, type Game, type Job, type Prediction } from "./client";

export async function upcomingPicks(api: ApiClient): Promise<string[]> {
  const games = await api.get("/api/v1/games/upcoming", { query: { sport: "EPL", days: 7, limit: 20 } });
  const total: number = games.total;
  const page: number = games.page;
  const first: Game | undefined = games.items[0];
  const picks = await api.get("/api/v1/predictions", { query: { min_edge: 0.02, tier: "A", page: 1 } });
  const lines = picks.items.map((p: Prediction) => `${p.market} ${p.selection} @ ${p.price ?? "-"} (${p.tier ?? "?"})`);
  if (first) {
    const one = await api.get("/api/v1/games/{id}", { path: { id: first.id }, query: { include_odds: true } });
    const home: string = one.home_team.name;
    const best = (one.best ?? []).map((q) => `${q.selection} ${q.price} at ${q.book}`);
    lines.push(home, ...best);
    const odds = await api.get("/api/v1/odds/{game_id}/movements", { path: { game_id: first.id } });
    lines.push(odds.source, String(odds.items.length));
  }
  const pick = await api.get("/api/v1/predictions/{id}", { path: { id: 1 }, query: { include_explanation: true } });
  for (const c of pick.explanation?.contributions ?? []) lines.push(`${c.feature ?? "?"} ${c.impact}`);
  const bets = await api.get("/api/v1/betting/bets", { query: { result: "pending" } });
  lines.push(String(bets.summary.staked), String(total + page));
  // @ts-expect-error — an undeclared query parameter is a type error (the API answers 400)
  await api.get("/api/v1/games", { query: { sprot: "NBA" } });
  // @ts-expect-error — a value out of the declared enum is a type error too
  await api.get("/api/v1/admin/alerts", { query: { severity: "fatal" } });
  return lines;
}

export async function followJob(api: ApiClient, id: string): Promise<Job["state"]> {
  const job = await api.get("/api/v1/jobs/{id}", { path: { id } });
  return job.state;
}
