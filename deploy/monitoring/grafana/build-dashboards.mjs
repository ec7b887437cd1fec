// build-dashboards.mjs — writes the ten Grafana dashboards of seed §7.2 to dashboards/*.json.
//
// The JSON files are what Grafana provisions and what reviewers read; this script is their
// source, the way monitoring mixins generate dashboards: one place for the layout rules (rows
// top-down from "is it healthy?" to "why not?", a datasource variable, the environment /
// service / sport filters, units on every panel, thresholds where a number has a goal).
// Run `node build-dashboards.mjs` after an edit; tests/integration/monitoring_config.sh fails
// when the committed JSON differs from what this script writes (`node build-dashboards.mjs DIR`
// writes to DIR instead of dashboards/).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] ?? join(here, "dashboards");
const DS = { type: "prometheus", uid: "${datasource}" };
const ENV = 'environment=~"$environment"';

// ---- panels ----------------------------------------------------------------------------------

function thresholds(steps) {
  // steps: [[color, value|null], …] from the lowest.
  return { mode: "absolute", steps: steps.map(([color, value]) => ({ color, value })) };
}
const GREEN = [["green", null]];

function target(expr, legend, refId, instant) {
  const t = { datasource: DS, refId, expr, legendFormat: legend ?? "__auto" };
  if (instant) { t.instant = true; t.range = false; t.format = "table"; }
  return t;
}

