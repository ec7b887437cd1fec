// Team ratings (GET /api/v1/teams, /teams/{id}): a sport's teams ranked by Elo in a season, a
// hundred a page, each with its change over its last ten games and its record; and one team's
// rating game by game, drawn and listed. The ratings are the API's, replayed from the stored
// games as the picks' features read them; nothing here computes one.
import { get, newest } from "../api";
import { chart } from "../charts";
import { field, h, pager, section, select, status, table } from "../dom";
import { num, secs, signed, teamName } from "../format";
import { SPORTS } from "../sports";
import type { TeamRatings, TeamStanding, TeamStandings } from "../types";

const SPORT_KEY = "aps.ratings.sport";

// "W–L", or "W–D–L" (a league table's order) where games can be drawn, as the column's head says.
const record = (w: number, l: number, d: number, draws: boolean) => (draws ? `${w}–${d}–${l}` : `${w}–${l}`);

function standingsTable(s: TeamStandings): HTMLElement {
  const items = s.items as TeamStanding[];
  const draws = items.some((t) => t.draws > 0 || t.playoffs.draws > 0);
  const playoffs = items.some((t) => t.playoffs.wins + t.playoffs.losses + t.playoffs.draws > 0);
  const points = items.some((t) => t.points !== undefined);
  const season = s.season === "all" ? "all seasons" : s.season;
  const params = s.parameters === "fitted" ? "fitted Elo parameters" : "default Elo parameters";
  return table(`${s.sport} ${season}: ratings after the games up to ${s.as_of ?? "—"} (${params})`,
    ["Rank", "Team", "Rating", "Last 10", draws ? "W–D–L" : "W–L", ...(points ? ["Points"] : []), ...(playoffs ? ["Playoffs"] : []), "Last game"],
    items.map((t) => [
      t.rank,
      h("a", { href: `#/team/${t.team.id}` }, teamName(t.team)),
      num(t.rating, 1),
      h("span", { title: `rating change over its last ${t.change_games} ${t.change_games === 1 ? "game" : "games"}` }, `${signed(t.change, 1)}${t.change_games < 10 ? ` (${t.change_games})` : ""}`),
      record(t.wins, t.losses, t.draws, draws),
      ...(points ? [t.points ?? "—"] : []),
      ...(playoffs ? [record(t.playoffs.wins, t.playoffs.losses, t.playoffs.draws, draws)] : []),
      t.last_game_date,
    ]), "standings");
}

export async function ratingsPage(main: HTMLElement): Promise<void> {
  const sport = select("sport", SPORTS, localStorage.getItem(SPORT_KEY) ?? "NBA");
  const season = select("season", [["", "Latest season"]]);
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const box = h("div");
  main.append(section("Team ratings", h("form", { class: "form inline", "aria-label": "Standings" }, field("Sport", sport), field("Season", season)), msg, box,
    h("p", { class: "note" }, "Last 10 is the rating's change over the team's last ten games (fewer in brackets), a new season's pull towards the mean included. W–L counts the season's games; a playoff game is counted apart only where the data marks it as one.")));
  const ask = newest();
  // page n of the standings of the sport and season chosen; only the newest request is drawn
  const show = async (n: number): Promise<void> => {
    const current = ask();
    const q = new URLSearchParams({ sport: sport.value, page: String(n), limit: "100" });
    if (season.value) q.set("season", season.value);
    try {
      const s = await get<TeamStandings>(`/api/v1/teams?${q}`);
      if (!current()) return;
      status(msg, "");
      const chosen = season.value;
      season.replaceChildren(...([["", `Latest season (${s.seasons[0] ?? "none"})`], ...s.seasons.map((x) => [x, x]), ["all", "All seasons"]] as [string, string][])
        .map(([v, t]) => h("option", { value: v, selected: v === chosen }, t)));
      box.replaceChildren(standingsTable(s), ...(s.total > s.limit ? [pager("Standings", s, (k) => void show(k))] : []));
    } catch (e) {
      if (!current()) return;
      box.replaceChildren();
      status(msg, (e as Error).message, "error");
    }
  };
  sport.addEventListener("change", () => {
    localStorage.setItem(SPORT_KEY, sport.value);
    season.value = "";
    void show(1);
  });
  season.addEventListener("change", () => void show(1));
  await show(1);
}

// One team: its rating after each of its last hundred games (two games on one day drawn a minute
// apart), and the games newest first with the ratings before and after.
export async function teamPage(main: HTMLElement, id: number): Promise<void> {
  const t = await get<TeamRatings>(`/api/v1/teams/${id}?games=100`);
  const games = t.games;
  const xs: number[] = [];
  for (const g of games) {
    const x = secs(g.date) as number;
    xs.push(xs.length && x <= xs[xs.length - 1] ? xs[xs.length - 1] + 60 : x);
  }
  const tennis = t.sport === "ATP" || t.sport === "WTA";
  main.append(section(`${teamName(t.team)} (${t.sport})`,
    h("dl", { class: "facts" },
      h("dt", {}, "Elo rating"), h("dd", { "data-testid": "team-rating" }, num(t.rating, 1)),
      h("dt", {}, "After its games up to"), h("dd", {}, t.as_of ?? "no game yet"),
      h("dt", {}, "Parameters"), h("dd", {}, t.parameters === "fitted" ? "fitted (aps elo fit)" : "the sport's defaults")),
    games.length ? chart({ title: "Elo rating", describe: `after each of its last ${games.length} games, from ${num(games[0].rating_before, 1)} to ${num(t.rating, 1)}`,
      x: xs, xTime: true, xDays: true, xLabel: "date", yLabel: "rating",
      series: [{ label: "rating", values: games.map((g) => g.rating_after) }],
      formatX: (v) => new Date(v * 1000).toISOString().slice(0, 10), formatY: (v) => num(v, 1) }) : h("p", {}, "No finished game yet."),
    games.length ? table(`Its last ${games.length} games, newest first`,
      ["Date", "Opponent", ...(tennis ? [] : ["Home or away"]), "Score", "Result", "Opponent's rating", "Rating before → after", ""],
      [...games].reverse().map((g) => [
        g.date,
        h("a", { href: `#/team/${g.opponent.id}` }, teamName(g.opponent)),
        ...(tennis ? [] : [g.home ? "home" : "away"]),
        `${g.score_for}–${g.score_against}`,
        g.result,
        num(g.opponent_rating, 1),
        `${num(g.rating_before, 1)} → ${num(g.rating_after, 1)}`,
        h("a", { href: `#/game/${g.game_id}` }, "Game"),
      ]), "team-games") : null,
    h("p", {}, h("a", { href: "#/ratings" }, "All teams"))));
  document.title = `${teamName(t.team)} · AI PRO SPORTS`;
}
