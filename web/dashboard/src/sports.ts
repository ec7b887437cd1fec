import { teamName } from "./format";

// The sports the API knows, by code, in the order of src/core/sports.def (which the API's sport
// parameter accepts and nothing else); dashboard_regressions checks that the two agree.
export const SPORTS: [string, string][] = [
  ["NFL", "NFL"], ["NCAAF", "NCAA Football"], ["CFL", "CFL"],
  ["NBA", "NBA"], ["NCAAB", "NCAA Basketball"], ["WNBA", "WNBA"],
  ["NHL", "NHL"], ["MLB", "MLB"], ["ATP", "ATP"], ["WTA", "WTA"],
  ["EPL", "Premier League"], ["LALIGA", "La Liga"], ["BUNDESLIGA", "Bundesliga"], ["SERIEA", "Serie A"], ["LIGUE1", "Ligue 1"],
];

// The options of a sport filter: every sport, after "All sports" when the filter may be empty.
export function sportOptions(any: boolean): [string, string][] {
  return any ? [["", "All sports"], ...SPORTS] : SPORTS;
}

// Soccer leagues and tennis tours name a match home side first ("Brentford vs Chelsea", the home
// score first); a tennis match has no home side, its two players are named in the stored order
// and never called home or away. The North American sports keep "away @ home".
const HOME_FIRST = new Set(["EPL", "LALIGA", "BUNDESLIGA", "SERIEA", "LIGUE1", "ATP", "WTA"]);

type Side = { name?: string | null; key?: string | null } | undefined;
interface Match {
  sport?: string | null;
  home_team?: Side;
  away_team?: Side;
  home_score?: number | null;
  away_score?: number | null;
}

// Whether the match is named home side first (see above).
export function homeFirst(g: Match | null | undefined): boolean {
  return HOME_FIRST.has(g?.sport ?? "");
}

export function matchup(g: Match | null | undefined): string {
  return homeFirst(g) ? `${teamName(g?.home_team)} vs ${teamName(g?.away_team)}` : `${teamName(g?.away_team)} @ ${teamName(g?.home_team)}`;
}

// The final or current score in the order the match is named; "not played yet" without one.
export function scoreLine(g: Match): string {
  if (g.home_score === null || g.home_score === undefined) return "not played yet";
  const home = `${teamName(g.home_team)} ${g.home_score}`, away = `${teamName(g.away_team)} ${g.away_score}`;
  return homeFirst(g) ? `${home} – ${g.away_score} ${teamName(g.away_team)}` : `${away} – ${g.home_score} ${teamName(g.home_team)}`;
}

// A selection as the user reads it: the team or player for home and away, the rest (draw, over,
// under) as the API names it.
export function sideName(g: Match | null | undefined, selection: string | null | undefined): string {
  return selection === "home" ? teamName(g?.home_team) : selection === "away" ? teamName(g?.away_team) : selection ?? "?";
}