// One panel: kind is timeseries, stat, gauge, table, bargauge or heatmap.
function panel(kind, title, exprs, o = {}) {
  const list = Array.isArray(exprs) ? exprs : [[exprs, o.legend]];
  const p = {
    type: kind,
    title,
    description: o.description ?? "",
    datasource: DS,
    targets: list.map(([e, l], i) => target(e, l, String.fromCharCode(65 + i), kind === "table")),
    fieldConfig: {
      defaults: {
        unit: o.unit ?? "short",
        thresholds: thresholds(o.thresholds ?? GREEN),
        color: { mode: o.thresholds ? "thresholds" : "palette-classic" },
      },
      overrides: [],
    },
    options: {},
    w: o.w ?? 8,
    h: o.h ?? 8,
  };
  if (o.min !== undefined) p.fieldConfig.defaults.min = o.min;
  if (o.max !== undefined) p.fieldConfig.defaults.max = o.max;
  if (kind === "stat") p.options = { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "area", textMode: "auto" };
  if (kind === "gauge") p.options = { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, showThresholdMarkers: true };
  if (kind === "timeseries") {
    p.options = { legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi", sort: "desc" } };
    p.fieldConfig.defaults.custom = { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never", spanNulls: false, thresholdsStyle: { mode: o.thresholds ? "line" : "off" } };
  }
  if (kind === "bargauge") p.options = { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, orientation: "horizontal", displayMode: "gradient" };
  if (kind === "table") p.options = { showHeader: true, cellHeight: "sm" };
  if (kind === "heatmap") {
    p.options = { calculate: false, yAxis: { unit: o.unit ?? "short" }, color: { mode: "scheme", scheme: "Oranges" } };
    p.targets.forEach((t) => { t.format = "heatmap"; });
  }
  return p;
}

const ts = (title, exprs, o) => panel("timeseries", title, exprs, o);
const stat = (title, exprs, o) => panel("stat", title, exprs, { w: 6, h: 5, ...o });
const gauge = (title, exprs, o) => panel("gauge", title, exprs, { w: 6, h: 6, ...o });
const table = (title, exprs, o) => panel("table", title, exprs, { w: 24, h: 8, ...o });
const bars = (title, exprs, o) => panel("bargauge", title, exprs, o);
const heat = (title, exprs, o) => panel("heatmap", title, exprs, o);
const row = (title) => ({ type: "row", title, collapsed: false, panels: [] });

// Lays the panels out left to right, wrapping at 24 columns; a row starts a new line.
function layout(items) {
  let x = 0, y = 0, lineH = 0, id = 1;
  return items.map((it) => {
    if (it.type === "row") {
      y += lineH; x = 0; lineH = 0;
      const r = { ...it, id: id++, gridPos: { h: 1, w: 24, x: 0, y } };
      y += 1;
      return r;
    }
    const { w, h, ...rest } = it;
    if (x + w > 24) { y += lineH; x = 0; lineH = 0; }
    const p = { ...rest, id: id++, gridPos: { h, w, x, y } };
    x += w; lineH = Math.max(lineH, h);
    return p;
  });
}

// ---- variables -------------------------------------------------------------------------------

function queryVar(name, label, query, o = {}) {
  return {
    type: "query", name, label, datasource: DS,
    query: { query, refId: `${name}-var` },
    refresh: 2, sort: 1, includeAll: true, multi: true, allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    options: [], hide: 0, regex: "", ...o,
  };
}

const variables = [
  { type: "datasource", name: "datasource", label: "Data source", query: "prometheus", refresh: 1, hide: 0, options: [], current: { selected: false, text: "Prometheus", value: "prometheus" } },
  queryVar("environment", "Environment", "label_values(up, environment)"),
  queryVar("service", "Service", 'label_values(up{environment=~"$environment"}, service)'),
  queryVar("sport", "Sport", 'label_values(aps_picks_current{environment=~"$environment"}, sport)'),
];

const windowVar = {
  type: "custom", name: "window", label: "Window", query: "7d,30d",
  current: { selected: true, text: "30d", value: "30d" },
  options: [{ selected: false, text: "7d", value: "7d" }, { selected: true, text: "30d", value: "30d" }],
  hide: 0, includeAll: false, multi: false,
};

function dashboard(uid, title, description, tags, items, extraVars = []) {
  return {
    uid, title, description,
    tags: ["ai-pro-sports", ...tags],
    timezone: "utc",
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [{ title: "AI PRO SPORTS", type: "dashboards", tags: ["ai-pro-sports"], asDropdown: true, includeVars: true, keepTime: true, icon: "external link", targetBlank: false, tooltip: "", url: "" }],
    annotations: { list: [{ builtIn: 1, datasource: { type: "grafana", uid: "-- Grafana --" }, enable: true, hide: true, iconColor: "rgba(0, 211, 255, 1)", name: "Annotations & Alerts", type: "dashboard" }] },
    templating: { list: [...variables, ...extraVars] },
    panels: layout(items),
  };
}

// ---- the ten dashboards ----------------------------------------------------------------------

const SVC = `${ENV},service=~"$service"`;
const SPORT = `${ENV},sport=~"$sport"`;
const P95 = [["green", null], ["red", 0.5]];
const ERR = [["green", null], ["orange", 0.01], ["red", 0.05]];
const ECE = [["green", null], ["red", 0.02]];

const boards = [];

boards.push(dashboard("aps-system-overview", "System Overview: is the platform healthy?",
  "CPU, memory, disk and network across all services, with the headline health numbers.", ["overview"], [
  row("Health"),
  stat("Targets up", `sum(up{${SVC}}) / count(up{${SVC}})`, { unit: "percentunit", thresholds: [["red", null], ["orange", 0.9], ["green", 1]] }),
  stat("API error ratio (5m)", `max(service:aps_http_request_errors:ratio_rate5m{${ENV},service="api"})`, { unit: "percentunit", thresholds: ERR }),
  stat("API p95 latency (5m)", `max(service:aps_http_request_duration_seconds:p95_5m{${ENV},service="api"})`, { unit: "s", thresholds: P95 }),
  stat("Alerts firing", `count(ALERTS{alertstate="firing",${ENV}}) or vector(0)`, { unit: "short", thresholds: [["green", null], ["red", 1]] }),
  row("Resources"),
  ts("CPU utilisation", `instance:node_cpu_utilisation:ratio{${ENV}}`, { unit: "percentunit", legend: "{{instance}}", min: 0, max: 1, thresholds: [["green", null], ["red", 0.7]] }),
  ts("Memory utilisation", `instance:node_memory_utilisation:ratio{${ENV}}`, { unit: "percentunit", legend: "{{instance}}", min: 0, max: 1, thresholds: [["green", null], ["red", 0.8]] }),
  ts("Disk free", `instance_mountpoint:node_filesystem_avail:ratio{${ENV}}`, { unit: "percentunit", legend: "{{instance}} {{mountpoint}}", min: 0, max: 1, thresholds: [["red", null], ["orange", 0.05], ["green", 0.15]] }),
  ts("Network", [[`sum by (instance) (rate(node_network_receive_bytes_total{${ENV},device!="lo"}[5m]))`, "{{instance}} in"], [`-sum by (instance) (rate(node_network_transmit_bytes_total{${ENV},device!="lo"}[5m]))`, "{{instance}} out"]], { unit: "Bps" }),
  ts("Process memory by service", `sum by (service) (process_resident_memory_bytes{${SVC}})`, { unit: "bytes", legend: "{{service}}" }),
  ts("Process CPU by service", `sum by (service) (rate(process_cpu_seconds_total{${SVC}}[5m]))`, { unit: "short", legend: "{{service}}", description: "CPU cores in use." }),
  table("Versions", `max by (service, instance, version, store, queue) (aps_build_info{${SVC}})`, { unit: "short" }),
]));

boards.push(dashboard("aps-api-performance", "API Performance: rates, latency, errors",
  "Request rates, latency percentiles and error rates of the REST API (RED).", ["api"], [
  row("Service level"),
  stat("Requests / s", `sum(service:aps_http_requests:rate5m{${ENV},service="api"})`, { unit: "reqps" }),
  stat("Error ratio", `max(service:aps_http_request_errors:ratio_rate5m{${ENV},service="api"})`, { unit: "percentunit", thresholds: ERR }),
  stat("p95 latency", `max(service:aps_http_request_duration_seconds:p95_5m{${ENV},service="api"})`, { unit: "s", thresholds: P95 }),
  stat("In flight", `sum(aps_http_in_flight{${ENV},service="api"})`, { unit: "short" }),
  ts("Latency p50 / p95", [[`service:aps_http_request_duration_seconds:p50_5m{${ENV},service="api"}`, "p50 {{environment}}"], [`service:aps_http_request_duration_seconds:p95_5m{${ENV},service="api"}`, "p95 {{environment}}"]], { unit: "s", thresholds: P95, w: 12 }),
  ts("Errors by status", `sum by (status) (route:aps_http_requests:rate5m{${ENV},service="api",status=~"[45].."})`, { unit: "reqps", legend: "{{status}}", w: 12 }),
  row("By route"),
  ts("p95 by route", `topk(10, route:aps_http_request_duration_seconds:p95_5m{${ENV},service="api"})`, { unit: "s", legend: "{{route}}", thresholds: P95, w: 12 }),
  ts("Requests by route", `topk(10, sum by (route) (route:aps_http_requests:rate5m{${ENV},service="api"}))`, { unit: "reqps", legend: "{{route}}", w: 12 }),
  ts("Requests per instance (autoscaling: 1000 rps)", `instance:aps_http_requests:rate1m{${ENV},service="api"}`, { unit: "reqps", legend: "{{instance}}", thresholds: [["green", null], ["red", 1000]] }),
  ts("Response cache hit ratio", `sum(rate(aps_http_cache_hits_total{${ENV},service="api"}[5m])) / (sum(rate(aps_http_cache_hits_total{${ENV},service="api"}[5m])) + sum(rate(aps_http_cache_misses_total{${ENV},service="api"}[5m])))`, { unit: "percentunit", min: 0, max: 1 }),
  ts("Requests by caller role", `role:aps_http_requests:rate5m{${ENV}}`, { unit: "reqps", legend: "{{role}}" }),
]));

boards.push(dashboard("aps-ml-pipeline", "ML Pipeline: training, inference, model accuracy",
  "Production models, their calibration, training runs and inference latency.", ["ml"], [
  row("Production models"),
  table("Production models", `max by (sport, market, family, version) (aps_model_info{${SPORT}})`, { unit: "short", w: 12 }),
  bars("Calibration (ECE, goal 0.02)", `max by (sport, market) (aps_model_ece{${SPORT}})`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: ECE, min: 0, max: 0.1, w: 12 }),
  bars("Walk-forward log-loss", `max by (sport, market) (aps_model_log_loss{${SPORT}})`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["green", null], ["red", 0.6931]], w: 12 }),
  ts("Rolling log-loss of graded picks", `sport_market:aps_picks_log_loss:30d{${SPORT}}`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["green", null], ["red", 0.6931]], w: 12 }),
  row("Training"),
  table("Training runs by status", `max by (sport, market, status) (aps_training_runs{${SPORT}})`, { unit: "short", w: 12 }),
  bars("Since last successful training", `time() - max by (sport, market) (aps_training_last_success_timestamp_seconds{${SPORT}})`, { unit: "s", legend: "{{sport}} {{market}}", thresholds: [["green", null], ["red", 691200]], w: 12 }),
  ts("Training duration (mean per run)", `sum by (sport, mode) (increase(aps_training_duration_seconds_sum{${SPORT}}[1d])) / sum by (sport, mode) (increase(aps_training_duration_seconds_count{${SPORT}}[1d]))`, { unit: "s", legend: "{{sport}} {{mode}}", w: 12 }),
  ts("Training outcomes", `sum by (sport, outcome) (increase(aps_training_duration_seconds_count{${SPORT}}[1d]))`, { unit: "short", legend: "{{sport}} {{outcome}}", w: 12 }),
  row("Inference"),
  ts("Inference p95 per game and market", `sport_market:aps_model_inference_duration_seconds:p95_1h{${SPORT}}`, { unit: "s", legend: "{{sport}} {{market}}", w: 12 }),
  ts("Predictions per model kind", `sum by (model) (rate(aps_model_inference_duration_seconds_count{${SPORT}}[1h]))`, { unit: "ops", legend: "{{model}}", w: 12 }),
]));

