// The dashboard's shell: the header and navigation, the hash router (#/picks, #/game/ID, …),
// the theme switch, and the account menu. Pages are rendered into <main>.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { logout, me, onSignOut, signedIn } from "./api";
import { h, section } from "./dom";
import { applyTheme, prefs, setPrefs } from "./prefs";
import type { User } from "./types";
import { registerPage, signIn, twoFactor } from "./pages/auth";
import { picksPage } from "./pages/picks";
import { gamePage } from "./pages/game";
import { recordPage } from "./pages/record";
import { bankrollPage } from "./pages/bankroll";
import { backtestsPage } from "./pages/backtests";
import { modelsPage } from "./pages/models";
import { adminPage } from "./pages/admin";

const BETTORS = ["user", "pro", "admin"];
const ANALYTICS = ["pro", "analyst", "operator", "admin"];
const MODELS = ["analyst", "admin"];
const OPS = ["operator", "admin"];

let user: User | null = null;
let stop: (() => void) | undefined;

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const account = document.getElementById("account") as HTMLElement;

function links(): [string, string, boolean][] {
  const r = user?.role ?? "";
  return [
    ["#/picks", "Today's picks", true],
    ["#/record", "Track record", true],
    ["#/bankroll", "Bankroll", BETTORS.includes(r)],
    ["#/backtests", "Backtests", ANALYTICS.includes(r)],
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

async function route(): Promise<void> {
  stop?.();
  stop = undefined;
  const [, page = "", arg] = location.hash.split("/");
  if (signedIn() && !user) {
    try { user = await me(); } catch { user = null; }
  }
  if (!signedIn()) user = null;
  renderNav();
  main.replaceChildren();
  main.removeAttribute("data-loaded-ms");
  document.title = "AI PRO SPORTS";
  const role = user?.role ?? "";
  try {
    if (!user) {
      if (page === "register") registerPage(main);
      else signIn(main, () => { location.hash = "#/picks"; void route(); });
      return;
    }
    switch (page) {
      case "game": await gamePage(main, Number(arg)); break;
      case "record": recordPage(main); break;
      case "bankroll": await bankrollPage(main); break;
      case "backtests": stop = await backtestsPage(main, arg ? Number(arg) : undefined); break;
      case "models": await modelsPage(main); break;
      case "admin": await adminPage(main, role); break;
      case "account": main.append(section("Account", h("p", {}, `${user.email}, role ${user.role}`)), twoFactor(!!user.totp_enabled)); break;
      default: stop = picksPage(main, BETTORS.includes(role));
    }
  } catch (e) {
    main.append(section("Something went wrong", h("p", { class: "status error" }, (e as Error).message)));
  } finally {
    main.focus({ preventScroll: true });
  }
}

onSignOut(() => { user = null; location.hash = "#/login"; void route(); });
window.addEventListener("hashchange", () => void route());
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme(prefs()));
applyTheme();
void route();
