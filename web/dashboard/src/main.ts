// The dashboard's shell: the header and navigation, the hash router (#/picks, #/game/ID, …),
// the theme switch, and the account menu. Pages are rendered into <main>. What ships dark behind
// a feature flag (GET /api/v1/flags, read with the user at sign-in and on each page load) has
// neither a navigation entry nor a route while the flag is off for the user.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { get, logout, me, onSignOut, signedIn } from "./api";
import { h, section } from "./dom";
import { applyTheme, prefs, setPrefs } from "./prefs";
import type { MyFlags, User } from "./types";
import { registerPage, signIn, twoFactor } from "./pages/auth";
import { picksPage } from "./pages/picks";
import { gamePage } from "./pages/game";
import { recordPage } from "./pages/record";
import { bankrollPage } from "./pages/bankroll";
import { backtestsPage } from "./pages/backtests";
import { modelsPage } from "./pages/models";
import { ratingsPage, teamPage } from "./pages/ratings";
import { adminPage } from "./pages/admin";

const BETTORS = ["user", "pro", "admin"];
const ANALYTICS = ["pro", "analyst", "operator", "admin"];
const MODELS = ["analyst", "admin"];
const OPS = ["operator", "admin"];
// the shape of the dashboard's own routes: #/page or #/page/ID
const ROUTE = /^#\/[a-z]+(\/\d+)?$/;

let user: User | null = null;
let flags: MyFlags["flags"] = {};
let stop: (() => void) | undefined;

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

function links(): [string, string, boolean][] {
  const r = user?.role ?? "";
  return [
    ["#/picks", "Today's picks", true],
    ["#/record", "Track record", true],
    ["#/ratings", "Team ratings", true],
    ["#/bankroll", "Bankroll", BETTORS.includes(r)],
    ["#/backtests", "Backtests", ANALYTICS.includes(r) && flags.backtests === true],
    ["#/models", "Models", MODELS.includes(r)],
    ["#/admin", "Admin", OPS.includes(r)],
  ];
}

function renderNav(): void {
  const here = location.hash.split("/").slice(0, 2).join("/");
  nav.replaceChildren(...(user ? links().filter(([, , ok]) => ok).map(([href, text]) => h("a", { href, "aria-current": href === here ? "page" : null }, text)) : []));
  const dark = document.documentElement.dataset.theme === "dark";
  const theme = h("button", { type: "button", class: "ghost", onclick: () => {
    setPrefs({ theme: dark ? "light" : "dark" });
    renderNav();
  } }, dark ? "Light theme" : "Dark theme");
  account.replaceChildren(theme, ...(user
    ? [h("a", { href: "#/account", class: "who" }, `${user.email} (${user.role})`), h("button", { type: "button", class: "ghost", onclick: async () => { await logout(); } }, "Sign out")]
    : [h("a", { href: "#/login" }, "Sign in"), h("a", { href: "#/register" }, "Register")]));
}

// Each navigation renders into a view of its own that replaces the previous one at once, so a
// slower, older navigation (a click during a page's loading) appends only to its own detached
// view and cannot add a second copy of a page.
let generation = 0;

// Keeps a page's stop function while its navigation is the current one; stops it otherwise.
function keep(mine: number, fn: (() => void) | undefined): void {
  if (mine === generation) stop = fn;
  else fn?.();
}

async function route(): Promise<void> {
  const mine = ++generation;
  stop?.();
  stop = undefined;
  const [, page = "", arg] = location.hash.split("/");
  if (signedIn() && !user) {
    // a flag that cannot be read counts as off
    const [u, f] = await Promise.all([me().catch(() => null), get<MyFlags>("/api/v1/flags").catch(() => null)]);
    user = u;
    flags = f?.flags ?? {};
  }
  if (!signedIn()) {
    user = null;
    flags = {};
  }
  if (mine !== generation) return;
  renderNav();
  const view = h("div", { class: "view" });
  main.replaceChildren(view);
  document.title = "AI PRO SPORTS";
  const role = user?.role ?? "";
  try {
    if (!user) {
      if (page === "register") registerPage(view);
      else {
        // signed in, the page shows the route that was asked for (a link to a game opened in a new
        // tab), or today's picks when none was
        const asked = page !== "login" && ROUTE.test(location.hash) ? location.hash : "#/picks";
        signIn(view, () => { if (location.hash === asked) void route(); else location.hash = asked; });
      }
      return;
    }
    switch (page) {
      case "game": await gamePage(view, Number(arg)); break;
      case "record": recordPage(view); break;
      case "ratings": await ratingsPage(view); break;
      case "team": await teamPage(view, Number(arg)); break;
      case "bankroll": await bankrollPage(view); break;
      case "backtests":
        if (flags.backtests === true) keep(mine, await backtestsPage(view, arg ? Number(arg) : undefined));
        else view.append(section("Not available", h("p", { class: "status" }, "Backtests are not enabled for this account.")));
        break;
      case "models": await modelsPage(view); break;
      case "admin": await adminPage(view, role); break;
      case "account": view.append(section("Account", h("p", {}, `${user.email}, role ${user.role}`)), twoFactor(!!user.totp_enabled)); break;
      default: keep(mine, picksPage(view, BETTORS.includes(role)));
    }
  } catch (e) {
    view.append(section("Something went wrong", h("p", { class: "status error" }, (e as Error).message)));
  } finally {
    main.focus({ preventScroll: true });
  }
}

onSignOut(() => { user = null; flags = {}; location.hash = "#/login"; void route(); });
window.addEventListener("hashchange", () => void route());
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme(prefs()));
applyTheme();
void route();