boards.push(dashboard("aps-database-health", "Database Health: connections, queries, replication",
  "PostgreSQL (postgres_exporter), the services' store pools and Redis (redis_exporter).", ["database"], [
  row("PostgreSQL"),
  stat("PostgreSQL up", `min(pg_up{${ENV}})`, { unit: "short", thresholds: [["red", null], ["green", 1]] }),
  stat("Connections used", `sum(pg_stat_activity_count{${ENV}}) / max(pg_settings_max_connections{${ENV}})`, { unit: "percentunit", thresholds: [["green", null], ["orange", 0.6], ["red", 0.8]] }),
  stat("Replication lag", `max(pg_stat_replication_pg_wal_lsn_diff{${ENV}}) or vector(0)`, { unit: "bytes", thresholds: [["green", null], ["red", 67108864]] }),
  stat("Database size", `sum(pg_database_size_bytes{${ENV},datname!~"template.*|postgres"})`, { unit: "bytes" }),
  ts("Connections by state", `sum by (instance, state) (pg_stat_activity_count{${ENV}})`, { unit: "short", legend: "{{instance}} {{state}}" }),
  ts("Transactions", [[`sum by (instance) (rate(pg_stat_database_xact_commit{${ENV}}[5m]))`, "{{instance}} commits"], [`sum by (instance) (rate(pg_stat_database_xact_rollback{${ENV}}[5m]))`, "{{instance}} rollbacks"]], { unit: "ops" }),
  ts("Buffer cache hit ratio", `sum by (instance) (rate(pg_stat_database_blks_hit{${ENV}}[5m])) / (sum by (instance) (rate(pg_stat_database_blks_hit{${ENV}}[5m])) + sum by (instance) (rate(pg_stat_database_blks_read{${ENV}}[5m])))`, { unit: "percentunit", min: 0, max: 1, thresholds: [["red", null], ["green", 0.95]] }),
  ts("Replication lag by replica", `pg_stat_replication_pg_wal_lsn_diff{${ENV}}`, { unit: "bytes", legend: "{{application_name}}", thresholds: [["green", null], ["red", 67108864]] }),
  ts("Rows read and written", [[`sum by (instance) (rate(pg_stat_database_tup_fetched{${ENV}}[5m]))`, "{{instance}} fetched"], [`sum by (instance) (rate(pg_stat_database_tup_inserted{${ENV}}[5m]) + rate(pg_stat_database_tup_updated{${ENV}}[5m]) + rate(pg_stat_database_tup_deleted{${ENV}}[5m]))`, "{{instance}} written"]], { unit: "ops" }),
  ts("Deadlocks", `sum by (instance) (increase(pg_stat_database_deadlocks{${ENV}}[1h]))`, { unit: "short", legend: "{{instance}}" }),
  row("Service pools"),
  ts("Store pool utilisation", `instance:aps_db_pool:utilisation_ratio{${SVC}}`, { unit: "percentunit", legend: "{{service}} {{instance}}", min: 0, max: 1, thresholds: [["green", null], ["red", 0.9]] }),
  ts("Pool checkouts and timeouts", [[`sum by (service) (rate(aps_db_pool_acquired_total{${SVC}}[5m]))`, "{{service}} checkouts"], [`sum by (service) (rate(aps_db_pool_timeouts_total{${SVC}}[5m]))`, "{{service}} timeouts"]], { unit: "ops" }),
  ts("Connections open", `sum by (service, instance) (aps_db_pool_open{${SVC}})`, { unit: "short", legend: "{{service}} {{instance}}" }),
  row("Redis"),
  stat("Redis up", `min(redis_up{${ENV}})`, { unit: "short", thresholds: [["red", null], ["green", 1]] }),
  ts("Redis memory", `sum by (instance) (redis_memory_used_bytes{${ENV}})`, { unit: "bytes", legend: "{{instance}}", w: 6 }),
  ts("Redis clients", `sum by (instance) (redis_connected_clients{${ENV}})`, { unit: "short", legend: "{{instance}}", w: 6 }),
  ts("Redis hit ratio", `sum(rate(redis_keyspace_hits_total{${ENV}}[5m])) / (sum(rate(redis_keyspace_hits_total{${ENV}}[5m])) + sum(rate(redis_keyspace_misses_total{${ENV}}[5m])))`, { unit: "percentunit", min: 0, max: 1, w: 6 }),
]));

