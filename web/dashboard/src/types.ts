// API types used by the dashboard, in one module so they can be replaced by the types generated
// from the OpenAPI document (openapi-typescript) without touching the pages. Every field the
// API may leave out or add later is optional; the pages tolerate its absence.

export interface ApiError {
  error?: { code?: string; message?: string; details?: { field?: string; message?: string }[] };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in: number;
  refresh_expires_in?: number;
}

export interface User {
  id: number;
  email: string;
  name?: string | null;
  role: string;
  is_active?: boolean;
  totp_enabled?: boolean;
  created_at?: string;
  last_login_at?: string | null;
}

export interface Team { id: number; key?: string | null; name?: string | null }

export interface Game {
  id: number;
  sport?: string | null;
  date?: string | null;
  start_time?: string | null;
  time_known?: boolean;
  status?: string | null;
  home?: Team;
  away?: Team;
  home_team?: Team;
  away_team?: Team;
  home_score?: number | null;
  away_score?: number | null;
  venue?: string | null;
  odds?: Quote[];
  best?: unknown;
  weather?: Weather | null;
}

export interface Weather {
  temperature_f?: number | null;
  wind_mph?: number | null;
  humidity_pct?: number | null;
  conditions?: string | null;
  is_dome?: boolean;
  observed_at?: string | null;
}

export interface Quote {
  book?: string;
  book_name?: string;
  aggregate?: boolean;
  market?: string | null;
  selection?: string | null;
  phase?: string | null;
  recorded_at?: string | null;
  line?: number | null;
  price?: number | null;
  american?: number | null;
  implied_probability?: number | null;
}

export interface PickResult {
  result?: string | null;
  profit_units?: number | null;
  clv?: number | null;
  graded_at?: string | null;
}

export interface Contribution {
  rank: number;
  feature?: string | null;
  value?: number | null;
  contribution?: number | null;
  impact?: string;
}

export interface Pick {
  id: number;
  game_id: number;
  model?: string | null;
  market?: string | null;
  selection?: string | null;
  line?: number | null;
  book?: string | null;
  price?: number | null;
  american?: number | null;
  implied_probability?: number | null;
  probability?: number | null;
  market_probability?: number | null;
  edge?: number | null;
  tier?: string | null;
  stake_fraction?: number | null;
  locked_at?: string | null;
  hash?: string | null;
  prev_hash?: string | null;
  created_at?: string | null;
  result?: PickResult | null;
  game?: Game;
  // publication fields that newer servers add
  publication?: string | null;
  tracking_only?: boolean;
  no_bet_reason?: string | null;
  superseded?: boolean;
  superseded_by?: number | null;
  explanation?: { contributions?: Contribution[]; summary?: unknown } | null;
}

export interface TrackRecord {
  key?: string;
  n: number;
  wins: number;
  losses: number;
  pushes?: number;
  voids?: number;
  win_rate?: number | null;
  win_rate_ci95?: (number | null)[];
  units?: number | null;
  roi?: number | null;
  clv_n?: number;
  clv_mean?: number | null;
  clv_positive_share?: number | null;
}

export interface ReliabilityBin { lo: number; hi: number; n: number; predicted?: number | null; observed?: number | null }
export interface HistBin { lo: number | null; hi: number | null; n: number }
export interface CumPoint { date: string; picks: number; units: number | null; cumulative_units: number | null }

export interface Performance {
  overall: TrackRecord;
  by_sport?: TrackRecord[];
  by_tier?: TrackRecord[];
  by_market?: TrackRecord[];
  reliability?: { n: number; ece?: number | null; mce?: number | null; bins: ReliabilityBin[] };
  clv_histogram?: { n: number; bins: HistBin[] };
  cumulative?: CumPoint[];
  method?: string;
}

export interface Verification {
  hash: string;
  prediction_id: number;
  verified: boolean;
  content_ok?: boolean;
  link_ok?: boolean;
  reason?: string | null;
  prediction?: Pick | null;
}

