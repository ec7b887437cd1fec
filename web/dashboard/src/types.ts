// API types used by the dashboard: the component schemas of the API's OpenAPI document, as
// openapi-typescript generates them into web/src/api/schema.d.ts (`npm run gen:api-types`).
// Nothing here is written by hand, so the pages and the API cannot drift: a changed schema is a
// type error in the page that reads it.
import type { components } from "../../src/api/schema";

type S = components["schemas"];

export type ApiError = S["Error"];
export type Tokens = S["TokenPair"];
export type User = S["User"];
export type Team = S["Team"];
export type TeamStanding = S["TeamStanding"];
export type TeamStandings = S["TeamStandings"];
export type TeamRatings = S["TeamRatings"];
export type Game = S["Game"];
export type Weather = S["Weather"];
export type Odds = S["Odds"];
export type Quote = S["Quote"];
export type PickResult = S["PickResult"];
export type Contribution = S["Contribution"];
export type Pick = S["Prediction"];
export type TrackRecord = S["TrackRecordGroup"];
export type Performance = S["PredictionPerformance"];
export type Verification = S["Verification"];
export type Bankroll = S["Bankroll"];
export type BalanceHistory = S["BankrollHistory"];
export type Bet = S["Bet"];
export type Sizing = S["Sizing"];
export type SizingRequest = S["SizingRequest"];
export type Tally = S["BacktestTally"];
export type BacktestReport = S["BacktestReport"];
export type Backtest = S["Backtest"];
export type Model = S["Model"];
export type PromoteRequest = S["PromoteRequest"];
export type Setting = S["Setting"];
export type Alert = S["Alert"];
export type Health = S["HealthDetailed"];
export type DataQuality = S["DataQuality"];
export type DeadJob = S["DeadJob"];
export type MyFlags = S["MyFlags"];