boards.push(dashboard("aps-prediction-performance", "Prediction Performance: accuracy, CLV, ROI by sport",
  "Graded picks over a rolling window: hit rate, log-loss, Brier, closing-line value and ROI per sport, market and tier.", ["predictions"], [
  row("By sport (all tiers)"),
  bars("Hit rate", `max by (sport, market) (aps_picks_hit_ratio{${SPORT},tier="all",window="$window"})`, { unit: "percentunit", legend: "{{sport}} {{market}}", min: 0, max: 1, thresholds: [["red", null], ["orange", 0.5], ["green", 0.55]] }),
  bars("Log-loss", `max by (sport, market) (aps_picks_log_loss{${SPORT},tier="all",window="$window"})`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["green", null], ["red", 0.6931]] }),
  bars("Brier score", `max by (sport, market) (aps_picks_brier_score{${SPORT},tier="all",window="$window"})`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["green", null], ["red", 0.25]] }),
  bars("Mean CLV", `max by (sport, market) (aps_picks_clv_mean{${SPORT},tier="all",window="$window"})`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["red", null], ["green", 0]] }),
  bars("Share of picks beating the close", `max by (sport, market) (aps_picks_clv_positive_ratio{${SPORT},tier="all",window="$window"})`, { unit: "percentunit", legend: "{{sport}} {{market}}", min: 0, max: 1, thresholds: [["red", null], ["green", 0.5]] }),
  bars("ROI of staked picks", `max by (sport, market) (aps_picks_roi_ratio{${SPORT},tier="all",window="$window"})`, { unit: "percentunit", legend: "{{sport}} {{market}}", thresholds: [["red", null], ["green", 0]] }),
  row("Trends"),
  ts("CLV tracking", `sport_market:aps_picks_clv_mean:30d{${SPORT}}`, { unit: "none", legend: "{{sport}} {{market}}", thresholds: [["red", null], ["green", 0]], w: 12 }),
  ts("ROI tracking", `sport_market:aps_picks_roi:30d{${SPORT}}`, { unit: "percentunit", legend: "{{sport}} {{market}}", w: 12 }),
  row("By tier"),
  table("Tiers", [[`max by (sport, market, tier) (aps_picks_window_graded{${SPORT},tier!="all",window="$window"})`, "graded"], [`max by (sport, market, tier) (aps_picks_hit_ratio{${SPORT},tier!="all",window="$window"})`, "hit rate"], [`max by (sport, market, tier) (aps_picks_roi_ratio{${SPORT},tier!="all",window="$window"})`, "ROI"]], { unit: "short" }),
  ts("Graded picks by result", `sum by (sport, result) (max without (instance, service) (aps_picks_graded{${SPORT}}))`, { unit: "short", legend: "{{sport}} {{result}}", w: 24, description: "Current picks (one per game and market) graded, as the track record counts them." }),
], [windowVar]));

