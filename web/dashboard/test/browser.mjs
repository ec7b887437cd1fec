// The dashboard in Debian's chromium (playwright-core; no browser download): the story of
// tests/integration/dashboard_browser.sh, which starts the platform and passes BASE, MOCK,
// CLOCK_FILE, DB, SHOTS, ADMIN_EMAIL and ADMIN_PASSWORD. Prints one line per check and ends with
// "N passed, N failed"; exits 1 on any failure (harness.mjs).
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ADMIN_EMAIL, ADMIN_PASSWORD, BASE, CLOCK_FILE, MOCK, SHOTS, check, finish, launch, sleep, sql, waitFor } from "./harness.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const results = {};

let offset = 0;
async function advance(seconds) {
  await fetch(`${MOCK}/_control/advance?seconds=${seconds}`, { method: "POST" });
  offset += seconds;
  writeFileSync(CLOCK_FILE, String(offset));
}
async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(`${name}: no serious accessibility violation (axe-core)`, serious.length === 0,
    serious.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes[0]?.target}`).join("; "));
  results[`axe_${name}`] = { violations: r.violations.length, serious: serious.length };
}
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

const browser = await launch();
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "America/New_York" });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/401|409|404/.test(m.text())) errors.push(m.text()); });
  page.setDefaultTimeout(20000);

  // the page is served by the platform itself
  const res = await page.goto(`${BASE}/`);
  check("GET / serves the dashboard", res.status() === 200 && (await page.title()) === "AI PRO SPORTS");

  // register, then sign in
  const email = `bettor${Date.now()}@example.com`, password = "correct horse battery";
  await page.goto(`${BASE}/#/register`);
  await page.getByLabel("Name").fill("Bettor");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await shot(page, "01-register");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/#\/login/);
  check("registered", true);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await shot(page, "02-sign-in");
  await axe(page, "sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/#\/picks/);

  // today's picks from the live mock providers
  // "today" is the API's window: games starting in the next 24 hours. Picks keep being published
  // while the page loads and the list is cached for a few seconds, so the page must agree with a
  // store that did not move while it was read; a few reloads let it catch up.
  const storeToday = () => Number(sql("SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id" +
    " WHERE g.start_time >= CAST(strftime('%s', 'now') AS INTEGER) AND g.start_time < CAST(strftime('%s', 'now') AS INTEGER) + 86400"));
  let rows = 0, inStore0 = 0, inStore1 = 0;
  for (let i = 0; i < 8; i++) {
    if (i) { await sleep(1500); await page.reload(); }
    inStore0 = storeToday();
    await page.waitForSelector("table.picks tbody tr, main p:has-text('No picks')");
    rows = await page.locator("table.picks tbody tr").count();
    inStore1 = storeToday();
    if (rows > 0 && inStore0 === inStore1 && rows === Math.min(100, inStore1)) break;
  }
  check("today's picks shown", rows > 0 && inStore0 === inStore1 && rows === Math.min(100, inStore1),
    `${rows} rows, ${inStore0} → ${inStore1} starting in the next 24 hours in the store`);
  const hashShown = await page.locator("table.picks tbody tr code").first().getAttribute("title");
  check("a pick shows its lock-in hash", /^[0-9a-f]{64}$/.test(hashShown ?? ""));
  const bookShown = (await page.locator("table.picks tbody tr td:nth-child(6) small").first().textContent()) ?? "";
  const [bookName, bookKey] = sql(`SELECT s.name || '|' || s.key FROM predictions p JOIN sportsbooks s ON s.key = p.book WHERE p.hash = '${hashShown}'`).split("|");
  check("a pick names its book as the book calls itself, not by its key", bookShown === bookName && bookName !== bookKey,
    `shown "${bookShown}", in the store: name "${bookName}", key "${bookKey}"`);
  await page.getByLabel("Odds").selectOption("american");
  await page.waitForFunction(() => /[+-]\d{3}/.test(document.querySelector("table.picks tbody tr td:nth-child(6)")?.textContent ?? ""));
  check("American odds on request", true);
  await page.getByLabel("Odds").selectOption("decimal");
  // first render of the picks page: a fresh load until the table is drawn
  const renders = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    await page.reload();
    await page.waitForSelector("table.picks tbody tr");
    renders.push(Date.now() - t0);
  }
  renders.sort((a, b) => a - b);
  results.picks_first_render_ms = { median: renders[2], min: renders[0], max: renders[4], rows };
  check("picks page renders in under 1 s", renders[2] < 1000, `median ${renders[2]} ms over 5 loads (${renders.join(", ")})`);
  await shot(page, "03-picks");
  await axe(page, "picks");

  // a game: its odds chart and its explanation
  await page.locator("table.picks tbody tr td a").first().click();
  await page.waitForURL(/#\/game\/\d+/);
  await page.waitForSelector(".odds-chart .chart[data-drawn='1'] canvas");
  check("game page draws the odds chart", true);
  // current odds: a row per book, a column per market and side, one ★ per column; in a moneyline
  // column it sits on the highest price (decimal odds, the default)
  const gameId = page.url().match(/#\/game\/(\d+)/)[1];
  const grid = await page.locator("table:has(caption:text-is('Current odds'))").evaluate((t) => ({
    head: Array.from(t.tHead.rows[0].cells, (c) => c.textContent.trim()),
    rows: Array.from(t.tBodies[0].rows, (r) => Array.from(r.cells, (c) => ({ text: c.textContent.trim(), best: !!c.querySelector(".best") }))),
  }));
  const books = Number(sql(`SELECT COUNT(DISTINCT book_id) FROM odds WHERE game_id = ${gameId}`));
  const columns = grid.head.slice(1, -1).map((name, i) => ({ name, cells: grid.rows.map((r) => r[i + 1]).filter((c) => c.text !== "—") }));
  const priceOf = (c) => Number(c.text.replace("★", "").trim().split(" ").pop());
  const wrong = columns.filter((c) => c.cells.filter((x) => x.best).length !== 1 ||
    (c.name.startsWith("moneyline ") && priceOf(c.cells.find((x) => x.best)) !== Math.max(...c.cells.map(priceOf))));
  const away = (await page.locator("main h2").first().textContent()).split(" @ ")[0];
  check("game page: current odds one row per book, the away side's column first (as in \"away @ home\"), one ★ per column, on the best moneyline price",
    grid.rows.length === books && columns.length >= 2 && columns[0].name === `moneyline ${away}` && wrong.length === 0,
    `${grid.rows.length} rows for ${books} books, columns ${JSON.stringify(grid.head)}, wrong: ${JSON.stringify(wrong.map((c) => c.name))}`);
  await page.waitForSelector(".hbars li, .empty-explanation");
  const bars = await page.locator(".hbars li").count();
  const stored = sql("SELECT COUNT(*) FROM prediction_explanations");
  check("game page shows the explanation the API has", Number(stored) > 0 ? bars > 0 : (await page.locator(".empty-explanation").count()) === 1,
    `${bars} contribution bars, ${stored} explanation rows stored`);
  results.explanations_stored = Number(stored);
  await shot(page, "04-game");
  await axe(page, "game");

  // team ratings: the standings as the API ranks them, then a team's page from its link
  const apiGet = (path) => page.evaluate(async (p) => {
    const s = JSON.parse(sessionStorage.getItem("aps.session") ?? "{}");
    return (await fetch(p, { headers: { Authorization: `Bearer ${s.access}` } })).json();
  }, path);
  await page.locator('nav a[href="#/ratings"]').click();
  await page.locator("main select[name=sport]").selectOption("NBA");
  await page.waitForSelector("table.standings tbody tr");
  const standings = await apiGet("/api/v1/teams?sport=NBA&limit=100");
  const shownRanks = await page.locator("table.standings tbody tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent.trim()).slice(0, 3).join(" ")));
  const wantRanks = standings.items.map((t) => `${t.rank} ${t.team.name} ${t.rating.toFixed(1)}`);
  check("team ratings: the standings shown are the API's (rank, team, rating), best first", wantRanks.length > 0 && JSON.stringify(shownRanks) === JSON.stringify(wantRanks),
    `${JSON.stringify(shownRanks.slice(0, 3))} against ${JSON.stringify(wantRanks.slice(0, 3))}`);
  const seasonTeams = sql(`SELECT COUNT(*) FROM (SELECT g.home_team_id FROM games g JOIN seasons s ON s.id = g.season_id WHERE s.label = '${standings.season}' AND g.status = 'final' UNION SELECT g.away_team_id FROM games g JOIN seasons s ON s.id = g.season_id WHERE s.label = '${standings.season}' AND g.status = 'final')`);
  const ratingsCaption = await page.locator("table.standings caption").textContent();
  check("team ratings: every team with a final game of the season, the caption naming the season and its last game",
    standings.total === Number(seasonTeams) && ratingsCaption.includes(standings.season) && ratingsCaption.includes(standings.as_of),
    `${standings.total} teams against ${seasonTeams} in the store; caption "${ratingsCaption}"`);
  await shot(page, "05a-ratings");
  await axe(page, "ratings");
  await page.locator("table.standings tbody tr a").first().click();
  await page.waitForURL(/#\/team\/\d+/);
  await page.waitForSelector(".chart[data-drawn='1'] canvas");
  const teamRatings = await apiGet(`/api/v1/teams/${page.url().match(/#\/team\/(\d+)/)[1]}?games=100`);
  const teamRows = await page.locator("table.team-games tbody tr").evaluateAll((trs) => trs.map((tr) => tr.cells[0].textContent.trim()));
  const teamRating = await page.locator("[data-testid=team-rating]").textContent();
  check("a team's page: its rating, and its last games newest first, as the API gives them",
    teamRating === teamRatings.rating.toFixed(1) && teamRating === wantRanks[0].split(" ").pop() &&
    JSON.stringify(teamRows) === JSON.stringify(teamRatings.games.map((g) => g.date).reverse()),
    `${teamRating}, ${teamRows.length} rows against ${teamRatings.games.length} games`);
  await shot(page, "05b-team");
  await axe(page, "team");

  // a bankroll, then a bet from a pick with the suggested stake
  await page.goto(`${BASE}/#/bankroll`);
  await page.getByRole("button", { name: "Open bankroll" }).click();
  await page.waitForSelector("[data-testid=balance]");
  const before = await page.locator("[data-testid=balance]").textContent();
  check("bankroll opened", /1,000\.00/.test(before ?? ""), before ?? "");
  await page.goto(`${BASE}/#/picks`);
  await page.waitForSelector("table.picks tbody tr button[data-pick]");
  await page.locator("table.picks tbody tr button[data-pick]").first().click();
  const stakeInput = page.locator(".bet-form input[name=stake]");
  await page.waitForFunction(() => !/Sizing/.test(document.querySelector(".bet-form .status")?.textContent ?? "Sizing"));
  if (!(await stakeInput.inputValue())) await stakeInput.fill("25");
  const stake = await stakeInput.inputValue();
  await page.getByRole("button", { name: "Place bet" }).click();
  await page.waitForSelector(".bet-form .status.ok");
  check("bet placed from a pick", true, `stake ${stake}`);
  await shot(page, "05-bet");
  await page.goto(`${BASE}/#/bankroll`);
  await page.waitForSelector("[data-testid=balance]");
  const after = await page.locator("[data-testid=balance]").textContent();
  check("the bankroll's balance changed", after !== before, `${before} → ${after}`);
  await page.waitForSelector("table.bets tbody tr");
  await page.waitForSelector(".chart[data-drawn='1'] canvas");
  await shot(page, "06-bankroll");
  await axe(page, "bankroll");

  // the open bet settled by hand from the bets list: its payout reaches the balance
  const settleForm = page.locator("table.bets tbody tr form.settle-form").first();
  await settleForm.locator("select").selectOption("win");
  await settleForm.getByRole("button", { name: "Settle" }).click();
  const settledInStore = await waitFor(() => sql("SELECT result FROM bets ORDER BY id DESC LIMIT 1") === "win", 10000);
  await page.waitForFunction((was) => {
    const b = document.querySelector("[data-testid=balance]");
    return b && b.textContent !== was && !document.querySelector("table.bets form.settle-form");
  }, after);
  const settled = await page.locator("[data-testid=balance]").textContent();
  const payout = sql("SELECT amount FROM bankroll_transactions WHERE kind = 'payout' ORDER BY id DESC LIMIT 1");
  check("a bet settled by hand with Settle: a win, paid out", settledInStore && Number(payout) > Number(stake),
    `${sql("SELECT result || ' ' || profit_loss FROM bets ORDER BY id DESC LIMIT 1")}, payout ${payout}, balance ${after} → ${settled}`);
  await shot(page, "06b-bet-settled");
  await axe(page, "bankroll-settled");

  // the games run to the end on the mock's clock: picks graded
  await advance(900);
  await sleep(3000);
  await advance(1200);
  await sleep(3000);
  await advance(21600);
  const graded = await waitFor(() => Number(sql("SELECT COUNT(*) FROM prediction_results")) > 0, 60000);
  check("picks graded", graded, sql("SELECT COUNT(*) FROM prediction_results"));
  await page.goto(`${BASE}/#/record`);
  await page.waitForSelector("table.reliability-counts");
  await page.waitForSelector(".chart[data-drawn='1'] canvas");
  const counts = await page.locator("table.reliability-counts tbody tr td:nth-child(2)").allTextContents();
  const total = counts.reduce((s, c) => s + Number(c), 0);
  // each game and market counts once, by its current pick (a re-made pick does not count again)
  const current = "FROM prediction_results r JOIN predictions p ON p.id = r.prediction_id WHERE NOT EXISTS (SELECT 1 FROM predictions p3 WHERE p3.game_id = p.game_id AND p3.market = p.market AND p3.id > p.id)";
  const decided = Number(sql(`SELECT COUNT(*) ${current} AND r.result IN ('win','loss','half_win','half_loss')`));
  check("reliability diagram from the graded picks", total === decided && total > 0, `${total} picks in the bins, ${decided} decided in the store`);
  const summary = await page.locator("table.record-summary tbody tr").evaluateAll((rs) => rs.map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent)]));
  const gradedNow = Number(sql(`SELECT COUNT(*) ${current}`)), betsNow = Number(sql(`SELECT COUNT(*) ${current} AND p.tier <> ''`));
  check("track record: bets, the rest and all picks, each game and market once", summary.length === 3 && summary[0][1] === betsNow && summary[1][1] === gradedNow - betsNow && summary[2][1] === gradedNow,
    `${JSON.stringify(summary)}; store: ${gradedNow} current graded picks, ${betsNow} with a tier`);
  // forecasts alone: the picks locked in before the start they were made for
  const late = "p.created_at >= COALESCE(p.game_start, (SELECT g.start_time FROM games g WHERE g.id = p.game_id))";
  const lateNow = Number(sql(`SELECT COUNT(*) ${current} AND ${late}`));
  const lateShown = await page.locator("table.record-summary tbody tr").evaluateAll((rs) => Number(rs[2].cells[9].textContent));
  check("track record: the picks locked after their start are counted apart", lateShown === lateNow, `${lateShown} shown, ${lateNow} in the store`);
  // cumulative units: from 0 the day before the first game day to the sum of the graded units
  const cumRows = await page.locator("table.data:has(caption:text-matches('^Cumulative units')) tbody tr").evaluateAll((trs) => trs.map((tr) => tr.cells[1].textContent.trim()));
  const unitsNow = Number(sql(`SELECT COALESCE(SUM(r.profit_loss), 0) ${current}`));
  // the record's graded picks as CSV, one row per pick the summary counts, hashes as stored
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const csvRows = readFileSync(await download.path(), "utf8").split("\r\n").filter(Boolean);
  const csvHashes = csvRows.slice(1).map((r) => r.split(",")[csvRows[0].split(",").indexOf("hash")]).sort();
  const storeHashes = sql(`SELECT p.hash ${current} ORDER BY p.hash`).split("\n").filter(Boolean);
  check("track record: Download CSV saves the graded picks it counts, with their hashes", download.suggestedFilename() === "aps-track-record.csv" &&
    csvHashes.length === gradedNow && JSON.stringify(csvHashes) === JSON.stringify(storeHashes), `${download.suggestedFilename()}: ${csvHashes.length} rows, ${gradedNow} graded, ${storeHashes.length} hashes in the store`);
  check("track record: cumulative units start at 0 and end at the graded picks' units", cumRows.length >= 2 && cumRows[0] === "0.00" && Math.abs(Number(cumRows[cumRows.length - 1]) - unitsNow) < 0.006,
    `${JSON.stringify(cumRows)}, ${unitsNow} in the store`);
  await page.getByLabel("Picks", { exact: true }).selectOption("before_start");
  await page.waitForFunction((want) => {
    const r = document.querySelectorAll("table.record-summary tbody tr")[2];
    return r && Number(r.cells[1].textContent) === want && Number(r.cells[9].textContent) === 0;
  }, gradedNow - lateNow, { timeout: 10000 }).then(() => check("track record of forecasts alone (locked before the start)", true),
    (e) => check("track record of forecasts alone (locked before the start)", false, `${e}; store: ${gradedNow - lateNow}`));
  await page.getByLabel("Picks", { exact: true }).selectOption("");
  const hash = sql("SELECT hash FROM predictions ORDER BY id LIMIT 1");
  await page.getByLabel("Lock-in hash", { exact: true }).fill(hash);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForSelector("text=Verified:");
  check("lock-in verification by hash", true);
  await shot(page, "07-track-record");
  await axe(page, "track-record");

  // dark theme and a phone
  await page.getByRole("button", { name: "Dark theme" }).click();
  check("dark theme", (await page.evaluate(() => document.documentElement.dataset.theme)) === "dark");
  await shot(page, "08-track-record-dark");
  await axe(page, "track-record-dark");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}/#/picks`);
  await page.waitForSelector("table.picks, main p");
  await shot(page, "09-picks-phone-dark");
  const phone = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    cards: Array.from(document.querySelectorAll("table.picks tbody tr[data-pick-row]"), (tr) => tr.getBoundingClientRect().right),
    labels: Array.from(document.querySelectorAll("table.picks tbody tr[data-pick-row]:first-child td"), (td) => getComputedStyle(td, "::before").content),
  }));
  check("on a phone every pick is a card of labelled fields within the screen (no sideways scrolling)",
    phone.width <= 390 && phone.cards.length > 0 && phone.cards.every((r) => r <= 390) && phone.labels.slice(0, 3).join() === '"Game","Start","Pick"',
    JSON.stringify({ width: phone.width, cards: phone.cards.length, widest: Math.max(...phone.cards), labels: phone.labels }));
  await axe(page, "picks-phone-dark");
  // the other pages on a phone: a wide table scrolls inside its card, the page never sideways
  const wide = {};
  for (const route of ["record", "bankroll", `game/${gameId}`, "ratings"]) {
    await page.goto(`${BASE}/#/${route}`);
    await page.waitForSelector("main table", { state: "attached" });
    await page.waitForTimeout(300);
    wide[route] = await page.evaluate(() => document.documentElement.scrollWidth);
    await axe(page, `${route.split("/")[0]}-phone-dark`);
  }
  check("on a phone no page scrolls sideways (track record, bankroll, a game, team ratings)", Object.values(wide).every((w) => w <= 390), JSON.stringify(wide));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("button", { name: "Light theme" }).click();

  // sign out, then an admin changes a run-time setting
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/#\/login/);
  check("signed out", (await page.evaluate(() => sessionStorage.getItem("aps.session"))) === null);
  await page.getByLabel("E-mail").fill(ADMIN_EMAIL);
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/#\/picks/);
  await page.goto(`${BASE}/#/admin`);
  const form = page.locator("form[data-setting=KELLY_FRACTION]");
  await form.waitFor();
  await form.locator("input").fill("0.2");
  await form.getByRole("button", { name: "Save" }).click();
  await form.locator(".status.ok").waitFor();
  check("admin changed a run-time setting", sql("SELECT value FROM settings WHERE key = 'KELLY_FRACTION'") === "0.2");
  // freshness: a row per sport with games, its counts as the store has them
  await page.locator("table.freshness tbody tr").first().waitFor();
  const fresh = await page.locator("table.freshness tbody tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.textContent.trim()).slice(0, 3).join(" ")));
  const freshStore = sql("SELECT sp.code || ' ' || COUNT(*) || ' ' || SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id) THEN 1 ELSE 0 END) FROM games g JOIN sports sp ON sp.id = g.sport_id GROUP BY sp.code ORDER BY sp.code").split("\n");
  check("admin: data freshness has a row per sport with games, games and games without odds as stored", fresh.length > 0 && JSON.stringify(fresh) === JSON.stringify(freshStore),
    `${JSON.stringify(fresh)} against ${JSON.stringify(freshStore)}`);
  await shot(page, "10-admin");
  await axe(page, "admin");

  // a dead-lettered job shown on the admin page, and requeued from it
  const now = Date.now();
  sql(`INSERT INTO jobs (name, payload, idempotency_key, state, attempts, max_attempts, run_at, last_error, enqueued_at, finished_at) VALUES ('data_quality', '{}', 'browser-dead-${now}', 'dead', 3, 3, ${now}, 'injected by the browser test', ${now}, ${now})`);
  const deadId = sql(`SELECT id FROM jobs WHERE idempotency_key = 'browser-dead-${now}'`);
  await page.goto(`${BASE}/#/picks`);
  await page.goto(`${BASE}/#/admin`);
  const deadRow = page.locator("table.dead-letters tbody tr", { hasText: "injected by the browser test" });
  await deadRow.waitFor();
  await deadRow.getByRole("button", { name: "Requeue" }).click();
  await deadRow.getByText("requeued").waitFor();
  check("a dead letter requeued from the admin page", sql(`SELECT state FROM jobs WHERE id = ${deadId}`) !== "dead",
    sql(`SELECT state FROM jobs WHERE id = ${deadId}`));

  // the Backtests page follows the backtests feature flag: off, neither its navigation entry nor
  // its route; on again, both back (a fresh load reads the flags)
  const setFlag = (state) => page.evaluate(async (st) => {
    const s = JSON.parse(sessionStorage.getItem("aps.session") ?? "{}");
    const r = await fetch("/api/v1/admin/flags/backtests", { method: "PUT", headers: { "Content-Type": "application/json", Authorization: `Bearer ${s.access}` }, body: JSON.stringify({ state: st }) });
    return r.status;
  }, state);
  const flagIs = (want) => waitFor(() => page.evaluate(async () => {
    const s = JSON.parse(sessionStorage.getItem("aps.session") ?? "{}");
    const r = await fetch("/api/v1/flags", { headers: { Authorization: `Bearer ${s.access}` } });
    return (await r.json()).flags.backtests;
  }).then((v) => v === want), 10000);
  const backtestsLink = page.locator('nav a[href="#/backtests"]');
  check("flag on: the admin has the Backtests entry", (await backtestsLink.count()) === 1);
  check("backtests flag turned off", (await setFlag("off")) === 200 && (await flagIs(false)));
  await page.goto(`${BASE}/#/backtests`);
  await page.reload();
  await page.waitForSelector("text=Backtests are not enabled for this account.");
  check("flag off: no Backtests entry and no Backtests page", (await backtestsLink.count()) === 0 &&
    (await page.getByRole("button", { name: "Run backtest" }).count()) === 0);
  await shot(page, "11a-backtests-flag-off");
  check("backtests flag turned on", (await setFlag("on")) === 200 && (await flagIs(true)));
  await page.reload();
  await page.getByRole("button", { name: "Run backtest" }).waitFor();
  check("flag on again: the Backtests entry and page are back", (await backtestsLink.count()) === 1);

  // backtest through the API as a job, and the models page
  await page.goto(`${BASE}/#/backtests`);
  await page.locator("main select[name=sport]").selectOption("NBA"); /* the sport the story has */
  await page.getByRole("button", { name: "Run backtest" }).click();
  await page.waitForSelector("text=Equity curve", { timeout: 120000 }).catch(() => {});
  const state = sql("SELECT state FROM backtests ORDER BY id DESC LIMIT 1");
  check("a backtest ran as a job and its report is shown", state === "done" && (await page.locator("text=Equity curve").count()) > 0, state);
  // the equity curve's numbers: the starting bankroll, then the end of each betting day as stored
  const btReport = JSON.parse(sql("SELECT report FROM backtests ORDER BY id DESC LIMIT 1") || "{}");
  const usd = (v) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(v);
  const curveRows = await page.locator("table.data:has(caption:text-is('Equity curve')) tbody tr").evaluateAll((trs) => trs.map((tr) => tr.cells[1].textContent.trim()));
  const wantCurve = [usd(btReport.bankroll_start), ...(btReport.curve ?? []).map((c) => usd(c.bankroll))];
  check("the equity curve starts at the starting bankroll and then gives each betting day's close, as stored",
    (btReport.curve ?? []).length > 0 && JSON.stringify(curveRows) === JSON.stringify(wantCurve), `${JSON.stringify(curveRows)} against ${JSON.stringify(wantCurve)}`);
  const datesCell = await page.locator("table:has(caption:text-matches('^Your backtests')) tbody tr").first().evaluate((tr) => tr.cells[5].textContent);
  check("a backtest asked without dates is listed over all games", datesCell === "all games", datesCell);
  await shot(page, "11-backtest");
  await page.goto(`${BASE}/#/models`);
  await page.waitForSelector("main table, main p:has-text('No models')");
  await shot(page, "12-models");

  check("no script error on any page", errors.length === 0, errors.slice(0, 3).join(" | "));
} catch (e) {
  check("the story ran to the end", false, String(e).split("\n")[0]);
} finally {
  await browser.close();
}

const dist = new URL("../../dist/dashboard/assets/", import.meta.url);
results.bundle = Object.fromEntries(readdirSync(dist).map((f) => [f, statSync(new URL(f, dist)).size]));
writeFileSync(join(SHOTS, "results.json"), JSON.stringify(results, null, 2));
console.log(`results: ${JSON.stringify(results)}`);
finish();