export interface Bankroll {
  id: number;
  name?: string | null;
  currency?: string | null;
  initial_amount?: number | null;
  current_amount?: number | null;
  peak_amount?: number | null;
  low_amount?: number | null;
  total_bets?: number;
  pending_bets?: number;
  wins?: number;
  losses?: number;
  win_rate?: number | null;
  profit?: number | null;
  roi?: number | null;
}

export interface BalancePoint {
  at?: string | null;
  kind?: string | null;
  amount?: number | null;
  balance_after?: number | null;
  bet_id?: number | null;
  description?: string | null;
  equity?: number | null;
  drawdown?: number | null;
}

export interface BalanceHistory { bankroll_id: number; items: BalancePoint[]; max_drawdown?: number | null }

export interface Bet {
  id: number;
  bankroll_id: number;
  prediction_id?: number | null;
  game_id: number;
  market?: string | null;
  selection?: string | null;
  line?: number | null;
  price?: number | null;
  american?: number | null;
  stake?: number | null;
  sportsbook?: string | null;
  placed_at?: string | null;
  result?: string | null;
  profit_loss?: number | null;
  clv?: number | null;
  settled_at?: string | null;
  balance_after?: number | null;
  game?: Game;
}

export interface Sizing {
  probability?: number | null;
  decimal_odds?: number | null;
  american_odds?: number | null;
  implied_probability?: number | null;
  no_vig_probability?: number | null;
  edge?: number | null;
  ev_per_unit?: number | null;
  ev_amount?: number | null;
  full_kelly?: number | null;
  fractional_kelly?: number | null;
  stake?: number | null;
  units?: number | null;
  bankroll?: number | null;
  tier?: string;
  should_bet?: boolean;
  reason?: string;
}

export interface Tally {
  bets: number; wins: number; losses: number; pushes?: number; staked?: number | null;
  profit?: number | null; yield?: number | null; clv_bets?: number; clv_mean?: number | null;
}

export interface BacktestReport {
  sport?: string; market?: string; model?: string; from?: string; to?: string; games?: number;
  bankroll_start?: number | null; bankroll_end?: number | null; bankroll_growth?: number | null;
  max_drawdown?: number | null; sharpe_per_bet?: number | null; bets?: Tally;
  tiers?: { [tier: string]: Tally };
  seasons?: { season: string; bets: Tally }[];
  curve?: { date: string; bankroll: number | null; drawdown: number | null }[];
}

export interface Backtest {
  id: number; sport?: string; market?: string; from?: string | null; to?: string | null;
  model?: string | null; bankroll?: number | null; state?: string; job_id?: string | null;
  error?: string | null; created_at?: string | null; finished_at?: string | null;
  report?: BacktestReport | null;
}

export interface Model {
  id: number; name?: string | null; sport?: string | null; market?: string | null;
  family?: string | null; status?: string | null; log_loss?: number | null; ece?: number | null;
  games?: number | null; leakage_ok?: boolean; promotion_note?: string | null;
  created_at?: string | null; promoted_at?: string | null;
  features?: unknown; metrics?: unknown; params?: unknown;
  training_runs?: { id: number; status?: string; leaderboard?: unknown; finished_at?: string | null }[];
}

export interface Setting {
  name: string; value?: string; source?: string; origin?: string; secret?: boolean;
  runtime_changeable?: boolean; override?: { value?: string | null; updated_at?: string | null } | null;
  effective?: string | null;
}

export interface Alert {
  id: number; kind?: string | null; severity?: string | null; title?: string | null;
  message?: string | null; acknowledged?: boolean; created_at?: string | null;
}

export interface Health {
  status?: string;
  components?: { [name: string]: { status?: string; latency_ms?: number | null; [k: string]: unknown } };
  [k: string]: unknown;
}

export interface DeadJob { id: string; name: string; attempts: number; max_attempts: number; enqueued_ms: number; error?: string | null; payload?: string | null }