boards.push(dashboard("aps-betting-analytics", "Betting Analytics: volume, edge, bankroll growth",
  "Picks added and staked, the edge distribution of new picks, users' bets and tracked bankrolls.", ["betting"], [
  row("Volume"),
  ts("Picks added per hour", `sum by (sport, tier) (delta(max without (instance, service) (aps_picks_current{${SPORT}})[1h:]))`, { unit: "short", legend: "{{sport}} {{tier}}", w: 12, description: "Net change of the current picks (one per game and market; a re-made pick replaces the one before, and moves it between tiers when its tier changes)." }),
  ts("Kelly stake added per hour (bankroll fraction)", `sum by (sport) (delta(max without (instance, service) (aps_picks_current_stake_fraction{${SPORT}})[1h:]))`, { unit: "percentunit", legend: "{{sport}}", w: 12, description: "Net change of the Kelly stakes of the current picks." }),
  row("Edge"),
  heat("Edge distribution of published picks", `sum by (le) (increase(aps_pick_edge_ratio_bucket{${SPORT}}[$__rate_interval]))`, { unit: "percentunit", w: 12 }),
  ts("Median edge", `sport:aps_pick_edge_ratio:p50_1d{${SPORT}}`, { unit: "percentunit", legend: "{{sport}}", w: 12 }),
  row("Bankrolls and bets"),
  stat("Tracked bankroll balance", `sum by (currency) (max without (instance, service) (aps_bankroll_balance{${ENV}}))`, { unit: "short", legend: "{{currency}}" }),
  stat("Bankroll growth", `sum by (currency) (max without (instance, service) (aps_bankroll_balance{${ENV}})) / sum by (currency) (max without (instance, service) (aps_bankroll_initial_balance{${ENV}})) - 1`, { unit: "percentunit", legend: "{{currency}}", thresholds: [["red", null], ["green", 0]] }),
  stat("Active bankrolls", `sum(max without (instance, service) (aps_bankrolls_active{${ENV}}))`, { unit: "short" }),
  stat("Bets pending", `sum(max without (instance, service) (aps_bets{${ENV},result="pending"})) or vector(0)`, { unit: "short" }),
  ts("Bankroll balance", `sum by (currency) (max without (instance, service) (aps_bankroll_balance{${ENV}}))`, { unit: "short", legend: "{{currency}}", w: 12 }),
  ts("Stakes of bets by result", `sum by (currency, result) (max without (instance, service) (aps_bets_stake{${ENV}}))`, { unit: "short", legend: "{{currency}} {{result}}", w: 12 }),
], []));

