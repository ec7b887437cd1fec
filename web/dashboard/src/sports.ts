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
