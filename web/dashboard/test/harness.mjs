// What the dashboard's browser scripts share (browser.mjs, regressions.mjs): the environment
// lib/dashboard.sh passes, one line per check with the tally, the store read with sqlite3, waits,
// and Debian's chromium started by playwright-core (no browser download).
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

export const { BASE, MOCK, CLOCK_FILE, DB, SHOTS, ADMIN_EMAIL, ADMIN_PASSWORD } = process.env;
const tally = { pass: 0, fail: 0 };

export function check(name, ok, detail = "") {
  if (ok) tally.pass++;
  else tally.fail++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

// Prints the tally and exits 1 on any failure.
export function finish() {
  console.log(`${tally.pass} passed, ${tally.fail} failed`);
  process.exit(tally.fail ? 1 : 0);
}

// The platform writes the store while the checks run: wait for its lock, as aps does, not fail.
export const sql = (q) =>
  execFileSync("sqlite3", ["-cmd", ".timeout 10000", DB, q], { encoding: "utf8" }).trim();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(f, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (await f()) return true;
    if (Date.now() > end) return false;
    await sleep(250);
  }
}

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