boards.push(dashboard("aps-data-quality", "Data Quality: freshness, completeness, anomalies",
  "Age of the newest odds per sport, provider health and quota, collector anomalies and the data-quality checks.", ["data"], [
  row("Freshness"),
  bars("Odds age: since the last successful odds poll", `sport:aps_odds_poll_age_seconds:min{${SPORT}}`, { unit: "s", legend: "{{sport}}", thresholds: [["green", null], ["red", 600]], description: "OddsDataStale fires above 600 s while the sport has upcoming games with odds." }),
  bars("Since the last price change (upcoming games)", `time() - max by (sport) (aps_odds_last_update_timestamp_seconds{${SPORT}})`, { unit: "s", legend: "{{sport}}", description: "Odds are stored change-only: a quiet market is not a stale one." }),
  bars("Since last successful poll, by provider", `time() - max by (provider, sport) (aps_collector_last_success_timestamp_seconds{${ENV}})`, { unit: "s", legend: "{{provider}} {{sport}}", thresholds: [["green", null], ["red", 600]], w: 6 }),
  stat("Upcoming games with odds", `sum(max by (sport) (aps_odds_upcoming_games{${SPORT}}))`, { unit: "short", w: 2 }),
  row("Providers"),
  ts("Provider failures", `sum by (provider, kind) (rate(aps_collector_failures_total{${ENV}}[15m]))`, { unit: "ops", legend: "{{provider}} {{kind}}" }),
  ts("Provider requests by outcome", `sum by (provider, outcome) (rate(aps_collector_requests_total{${ENV}}[15m]))`, { unit: "ops", legend: "{{provider}} {{outcome}}" }),
  ts("Circuit breakers open", `max by (provider) (aps_collector_circuit_open{${ENV}})`, { unit: "short", legend: "{{provider}}", min: 0, max: 1 }),
  gauge("TheOddsAPI credits left", `min(aps_provider_quota_remaining{${ENV},provider="theoddsapi"} / (aps_provider_quota_remaining{${ENV},provider="theoddsapi"} + aps_provider_quota_used{${ENV},provider="theoddsapi"}))`, { unit: "percentunit", min: 0, max: 1, thresholds: [["red", null], ["orange", 0.1], ["green", 0.25]] }),
  ts("Collector retries", `sum by (provider) (rate(aps_collector_retries_total{${ENV}}[15m]))`, { unit: "ops", legend: "{{provider}}", w: 9 }),
  ts("Records by result (rejected = anomalies)", `sum by (provider, result) (rate(aps_collector_records_total{${ENV}}[15m]))`, { unit: "ops", legend: "{{provider}} {{result}}", w: 9 }),
  row("Checks"),
  table("Data-quality checks", [[`max by (check) (aps_data_quality_passed{${ENV}})`, "passed"], [`max by (check) (aps_data_quality_score{${ENV}})`, "score"], [`max by (check) (aps_data_quality_failed_records{${ENV}})`, "failed"], [`max by (check) (aps_data_quality_checked_records{${ENV}})`, "checked"], [`time() - max by (check) (aps_data_quality_last_run_timestamp_seconds{${ENV}})`, "age"]], { unit: "short" }),
]));

