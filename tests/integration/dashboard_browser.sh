#!/usr/bin/env bash
# The web dashboard in a real browser (Debian's chromium driven by playwright-core, axe-core for
# accessibility): `aps serve` on SQLite with one NBA season of real history and the mock
# providers (tests/mock) producing live picks (lib/dashboard.sh). web/dashboard/test/browser.mjs
# signs up, signs in, sees today's picks, opens a game (odds chart, explanation), opens a bankroll
# and places a bet from a pick, sees the balance change, settles the bet by hand with Settle,
# then — after the mock's clock has run the games to the end and the picks are graded — opens
# the track record and its reliability diagram; an admin changes a run-time setting, and sees the
# Backtests page go and come back with the `backtests` feature flag. Screenshots go to
# $DASHBOARD_SHOTS (default build/dashboard-shots, not committed); the first render time of the
# picks page and the bundle size are printed.
set -uo pipefail
# shellcheck source=lib/dashboard.sh
. "$(dirname "$0")/lib/dashboard.sh"
dashboard_run browser.mjs
