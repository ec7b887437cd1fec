// Sign in (with the authenticator code when 2FA is on), register, and 2FA setup.
import { api, HttpError, login, register } from "../api";
import { field, h, section, status } from "../dom";

export function signIn(main: HTMLElement, done: () => void): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, minlength: 12 });
  const code = h("input", { type: "text", name: "totp", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}" });
  const codeField = field("Authenticator code", code, "six digits from your authenticator app");
  codeField.hidden = true;
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "form", "aria-label": "Sign in" },
    field("E-mail", email), field("Password", password), codeField, msg,
    h("button", { type: "submit" }, "Sign in"),
    h("p", {}, "No account? ", h("a", { href: "#/register" }, "Register")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status(msg, "Signing in…");
    try {
      await login(email.value, password.value, code.value || undefined);
      done();
    } catch (err) {
      if (err instanceof HttpError && err.code === "TOTP_REQUIRED") {
        codeField.hidden = false;
        code.focus();
        status(msg, "Enter the code from your authenticator app.");
      } else {
        status(msg, err instanceof Error ? err.message : String(err), "error");
      }
    }
  });
  main.append(section("Sign in", form));
  email.focus();
}

export function registerPage(main: HTMLElement): void {
  const name = h("input", { type: "text", name: "name", autocomplete: "name" });
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "form", "aria-label": "Register" },
    field("Name", name), field("E-mail", email), field("Password", password, "at least 12 characters"), msg,
    h("button", { type: "submit" }, "Create account"),
    h("p", {}, "Have an account? ", h("a", { href: "#/login" }, "Sign in")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await register(email.value, password.value, name.value);
      status(msg, "Account created. You can sign in now.", "ok");
      location.hash = "#/login";
    } catch (err) {
      status(msg, err instanceof Error ? err.message : String(err), "error");
    }
  });
  main.append(section("Register", form));
}

// 2FA: start (a secret and its otpauth URI), then confirm with a code; or turn it off.
export function twoFactor(enabled: boolean): HTMLElement {
  const msg = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const code = h("input", { type: "text", inputmode: "numeric", pattern: "[0-9]{6}", autocomplete: "one-time-code" });
  const out = h("div");
  const box = section("Two-factor authentication", h("p", {}, enabled ? "2FA is on for this account." : "2FA is off."), out, msg);
  if (enabled) {
    out.append(field("Current code", code), h("button", { type: "button", onclick: async () => {
      try {
        await api("POST", "/api/v1/auth/2fa/disable", { code: code.value });
        status(msg, "2FA is off.", "ok");
      } catch (e) { status(msg, (e as Error).message, "error"); }
    } }, "Turn 2FA off"));
  } else {
    out.append(h("button", { type: "button", onclick: async () => {
      try {
        const s = await api<{ secret: string; otpauth_uri: string }>("POST", "/api/v1/auth/2fa/setup", {});
        out.replaceChildren(
          h("p", {}, "Add this secret to your authenticator app, then enter a code to confirm."),
          h("p", {}, h("code", { class: "secret" }, s.secret)),
          h("p", {}, h("a", { href: s.otpauth_uri }, "Open in authenticator app")),
          field("Code", code),
          h("button", { type: "button", onclick: async () => {
            try {
              await api("POST", "/api/v1/auth/2fa/verify", { code: code.value });
              status(msg, "2FA is on.", "ok");
            } catch (e) { status(msg, (e as Error).message, "error"); }
          } }, "Confirm"));
      } catch (e) { status(msg, (e as Error).message, "error"); }
    } }, "Set up 2FA"));
  }
  return box;
}