boards.push(dashboard("aps-alert-overview", "Alert Overview: what is firing, what was, what is acknowledged",
  "Active alerts from Prometheus, their history, Alertmanager notifications and silences, and the platform's own alerts.", ["alerts"], [
  row("Now"),
  stat("Critical firing", `count(ALERTS{alertstate="firing",severity="critical",${ENV}}) or vector(0)`, { unit: "short", thresholds: [["green", null], ["red", 1]] }),
  stat("Warnings firing", `count(ALERTS{alertstate="firing",severity="warning",${ENV}}) or vector(0)`, { unit: "short", thresholds: [["green", null], ["orange", 1]] }),
  stat("Silences active (acknowledged)", `sum(alertmanager_silences{state="active"}) or vector(0)`, { unit: "short" }),
  stat("Platform alerts unacknowledged", `sum(max without (instance, service) (aps_alerts_unacknowledged{${ENV}}))`, { unit: "short", thresholds: [["green", null], ["orange", 1]] }),
  table("Firing alerts", `max by (alertname, severity, service, environment) (ALERTS{alertstate="firing",${ENV}})`, { unit: "short" }),
  row("History"),
  ts("Alerts firing over time", `count by (alertname) (ALERTS{alertstate="firing",${ENV}})`, { unit: "short", legend: "{{alertname}}", w: 12 }),
  ts("Notifications sent and failed", [[`sum by (integration) (rate(alertmanager_notifications_total[15m]))`, "{{integration}} sent"], [`sum by (integration) (rate(alertmanager_notifications_failed_total[15m]))`, "{{integration}} failed"]], { unit: "ops", w: 12 }),
  ts("Alerts received by Alertmanager", `sum by (state) (alertmanager_alerts)`, { unit: "short", legend: "{{state}}", w: 12 }),
  ts("Platform alerts unacknowledged by severity", `max by (severity) (aps_alerts_unacknowledged{${ENV}})`, { unit: "short", legend: "{{severity}}", w: 12 }),
]));

