#!/usr/bin/env bash
# Regressions of the web dashboard in a real browser, on the platform of dashboard_browser.sh
# (lib/dashboard.sh): web/dashboard/test/regressions.mjs pins, one block each, tabs of one
# session renewing it once (no false token theft), a renewal refused for a while (503, 429)
# keeping the session, sign-out with the newest refresh token, lists with their total and every
# page (picks, bets, users, alerts, dead letters, settings, models), answers drawn in the order
# asked and none left after an error, every movement on the balance chart, a deep link kept at
# sign-in, the game page's message on odds without a recording time, a pruned model marked,
# unranked and not offered for promotion on the models page, and a Premier League match (three-way
# prices, a quarter-line handicap graded half won) and a tennis match read with their sides,
# lines, days and results as the API gives them, a handicap backtest's tallies counting every
# bet, half results offered only for a bet on a quarter line, and a pick's bet form filled in
# with the sizing's stake to the cent.
set -uo pipefail
# shellcheck source=lib/dashboard.sh
. "$(dirname "$0")/lib/dashboard.sh"
dashboard_run regressions.mjs
