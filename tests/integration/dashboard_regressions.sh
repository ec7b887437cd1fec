#!/usr/bin/env bash
# Regressions of the web dashboard in a real browser, on the platform of dashboard_browser.sh
# (lib/dashboard.sh): web/dashboard/test/regressions.mjs pins, one block each, tabs of one
# session renewing it once (no false token theft), a renewal refused for a while (503, 429)
# keeping the session, and sign-out with the newest refresh token.
set -uo pipefail
# shellcheck source=lib/dashboard.sh
. "$(dirname "$0")/lib/dashboard.sh"
dashboard_run regressions.mjs