boards.push(dashboard("aps-business-metrics", "Business Metrics: users, engagement, API usage",
  "Accounts, sign-ups and logins, API keys, requests by role, and the paid roles as the revenue indicator.", ["business"], [
  row("Users"),
  stat("Active users", `sum(max without (instance, service) (aps_users{${ENV}}))`, { unit: "short" }),
  stat("Paying users (pro, analyst)", `sum(max without (instance, service) (aps_users{${ENV},role=~"pro|analyst"}))`, { unit: "short" }),
  stat("Active API keys", `max(aps_api_keys_active{${ENV}})`, { unit: "short" }),
  stat("Sign-ups today", `sum(increase(aps_auth_events_total{${ENV},action="register",outcome="success"}[1d]))`, { unit: "short" }),
  ts("Users by role", `max by (role) (aps_users{${ENV}})`, { unit: "short", legend: "{{role}}", w: 12 }),
  ts("Account events", `sum by (action, outcome) (increase(aps_auth_events_total{${ENV}}[1h]))`, { unit: "short", legend: "{{action}} {{outcome}}", w: 12 }),
  row("API usage"),
  ts("Requests by role", `role:aps_http_requests:rate5m{${ENV}}`, { unit: "reqps", legend: "{{role}}", w: 12 }),
  ts("Prediction reads", `sum by (route) (route:aps_http_requests:rate5m{${ENV},route=~"/api/v1/predictions.*"})`, { unit: "reqps", legend: "{{route}}", w: 12 }),
  ts("Bets tracked by result", `sum by (result) (max without (instance, service) (aps_bets{${ENV}}))`, { unit: "short", legend: "{{result}}", w: 12 }),
  ts("Picks added per day", `sum by (sport) (delta(max without (instance, service) (aps_picks_current{${SPORT}})[1d:]))`, { unit: "short", legend: "{{sport}}", w: 12, description: "Games and markets newly picked (current picks, one per game and market)." }),
]));

boards.push(dashboard("aps-infrastructure-costs", "Infrastructure Costs: utilisation and scaling",
  "What the platform consumes: instances per service (scaling events), CPU and memory by service, GPU use, training hours and paid API credits.", ["costs"], [
  row("Scaling"),
  ts("Instances per service", `count by (service) (up{${SVC}} == 1)`, { unit: "short", legend: "{{service}}", w: 12, description: "Steps are scaling events (seed §3.2: api 3-10, workers 2-5)." }),
  ts("Queue depth (worker scaling at 1000)", `environment:aps_queue_depth_ready:max{${ENV}}`, { unit: "short", legend: "{{environment}}", thresholds: [["green", null], ["red", 1000]], w: 12 }),
  row("Utilisation"),
  ts("CPU cores by service", `sum by (service) (rate(process_cpu_seconds_total{${SVC}}[5m]))`, { unit: "short", legend: "{{service}}" }),
  ts("Memory by service", `sum by (service) (process_resident_memory_bytes{${SVC}})`, { unit: "bytes", legend: "{{service}}" }),
  ts("Machine CPU", `instance:node_cpu_utilisation:ratio{${ENV}}`, { unit: "percentunit", legend: "{{instance}}", min: 0, max: 1 }),
  ts("GPU utilisation", `avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL{${ENV}})`, { unit: "percent", legend: "{{Hostname}} {{gpu}}", min: 0, max: 100 }),
  ts("Training hours per day", `sum by (sport) (increase(aps_training_duration_seconds_sum{${ENV}}[1d])) / 3600`, { unit: "h", legend: "{{sport}}" }),
  ts("TheOddsAPI credits used", `max by (environment) (aps_provider_quota_used{${ENV},provider="theoddsapi"})`, { unit: "short", legend: "{{environment}}" }),
  ts("Disk used", `sum by (instance) (node_filesystem_size_bytes{${ENV},fstype!~"tmpfs|overlay|squashfs"} - node_filesystem_avail_bytes{${ENV},fstype!~"tmpfs|overlay|squashfs"})`, { unit: "bytes", legend: "{{instance}}", w: 12 }),
  ts("Open file descriptors by service", `sum by (service) (process_open_fds{${SVC}})`, { unit: "short", legend: "{{service}}", w: 12 }),
]));

for (const b of boards) {
  const file = join(outDir, `${b.uid.replace(/^aps-/, "")}.json`);
  writeFileSync(file, JSON.stringify(b, null, 2) + "\n");
}
console.log(`${boards.length} dashboards written`);
