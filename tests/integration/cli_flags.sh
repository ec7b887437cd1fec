#!/usr/bin/env bash
# cli_flags.sh — the flag parsing of every `aps` command: each case runs the binary on a fresh,
# empty SQLite store with no Redis and compares the exit code, the first line of stderr and the
# md5 of stdout and of stderr with the values written below (help texts, every error message of
# a missing value, an unknown option, a bad number or word, an option given twice, and runs
# that parse and reach the command's work on the empty store). `cli_flags.sh --record` prints
# the table for the current binary instead of comparing, to paste below after a deliberate
# change of output.
# Needs: APS_BIN, md5sum.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
command -v md5sum > /dev/null || { echo "FAIL: md5sum is not installed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL= APS_ENV=test
export DATABASE_URL="sqlite:///$work/aps.db" MODEL_OUTPUT_PATH="$work/models"
export APS_DATA_DIR=/nonexistent/aps-data BACKUP_DIR="$work/backups"
cd "$work" || exit 1
# The store the cases read: only the commands that set up a store create one (the others refuse
# a missing file, tests/integration/cli_missing_store.sh).
"$APS_BIN" migrate > /dev/null 2>&1 || { echo "FAIL: aps migrate"; exit 1; }

# One case: its arguments; prints "args|rc|stderr line 1|md5 stdout|md5 stderr".
run_case() {
  local args=$1 rc
  # shellcheck disable=SC2086 # the arguments are words split on spaces
  timeout 60 "$APS_BIN" $args > "$work/out" 2> "$work/err" < /dev/null
  rc=$?
  printf '%s|%s|%s|%s|%s\n' "$args" "$rc" "$(head -1 "$work/err" | tr '|' '/')" \
    "$(md5sum < "$work/out" | cut -c1-8)" "$(md5sum < "$work/err" | cut -c1-8)"
}

cases() { sed -n '/^# cases$/,/^# end$/p' "$self" | grep -v '^#' | cut -d'|' -f1; }
expected() { sed -n '/^# cases$/,/^# end$/p' "$self" | grep -v '^#'; }

if [ "${1:-}" == "--record" ]; then
  cases | while IFS= read -r c; do run_case "$c"; done
  exit 0
fi
pass=0 fail=0
while IFS= read -r want; do
  got=$(run_case "${want%%|*}")
  if [ "$got" == "$want" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: want $want"
    echo "       got $got"
  fi
done < <(expected)
echo "cli_flags: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
exit

# cases
api --help|0||09ac4153|d41d8cd9
api --host|2|aps api: --host needs a value|d41d8cd9|93de17ed
api --port|2|aps api: --port needs a value|d41d8cd9|d204072e
api --port 70000|2|aps api: bad port 70000|d41d8cd9|15b0a676
api --port x|2|aps api: bad port x|d41d8cd9|50a0eb7e
api --threads 0|2|aps api: bad thread count 0|d41d8cd9|856af52e
api --threads|2|aps api: --threads needs a value|d41d8cd9|c603c44d
api --bogus|2|aps api: unknown argument --bogus|d41d8cd9|7d63050e
api --bogus 1|2|aps api: unknown argument --bogus|d41d8cd9|7d63050e
api --openapi|0||7bc52146|d41d8cd9
api --openapi --bogus|2|aps api: unknown argument --bogus|d41d8cd9|7d63050e
backup --help|0||04857f1e|d41d8cd9
backup|2|usage: aps backup run/list/verify/prune|d41d8cd9|04857f1e
backup bogus|2|usage: aps backup run/list/verify/prune|d41d8cd9|04857f1e
restore --help|0||dfe8a7df|d41d8cd9
restore --to|2|aps restore: --to needs a value|d41d8cd9|c72014d1
restore --to x --from y|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
restore --port x|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
restore --bogus 1|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
restore --stop --bogus|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
restore --pg-path|2|aps restore: --pg-path needs a value|d41d8cd9|699acf81
collect --help|0||191c63d6|d41d8cd9
collect --sport|2|aps collect: --sport needs a value (see aps collect --help)|d41d8cd9|5b3baafe
collect --sport XX|2|aps collect: unknown sport XX|d41d8cd9|b48ddb72
collect --provider foo|2|aps collect: bad argument --provider (see aps collect --help)|d41d8cd9|ff454b3c
collect --provider|2|aps collect: --provider needs a value (see aps collect --help)|d41d8cd9|d7e379d0
collect --days 15|2|aps collect: --days takes 0..14|d41d8cd9|cbc34aa9
collect --days x|2|aps collect: --days takes 0..14|d41d8cd9|cbc34aa9
collect --now x|2|aps collect: bad --now x|d41d8cd9|7ac3d007
collect --bogus|2|aps collect: bad argument --bogus (see aps collect --help)|d41d8cd9|df04c673
collect odds extra|2|aps collect: bad argument extra (see aps collect --help)|d41d8cd9|6bb20764
collect --metrics --bogus 1|2|aps collect: bad argument --bogus (see aps collect --help)|d41d8cd9|df04c673
collect nosuchjob|2|aps collect: name a job: odds, scores, schedule, weather, closing, sports|d41d8cd9|4ea04f9d
config --help|0||ef69f4f0|d41d8cd9
config|2|usage: aps config print [--format table/json]|d41d8cd9|ef69f4f0
config bogus|2|aps config: unknown action 'bogus'|d41d8cd9|927c3bc3
config print --format|2|aps config print: --format needs a value|d41d8cd9|ee365c69
config print --format xml|2|aps config print: --format is table or json, not 'xml'|d41d8cd9|67c7581c
config print --format=xml|2|aps config print: --format is table or json, not 'xml'|d41d8cd9|67c7581c
config print --bogus|2|aps config print: unexpected argument '--bogus'|d41d8cd9|3de7f55e
config print --format json --bogus|2|aps config print: unexpected argument '--bogus'|d41d8cd9|3de7f55e
config print json|2|aps config print: unexpected argument 'json'|d41d8cd9|b6804022
config print --format --bogus|2|aps config print: --format is table or json, not '--bogus'|d41d8cd9|766056b1
config print --format=|2|aps config print: --format is table or json, not ''|d41d8cd9|5853d356
config print --format json --format|2|aps config print: --format needs a value|d41d8cd9|ee365c69
config print --format=json --bogus|2|aps config print: unexpected argument '--bogus'|d41d8cd9|3de7f55e
config print --bogus --format xml|2|aps config print: unexpected argument '--bogus'|d41d8cd9|3de7f55e
config get PORT|0||b0803a86|d41d8cd9
config get|2|usage: aps config print [--format table/json]|d41d8cd9|ef69f4f0
config get NOPE|2|aps config get: unknown setting 'NOPE'|d41d8cd9|c28907dd
elo --help|0||51463862|d41d8cd9
elo|2|usage: aps elo fit --sport CODE/all [--until YYYY-MM-DD]|d41d8cd9|51463862
elo bogus|2|aps elo: unknown action bogus (fit or ratings)|d41d8cd9|849948c5
elo fit --sport|2|aps elo: --sport needs a value|d41d8cd9|05d2cbd5
elo fit --sport XX|2|aps elo: --sport needs a sport code or all|d41d8cd9|9a20a703
elo fit --until 2020-13-45|2|aps elo: --until must be a date YYYY-MM-DD|d41d8cd9|bdc25af2
elo fit --date 2020-01-01|2|aps elo: bad argument --date|d41d8cd9|0c5847d1
elo ratings --until 2020-01-01|2|aps elo: bad argument --until|d41d8cd9|3ac1a7e3
elo ratings --date bad|2|aps elo: --date must be a date YYYY-MM-DD|d41d8cd9|aef48054
elo ratings --bogus 1|2|aps elo: bad argument --bogus|d41d8cd9|40af4885
elo ratings --sport EPL --date 2020-01-01|0||fb6a26c6|d41d8cd9
flags --help|0||27031bb3|d41d8cd9
flags list --bogus|2|aps flags: bad argument --bogus (see aps flags --help)|d41d8cd9|8e32761f
health --help|0||91b16edd|d41d8cd9
health --timeout 0|2|aps health: --timeout takes 1 to 600 seconds|d41d8cd9|ccb1af4a
health --timeout|2|aps health: --timeout needs a value|d41d8cd9|ff601384
health --timeout x|2|aps health: --timeout takes 1 to 600 seconds|d41d8cd9|ccb1af4a
health --url|2|aps health: --url needs a value|d41d8cd9|fe4bf345
health --bogus|2|usage: aps health [api/worker/scheduler] [--url URL] [--timeout SECONDS]|d41d8cd9|91b16edd
health nosuchrole|2|usage: aps health [api/worker/scheduler] [--url URL] [--timeout SECONDS]|d41d8cd9|91b16edd
health --url http://127.0.0.1:1/ --timeout 1|1|aps health: http://127.0.0.1:1/: Couldn't connect to server|d41d8cd9|727427cf
ingest --help|0||e6bf59e1|d41d8cd9
ingest|2|usage: aps ingest SOURCE PATH/URL...|d41d8cd9|e6bf59e1
ingest --format xml nba|2|aps ingest: --format must be table or json|d41d8cd9|b827f195
ingest --format|2|aps ingest: --format needs a value|d41d8cd9|e28839d1
ingest --bogus|2|aps ingest: unknown option --bogus|d41d8cd9|d64cb39f
ingest --quiet|2|usage: aps ingest SOURCE PATH/URL...|d41d8cd9|e6bf59e1
ingest nosuchsource|2|aps ingest: unknown source 'nosuchsource' (see aps ingest --help)|d41d8cd9|1a9cb34a
ingest --quiet --format json all|1|aps ingest: data directory /nonexistent/aps-data not found (set APS_DATA_DIR)|d41d8cd9|0d04c1f1
ingest --jobs x all|2|aps ingest: --jobs must be a number from 1 to 8|d41d8cd9|fe07d27f
ingest --jobs 0 all|2|aps ingest: --jobs must be a number from 1 to 8|d41d8cd9|fe07d27f
ingest --jobs 9 all|2|aps ingest: --jobs must be a number from 1 to 8|d41d8cd9|fe07d27f
ingest --jobs|2|aps ingest: --jobs needs a value|d41d8cd9|757c4811
migrate --help|0||6f0da625|d41d8cd9
migrate --since|2|aps migrate: --since needs a value|d41d8cd9|e774e41a
migrate --since x|2|aps migrate: --since wants a migration version|d41d8cd9|622a8276
migrate --since -1|2|aps migrate: --since wants a migration version|d41d8cd9|622a8276
migrate --replay|2|aps migrate: --replay needs a value|d41d8cd9|548f1286
migrate --bogus|2|aps migrate: unknown argument --bogus|d41d8cd9|0796d2eb
migrate --status|0||3955c38c|d41d8cd9
models --help|0||8b96a52f|d41d8cd9
models|2|usage: aps models list [--sport CODE]|d41d8cd9|8b96a52f
models bogus|2|aps models: unknown subcommand bogus|d41d8cd9|484564d1
models show|2|aps models show: NAME is required|d41d8cd9|e36f2355
models show a b|2|aps models show: one NAME, not 'b' after it|d41d8cd9|f992fbb8
models list --bogus|2|aps models list: unknown option --bogus|d41d8cd9|a35ed751
models list --sport EPL|0||2f72df61|d41d8cd9
models list --sport xx|2|aps models list: unknown sport xx|d41d8cd9|3a54253e
predict --model m --sport xyz --from 2024-01-01|2|aps predict: unknown sport xyz|d41d8cd9|8dd3b670
models prune --days 0|2|aps models prune: want --days N (N >= 1)|d41d8cd9|843c65a0
models prune --days|2|aps models prune: --days needs a value|d41d8cd9|d8f951e3
models prune --bogus 1|2|aps models prune: want --days N (N >= 1)|d41d8cd9|843c65a0
models explain nosuch --game x|2|aps models explain: bad option --game x (a game id, 1 or more)|d41d8cd9|644d67d1
models explain nosuch --top 0|2|aps models explain: bad option --top 0|d41d8cd9|a303a407
models explain nosuch --bogus 1|2|aps models explain: bad option --bogus|d41d8cd9|5320b513
predict --model|2|aps predict: --model needs a value|d41d8cd9|f8535ce7
predict --model m --market foo|2|aps predict: --market must be moneyline, spread or total|d41d8cd9|3a6efaf7
predict --model m --from 2020-1-1|2|aps predict: --from must be a date YYYY-MM-DD|d41d8cd9|285a66c8
predict --model m --to bad|2|aps predict: --to must be a date YYYY-MM-DD|d41d8cd9|7f2a1272
predict --model m --format xml|2|aps predict: --format must be csv or json|d41d8cd9|a72ffc62
predict --model m --bogus 1|2|aps predict: unknown option --bogus with --model (see --help)|d41d8cd9|cf3433ed
predict --model production|2|aps predict: --model production needs --sport CODE and --market M|d41d8cd9|7fc6c0fc
predict --model m --from 2021-01-01 --to 2020-01-01|2|aps predict: --from is after --to|d41d8cd9|a3759776
predict --model nosuch --format json|1|aps predict: no model nosuch|d41d8cd9|ed66e076
report --help|0||b7e1e0b8|d41d8cd9
report|2||b7e1e0b8|d41d8cd9
report bogus|2|usage: aps report models [--out FILE]|d41d8cd9|b7e1e0b8
report models --out|2|aps report models: --out needs a value|d41d8cd9|0cf3782b
report models --bogus|2|aps report models: unknown option --bogus|d41d8cd9|d31ceaf7
report models --bogus 1|2|aps report models: unknown option --bogus|d41d8cd9|d31ceaf7
scheduler --help|0||72aff6ca|d41d8cd9
scheduler --bogus|2|usage: aps scheduler [--once]|d41d8cd9|72aff6ca
scheduler --once extra|2|usage: aps scheduler [--once]|d41d8cd9|72aff6ca
scheduler tasks|0||3ab6aae7|d41d8cd9
secrets --help|0||8f5dad77|d41d8cd9
secrets|2|usage: aps secrets status / reseal / rotate jwt [--stage]|d41d8cd9|8f5dad77
secrets rotate jwt --bogus|2|usage: aps secrets status / reseal / rotate jwt [--stage]|d41d8cd9|8f5dad77
serve --help|0||f969ba42|d41d8cd9
serve --host|2|aps serve: --host needs a value (see --help)|d41d8cd9|d364f7df
serve --port 70000|2|aps serve: bad argument 70000 (see --help)|d41d8cd9|7de759d3
serve --threads 0|2|aps serve: bad argument 0 (see --help)|d41d8cd9|d7989f91
serve --worker-threads 999|2|aps serve: bad argument 999 (see --help)|d41d8cd9|d4b8914a
serve --bogus|2|aps serve: bad argument --bogus (see --help)|d41d8cd9|235fdcb1
stats --help|0||cdf5f985|d41d8cd9
stats --format|2|aps stats: --format needs a value (see aps stats --help)|d41d8cd9|e2730865
stats --format xml|2|aps stats: bad argument --format (see aps stats --help)|d41d8cd9|58c5a997
stats --bogus|2|aps stats: bad argument --bogus (see aps stats --help)|d41d8cd9|ddf37408
stats --bogus --help|2|aps stats: bad argument --bogus (see aps stats --help)|d41d8cd9|ddf37408
stats --help --bogus|0||cdf5f985|d41d8cd9
stats --format json|0||58e0494c|d41d8cd9
verify --help|0||4d338685|d41d8cd9
verify --bogus|2|aps verify: --bogus is not a lock-in hash (64 hexadecimal digits)|d41d8cd9|312a67fa
verify DEADBEEF|2|aps verify: DEADBEEF is not a lock-in hash (64 hexadecimal digits)|d41d8cd9|091c5161
grade --help|0||14d60ac7|d41d8cd9
worker --help|0||757368ab|d41d8cd9
worker --threads 0|2|aps worker: --threads takes 1..256|d41d8cd9|85235b4c
worker --threads|2|aps worker: --threads needs a value (see --help)|d41d8cd9|849b59b6
worker --port 70000|2|aps worker: bad port|d41d8cd9|d9aeef18
worker --port|2|aps worker: --port needs a value (see --help)|d41d8cd9|60bb5e9d
worker --bogus|2|aps worker: bad argument --bogus (see --help)|d41d8cd9|43ff68f6
worker jobs|0||ecc7a50c|d41d8cd9
worker enqueue|2|aps worker: no job named (none) (see aps worker jobs)|d41d8cd9|0ab4b85b
worker enqueue --count 0|2|aps worker: bad argument --count|d41d8cd9|f3606615
worker enqueue --delay-ms -1|2|aps worker: --delay-ms takes 0 to 2592000000 (30 days)|d41d8cd9|7514bbab
worker enqueue --payload|2|aps worker: --payload needs a value|d41d8cd9|4bed8ddf
worker enqueue nosuch|2|aps worker: no job named nosuch (see aps worker jobs)|d41d8cd9|1be536da
worker enqueue a b|2|aps worker: bad argument b|d41d8cd9|9c525723
worker enqueue --bogus 1|2|aps worker: bad argument --bogus|d41d8cd9|0bf7b556
worker enqueue predict --payload notjson|2|aps worker: payload is not JSON: '[' or '{' expected near 'notjson' (nothing enqueued)|d41d8cd9|833bb36a
worker enqueue predict --payload {"sport":"XXX"}|2|aps worker: unknown sport XXX (nothing enqueued)|d41d8cd9|771dc6b3
worker enqueue predict --payload {}|2|aps worker: predict needs a sport in its payload (nothing enqueued)|d41d8cd9|a0dbc574
worker enqueue noop --payload [1]|2|aps worker: payload must be a JSON object (nothing enqueued)|d41d8cd9|02eba82c
worker enqueue noop --payload {n} --count 2|2|aps worker: payload is not JSON: '[' or '{' expected near '1' with {n} replaced (nothing enqueued)|d41d8cd9|e133f108
worker dead|2|usage: aps worker [--threads N] [--port P] [--no-http]|d41d8cd9|757368ab
worker dead list --limit 0|2|aps worker: --limit takes 1..1000|d41d8cd9|5f859a06
worker dead list --offset -1|2|aps worker: --offset takes 0..1000000|d41d8cd9|ffbc6c13
worker dead list --limit|2|aps worker: --limit needs a value|d41d8cd9|56bc11d3
worker dead bogus|2|usage: aps worker [--threads N] [--port P] [--no-http]|d41d8cd9|757368ab
backtest --help|0||8f79419b|d41d8cd9
backtest --sport|2|aps backtest: --sport needs a value|d41d8cd9|d07e44be
backtest --bogus 1|2|aps backtest: unknown option --bogus|d41d8cd9|92d9ce0c
train --help|0||ae135bf3|d41d8cd9
train --bogus 1|2|aps train: unknown option --bogus|d41d8cd9|aa9adc2e
user --help|0||94f356b4|d41d8cd9
user create --bogus 1|2|aps user: bad argument --bogus (see aps user --help)|d41d8cd9|d8166dae
snapshot --help|0||99b9e542|d41d8cd9
snapshot --bogus 1|2|aps snapshot: bad argument --bogus (see aps snapshot --help)|d41d8cd9|4ec6cc59
predict --help|0||2b3f8a61|d41d8cd9
predict --bogus 1|2|aps predict: bad argument --bogus (see --help)|d41d8cd9|2e9eaf09
flags set --bogus 1|2|aps flags: no flag named '--bogus' (aps flags list shows them)|d41d8cd9|c5dfdcb1
--help|0||fadcafb1|d41d8cd9
help|0||fadcafb1|d41d8cd9
bogus|2|aps: unknown command 'bogus'|d41d8cd9|05ec91fb
train --market foo|2|aps train: --market must be moneyline, spread, total or all|d41d8cd9|aa2ec28a
train --until 2020-13-01|2|aps train: --until must be a date YYYY-MM-DD|d41d8cd9|a4a8cb41
train --seed -1|2|aps train: --seed must be a whole number >= 0|d41d8cd9|81c43cd4
train --preset nope|2|aps train: unknown preset nope|d41d8cd9|1ffdcfde
train --budget 0|2|aps train: --budget must be a whole number of seconds|d41d8cd9|2684011d
train --max-models 0|2|aps train: --max-models must be 1..10000|d41d8cd9|7eda278d
train --sport|2|aps train: --sport needs a value|d41d8cd9|17788a10
predict --model m --bogus|2|aps predict: unknown option --bogus with --model (see --help)|d41d8cd9|cf3433ed
models explain nosuch --game|2|aps models explain: --game needs a value|d41d8cd9|45e0e8ed
models list --sport|2|aps models list: --sport needs a value|d41d8cd9|ac644f60
scheduler --once --once|2|usage: aps scheduler [--once]|d41d8cd9|72aff6ca
worker dead list --limit 5 --limit 6|2|aps worker: --limit given twice|d41d8cd9|1c601b4d
worker dead list extra|2|usage: aps worker [--threads N] [--port P] [--no-http]|d41d8cd9|757368ab
secrets rotate jwt --stage --stage|2|usage: aps secrets status / reseal / rotate jwt [--stage]|d41d8cd9|8f5dad77
flags list --json --json|0||754cfba0|d41d8cd9
health api worker --timeout 2 --url|2|aps health: --url needs a value|d41d8cd9|fe4bf345
collect - odds|2|aps collect: bad argument - (see aps collect --help)|d41d8cd9|f735c099
ingest - x|2|aps ingest: unknown source '-' (see aps ingest --help)|d41d8cd9|34255da4
restore --to x --set y|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
backtest --sport EPL --bogus|2|aps backtest: unknown option --bogus|d41d8cd9|92d9ce0c
train --sport EPL --bogus|2|aps train: unknown option --bogus|d41d8cd9|aa9adc2e
train --sport WNBA|1|aps train: WNBA: no games in the store: nothing to train|d7a6134a|31231500
train --sport all --market total|0||a165b682|d41d8cd9
ingest football-data x.csv --jobs|2|aps ingest: --jobs needs a value|d41d8cd9|757c4811
models explain nosuch --game -1|2|aps models explain: bad option --game -1 (a game id, 1 or more)|d41d8cd9|c5030a95
models explain nosuch --game 0|2|aps models explain: bad option --game 0 (a game id, 1 or more)|d41d8cd9|9db2db78
backtest --sport EPL --bankroll 1e308|2|aps backtest: --bankroll must be a number above 0 and at most 1000000000000|d41d8cd9|eb7f429c
backtest --sport EPL --bankroll 0|2|aps backtest: --bankroll must be a number above 0 and at most 1000000000000|d41d8cd9|eb7f429c
flags set backtests on --roles admin --roles user|2|aps flags: --roles given twice (see aps flags --help)|d41d8cd9|0926dd64
flags set backtests on --users 1 --users 2|2|aps flags: --users given twice (see aps flags --help)|d41d8cd9|4b225072
elo ratings --sport EPL --sport NBA|2|aps elo: --sport given twice|d41d8cd9|a03b860e
train --sport EPL --sport NBA|2|aps train: --sport given twice|d41d8cd9|fb288439
backtest --sport EPL --format csv --format json|2|aps backtest: --format given twice|d41d8cd9|55714563
stats --format json --format table|2|aps stats: --format given twice (see aps stats --help)|d41d8cd9|3f557865
ingest --jobs 2 --jobs 3 all|2|aps ingest: --jobs given twice|d41d8cd9|123a698a
report models --out a.md --out b.md|2|aps report models: --out given twice|d41d8cd9|e3b04a3f
user role --email a@b.co --role admin --role user|2|aps user: --role given twice (see aps user --help)|d41d8cd9|87a00c6e
collect odds --sport NBA --sport NFL|2|aps collect: --sport given twice (see aps collect --help)|d41d8cd9|43108f7e
snapshot --load a.db --load b.db|2|aps snapshot: --load given twice (see aps snapshot --help)|d41d8cd9|50d82978
health --url http://127.0.0.1:1/ --url http://127.0.0.1:2/|2|aps health: --url given twice|d41d8cd9|1e1bc4f2
migrate --replay a.sql --replay b.sql|2|aps migrate: --replay given twice|d41d8cd9|aabad9bd
predict --sport EPL --sport NBA|2|aps predict: --sport given twice (see --help)|d41d8cd9|95671687
predict --model m --from 2020-01-01 --from 2021-01-01|2|aps predict: --from given twice|d41d8cd9|eb76dfe6
worker enqueue noop --count 1 --count 2|2|aps worker: --count given twice|d41d8cd9|472b41e0
restore --from a.db --from b.db|2|aps restore: --from given twice|d41d8cd9|87b1c74d
models explain nosuch --top 1 --top 2|2|aps models explain: --top given twice|d41d8cd9|b15d206a
user create --email a@b.co --role admin --password-file .|2|aps user: cannot read .: Is a directory|d41d8cd9|7757bc4e
backtest --sport EPL --bankroll 0x10|2|aps backtest: --bankroll must be a number above 0 and at most 1000000000000|d41d8cd9|eb7f429c
backtest --sport EPL --bankroll inf|2|aps backtest: --bankroll must be a number above 0 and at most 1000000000000|d41d8cd9|eb7f429c
backtest --sport EPL --bankroll 1e3x|2|aps backtest: --bankroll must be a number above 0 and at most 1000000000000|d41d8cd9|eb7f429c
backtest --sport EPL --bankroll 1e3 --burn-in 010|1|aps backtest: nothing to score: no EPL game dated the start .. the end after the 10 warm-up season(s)|d41d8cd9|e4a200ce
backtest --sport EPL --burn-in 0x5|2|aps backtest: --burn-in must be a whole number >= 0|d41d8cd9|e635c273
backtest --sport EPL --burn-in -1|2|aps backtest: --burn-in must be a whole number >= 0|d41d8cd9|e635c273
collect closing --now -5|2|aps collect: bad --now -5|d41d8cd9|aba77cba
collect closing --now 0x10|2|aps collect: bad --now 0x10|d41d8cd9|65da7fdd
collect closing --now 10x|2|aps collect: bad --now 10x|d41d8cd9|38bca48c
collect closing --now 1969-12-31T23:59:59Z|2|aps collect: bad --now 1969-12-31T23:59:59Z|d41d8cd9|37755b76
collect closing --now 1767225600|0||d41d8cd9|d41d8cd9
collect closing --now 2026-01-01T00:00:00Z|0||d41d8cd9|d41d8cd9
collect scores --days 0x1|2|aps collect: --days takes 0..14|d41d8cd9|cbc34aa9
api --port 0x50|2|aps api: bad port 0x50|d41d8cd9|8174b396
api --threads 1x|2|aps api: bad thread count 1x|d41d8cd9|97c3b642
serve --threads 0x2|2|aps serve: bad argument 0x2 (see --help)|d41d8cd9|da30b1af
worker --port -1|2|aps worker: bad port|d41d8cd9|d9aeef18
worker enqueue noop --delay-ms 0x10|2|aps worker: bad argument --delay-ms|d41d8cd9|9bf5f2f0
worker enqueue noop --count 1e2|2|aps worker: bad argument --count|d41d8cd9|f3606615
worker dead list --limit 0x10|2|aps worker: --limit takes 1..1000|d41d8cd9|5f859a06
worker dead list --offset +0x1|2|aps worker: --offset takes 0..1000000|d41d8cd9|ffbc6c13
worker dead requeue abc|2|aps worker: requeue 'abc': not a job id (a number, as dead list shows it; nothing done)|d41d8cd9|b5f61b97
worker dead drop 12x|2|aps worker: drop '12x': not a job id (a number, as dead list shows it; nothing done)|d41d8cd9|246712ef
worker dead requeue -1|2|aps worker: requeue '-1': not a job id (a number, as dead list shows it; nothing done)|d41d8cd9|8a4d70e8
health --timeout 0x5|2|aps health: --timeout takes 1 to 600 seconds|d41d8cd9|ccb1af4a
health --timeout -5|2|aps health: --timeout takes 1 to 600 seconds|d41d8cd9|ccb1af4a
ingest --jobs 0x2 all|2|aps ingest: --jobs must be a number from 1 to 8|d41d8cd9|fe07d27f
migrate --since 0x1|2|aps migrate: --since wants a migration version|d41d8cd9|622a8276
models explain nosuch --game 0x1|2|aps models explain: bad option --game 0x1 (a game id, 1 or more)|d41d8cd9|9358f5fe
models explain nosuch --top 0x1|2|aps models explain: bad option --top 0x1|d41d8cd9|adc4f813
models prune --days 0x1|2|aps models prune: want --days N (N >= 1)|d41d8cd9|843c65a0
models prune --days -1|2|aps models prune: want --days N (N >= 1)|d41d8cd9|843c65a0
predict --horizon-days 0x5|2|aps predict: --horizon-days must be 1..60|d41d8cd9|533d25f8
train --seed 0x1|2|aps train: --seed must be a whole number >= 0|d41d8cd9|81c43cd4
train --budget 0x1|2|aps train: --budget must be a whole number of seconds|d41d8cd9|2684011d
train --budget -5|2|aps train: --budget must be a whole number of seconds|d41d8cd9|2684011d
train --max-models 0x1|2|aps train: --max-models must be 1..10000|d41d8cd9|7eda278d
restore --port -5|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
restore --port 0x10|2|usage: aps restore [--to TIME / --set LABEL] --pg-path DIR --port N [--stop]|d41d8cd9|dfe8a7df
# end
